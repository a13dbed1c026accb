"""The vocabulary of fixes: small, declarative CST edits.

Rules describe *what* to change; :mod:`linter.fixing.transform` knows *how*.  Edits
name functions by their module-qualified key (``("app.py", "Store", "add")``)
rather than by node, so they stay valid when other edits change the tree;
every edit knows the module (file) it changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


class _InFunction:
    """An edit of one function: its module is the key's first part."""

    function: Tuple[str, ...]

    @property
    def module(self) -> str:
        return self.function[0]


@dataclass(frozen=True)
class PrependStatements(_InFunction):
    """Insert statements at the start of a function body.

    They go after the docstring and any leading ``global`` declarations;
    ``global`` statements among them are placed first, and an edit identical
    to another (two findings wanting the same reset) is applied once.
    """

    function: Tuple[str, ...]
    statements: Tuple[str, ...]


@dataclass(frozen=True)
class AddImport:
    """Add an import statement to a module, after its other top-level imports
    (once, however many edits ask for it)."""

    module: str
    statement: str


@dataclass(frozen=True)
class ReplaceDefault(_InFunction):
    """Replace the default value of one parameter of a function."""

    function: Tuple[str, ...]
    parameter: str
    expression: str


@dataclass(frozen=True)
class AddDecorator(_InFunction):
    """Add a decorator (outermost) to a function."""

    function: Tuple[str, ...]
    decorator: str


@dataclass(frozen=True, eq=False)
class ReplaceNode:
    """Replace one expression node of the module the finding came from.

    The node is compared by identity: edits are applied to the very tree
    they were computed on, within one round of the fixer.
    """

    module: str
    node: object
    expression: str


@dataclass(frozen=True, eq=False)
class WrapInIf:
    """Put the line holding ``statement`` under ``if condition:``."""

    module: str
    statement: object
    condition: str


@dataclass(frozen=True, eq=False)
class RestoreEnvironment(_InFunction):
    """Run the rest of a function's body in ``try:`` and restore one
    environment variable in ``finally:``; ``statement`` (a top-level statement
    of the function, or a statement inside one) is where the variable is first set."""

    function: Tuple[str, ...]
    statement: object
    environ: str  # how the module spells os.environ
    key: str  # source of the variable's name


@dataclass(frozen=True)
class WrapAdapter:
    """Give an adapter handler a body: ``handler = Mangum(app)`` becomes
    ``_handler_adapter = Mangum(app)`` and a ``def handler(event, context)``
    that returns ``_handler_adapter(event, context)``, so that statements
    prepended to ``handler`` run before the framework does."""

    module: str
    name: str

    @property
    def adapter(self) -> str:
        return f"_{self.name}_adapter"

    @property
    def description(self) -> str:
        return f"made a function that calls the adapter, now {self.adapter}"

    @property
    def function(self) -> Tuple[str, ...]:
        return (self.module, self.name)


@dataclass(frozen=True)
class AddMiddleware:
    """Give a Chalice app (the handler Lambda calls) a body: a function
    registered with ``@app.middleware("http")`` right after the app is made,
    which runs before every route and calls ``get_response(event)``;
    statements prepended to it run first."""

    module: str
    app: str
    name: str = "_reset_per_invocation"

    @property
    def description(self) -> str:
        return f"in a new @{self.app}.middleware(\"http\") function, {self.name}()"

    @property
    def function(self) -> Tuple[str, ...]:
        return (self.module, self.name)
