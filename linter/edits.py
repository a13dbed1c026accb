"""The vocabulary of fixes: small, declarative CST edits.

Rules describe *what* to change; :mod:`linter.transform` knows *how*.  Edits
name functions by their path from module level (``("Store", "add")``) rather
than by node, so they stay valid when other edits change the tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class PrependStatements:
    """Insert statements at the start of a function body.

    They go after the docstring and any leading ``global`` declarations;
    ``global`` statements among them are placed first, and a statement that
    another edit already inserts is inserted once.
    """

    function: Tuple[str, ...]
    statements: Tuple[str, ...]


@dataclass(frozen=True)
class ReplaceDefault:
    """Replace the default value of one parameter of a function."""

    function: Tuple[str, ...]
    parameter: str
    expression: str
