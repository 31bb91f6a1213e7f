"""psx: command-line tool and embedded AWS runtime for Product Safety Exchange.

The domain code lives in the Chalice project (``functions/chalicelib``, because Chalice
packages only that directory for Lambda); the local tool imports it from there.
"""

import sys

from psx.embedded.cooperative import cooperate_if_serving

# First, before any module binds threading's or socket's originals (see cooperative.py).
cooperate_if_serving(sys.argv)

from pathlib import Path  # noqa: E402 -- after the patching above

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))
