"""Dotted names in CPython's trees, as :func:`linter.parsing.syntax.dotted_name`
reads them in LibCST's: for the code that decides from CPython's parse alone
(which bodies LibCST need not parse, what a CDK stack declares)."""
from __future__ import annotations

import ast
from typing import Optional


def dotted_name(node: Optional[ast.AST]) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None (None too for no node)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])
