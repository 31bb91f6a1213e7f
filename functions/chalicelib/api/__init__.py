"""The HTTPS API for platforms and regulators (``/v1``): logic behind the thin routes of
``functions/app.py``. See docs/api.md for the contract and ``operations.py`` for the list."""
