"""Which exceptions a function of our own code raises on purpose, read from its source.

From a function, follow every plain call (``name(...)``) of a function defined in a
module under ``root`` (``functions/``: ``app.py`` and ``chalicelib/``), and collect the
exception classes of ours that a ``raise`` names, minus those an enclosing ``try``
catches; a bare ``raise`` (or ``raise exc``) in a handler re-raises what the handler
caught. Not followed: methods (the stores and services, whose failures are the
infrastructure's, retried as ``States.TaskFailed``) and builtin exceptions (bugs, not
outcomes a workflow decides on).
"""

from __future__ import annotations

import ast
import builtins
import importlib
from functools import cache
from pathlib import Path

Exceptions = frozenset[type[BaseException]]


class RaiseAnalysis:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict[tuple[str, str], Exceptions] = {}
        self._in_progress: set[tuple[str, str]] = set()
        self._reraise: list[set[type[BaseException]]] = []
        self._reraise_names: list[str | None] = []

    def raised_by(self, module: str, function: str) -> Exceptions:
        key = (module, function)
        if key in self._done:
            return self._done[key]
        if key in self._in_progress:  # recursion: what it raises is being collected
            return frozenset()
        definition = _top_level(self._tree(module)).get(function)
        if not isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
            return frozenset()
        self._in_progress.add(key)
        raised = frozenset(self._statements(module, definition.body))
        self._in_progress.discard(key)
        self._done[key] = raised
        return raised

    # -- names --------------------------------------------------------------------------

    def _file(self, module: str) -> Path | None:
        base = self.root.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def _tree(self, module: str) -> ast.Module:
        return _parse(self._file(module))

    def _resolve(self, module: str, name: str) -> tuple[str, str] | None:
        """Where ``name`` as used in ``module`` is defined, if under root."""
        seen = set()
        while (module, name) not in seen and self._file(module) is not None:
            seen.add((module, name))
            tree = self._tree(module)
            if name in _top_level(tree):
                return module, name
            imported = _imports(tree).get(name)
            if imported is None:
                return None
            module, name = imported
        return None

    def _exception(self, module: str, name: str) -> type[BaseException] | None:
        found = self._resolve(module, name)
        if found is None:
            return None
        value = getattr(importlib.import_module(found[0]), found[1], None)
        return value if isinstance(value, type) and issubclass(value, BaseException) else None

    def _caught(self, module: str, handler: ast.ExceptHandler) -> tuple[type[BaseException], ...]:
        if handler.type is None:
            return (BaseException,)
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        caught: list[type[BaseException]] = []
        for node in names:
            if not isinstance(node, ast.Name):
                continue
            ours = self._exception(module, node.id)
            builtin = getattr(builtins, node.id, None)
            if ours is not None:
                caught.append(ours)
            elif isinstance(builtin, type) and issubclass(builtin, BaseException):
                caught.append(builtin)
        return tuple(caught)

    # -- statements and expressions ------------------------------------------------------

    def _statements(self, module: str, body: list[ast.stmt]) -> set[type[BaseException]]:
        raised: set[type[BaseException]] = set()
        for statement in body:
            raised |= self._statement(module, statement)
        return raised

    def _statement(self, module: str, node: ast.stmt) -> set[type[BaseException]]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return set()  # defined here, run elsewhere (if at all)
        if isinstance(node, ast.Try):
            return self._try(module, node)
        if isinstance(node, ast.Raise):
            return self._raise(module, node)
        raised: set[type[BaseException]] = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                raised |= self._statement(module, child)
            elif isinstance(child, ast.expr):
                raised |= self._expression(module, child)
        return raised

    def _try(self, module: str, node: ast.Try) -> set[type[BaseException]]:
        uncaught = self._statements(module, node.body)
        raised: set[type[BaseException]] = set()
        for handler in node.handlers:
            caught_classes = self._caught(module, handler)
            caught = {e for e in uncaught if issubclass(e, caught_classes)}
            uncaught -= caught
            self._reraise.append(caught)
            self._reraise_names.append(handler.name)
            raised |= self._statements(module, handler.body)
            self._reraise.pop()
            self._reraise_names.pop()
        return (
            uncaught
            | raised
            | self._statements(module, node.orelse)
            | self._statements(module, node.finalbody)
        )

    def _raise(self, module: str, node: ast.Raise) -> set[type[BaseException]]:
        exc = node.exc
        reraised = self._reraise[-1] if self._reraise else set()
        if exc is None:
            return set(reraised)
        if isinstance(exc, ast.Name) and self._reraise_names and exc.id == self._reraise_names[-1]:
            return set(reraised)
        named = exc.func if isinstance(exc, ast.Call) else exc
        raised = self._expression(module, exc)
        if isinstance(named, ast.Name):
            exception = self._exception(module, named.id)
            if exception is not None:
                raised.add(exception)
        return raised

    def _expression(self, module: str, node: ast.expr) -> set[type[BaseException]]:
        raised: set[type[BaseException]] = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                found = self._resolve(module, child.func.id)
                if found is not None:
                    raised |= self.raised_by(*found)
        return raised


@cache
def _parse(path: Path | None) -> ast.Module:
    if path is None:
        return ast.Module(body=[], type_ignores=[])
    return ast.parse(path.read_text(encoding="utf-8"))


@cache
def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


@cache
def _imports(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """``from a.b import c as d`` -> ``{"d": ("a.b", "c")}`` (absolute imports only)."""
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }
