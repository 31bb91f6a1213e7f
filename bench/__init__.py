"""Benchmarks: programs, not tests. Importing psx puts ``functions/`` on sys.path, so
that ``python -m bench.<name>`` finds ``chalicelib`` as the tool does."""

import psx  # noqa: F401
