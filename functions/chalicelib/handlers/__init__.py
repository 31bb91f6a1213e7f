"""The Lambda entry points, one Chalice blueprint per capability; ``app.py`` wires them.

Every blueprint is named for the module ``app`` (see ``entry_points``), not its own: a
function's deployed handler is ``<blueprint name>.<function>``, and Lambda must import
``app.py`` first, since registering a blueprint there is what gives its handlers the
app's middleware (logging context, tracing, metrics). A handler string naming the
blueprint's own module would skip that import and the middleware with it
(aws/chalice#1566). ``app.py`` re-exports each handler under the name the template gives.
"""

from __future__ import annotations

from chalice.app import Blueprint

# The module Lambda imports for every function: the one that registers the blueprints.
DEPLOYED_MODULE = "app"


def entry_points() -> Blueprint:
    """A blueprint whose functions deploy as ``app.<function>`` (see the module docstring)."""
    return Blueprint(DEPLOYED_MODULE)
