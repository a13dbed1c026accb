"""Line and column of statements, from the CPython AST parsed alongside.

LibCST nodes carry no positions; its PositionProvider regenerates the whole
module to compute them, which costs more than the parse.  The engine already
runs CPython's parser first (it guards LibCST's native parser against
pathological input), and CPython's tree has positions for every statement.
Both trees list a block's statements in the same order (``a; b`` is one LibCST
line holding two small statements, and two AST statements), so walking them
side by side pairs each LibCST statement with its AST twin.  Only
statements are paired, which is cheap; findings are reported at statements
(and at parameter defaults and decorators, paired with their function's).
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

import libcst as cst

Position = Tuple[int, int, int, int]  # line, column (1-based), end line, end column


def _flatten(statements) -> List[cst.CSTNode]:
    flat: List[cst.CSTNode] = []
    for statement in statements:
        if type(statement) is cst.SimpleStatementLine:
            flat.extend(statement.body)
        else:
            flat.append(statement)
    return flat


def _body(suite: Optional[cst.CSTNode]) -> list:
    return [] if suite is None else list(suite.body)


class PositionIndex:
    def __init__(self, module: cst.Module, tree: ast.Module, text: str):
        self._module = module
        self._tree = tree
        self.text = text  # the module's code, as parsed
        self._lines: Optional[List[str]] = None
        self._pairs: Optional[Dict[int, ast.AST]] = None

    def _paired(self) -> Dict[int, ast.AST]:
        if self._pairs is None:
            self._pairs = {}
            self._pair_block(self._module.body, self._tree.body)
        return self._pairs

    def contains(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is a statement (or default, or decorator) of this module."""
        return id(node) in self._paired()

    def position(self, node: cst.CSTNode) -> Position:
        twin = self._paired()[id(node)]
        return (
            twin.lineno,
            self._column(twin.lineno, twin.col_offset),
            twin.end_lineno,
            self._column(twin.end_lineno, twin.end_col_offset),
        )

    def _column(self, line: int, byte_offset: int) -> int:
        """AST offsets count UTF-8 bytes; columns count characters."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1

    def _pair_block(self, statements, twins: List[ast.stmt]) -> None:
        flat = _flatten(statements)
        if len(flat) != len(twins):
            raise ValueError("LibCST and CPython disagree on the statements of a block")
        for node, twin in zip(flat, twins):
            self._pairs[id(node)] = twin
            self._pair_children(node, twin)

    def _pair_children(self, node: cst.CSTNode, twin: ast.AST) -> None:
        if type(node) is cst.FunctionDef:
            self._pair_defaults(node, twin.args)
            for decorator, decorator_twin in zip(node.decorators, twin.decorator_list):
                self._pairs[id(decorator.decorator)] = decorator_twin
            self._pair_block(_body(node.body), twin.body)
        elif type(node) is cst.ClassDef:
            self._pair_block(_body(node.body), twin.body)
        elif type(node) is cst.If:
            self._pair_block(_body(node.body), twin.body)
            if type(node.orelse) is cst.If:
                self._pair_block([node.orelse], twin.orelse)
            elif node.orelse is not None:
                self._pair_block(_body(node.orelse.body), twin.orelse)
        elif type(node) in (cst.For, cst.While):
            self._pair_block(_body(node.body), twin.body)
            if node.orelse is not None:
                self._pair_block(_body(node.orelse.body), twin.orelse)
        elif type(node) is cst.With:
            self._pair_block(_body(node.body), twin.body)
        elif type(node) in (cst.Try, cst.TryStar):
            self._pair_block(_body(node.body), twin.body)
            for handler, handler_twin in zip(node.handlers, twin.handlers):
                self._pair_block(_body(handler.body), handler_twin.body)
            if node.orelse is not None:
                self._pair_block(_body(node.orelse.body), twin.orelse)
            if node.finalbody is not None:
                self._pair_block(_body(node.finalbody.body), twin.finalbody)
        elif type(node) is cst.Match:
            for case, case_twin in zip(node.cases, twin.cases):
                self._pair_block(_body(case.body), case_twin.body)

    def _pair_defaults(self, node: cst.FunctionDef, arguments: ast.arguments) -> None:
        params = node.params
        positional = [p.default for p in (*params.posonly_params, *params.params) if p.default is not None]
        for default, twin in zip(positional, arguments.defaults):
            self._pairs[id(default)] = twin
        for param, twin in zip(params.kwonly_params, arguments.kw_defaults):
            if param.default is not None and twin is not None:
                self._pairs[id(param.default)] = twin


class LibcstPositions:
    """Positions from LibCST, for a module the running Python cannot parse
    (syntax newer than it): slower than pairing with CPython's tree, and
    needed only for such modules."""

    def __init__(self, module: cst.Module):
        from libcst.metadata import MetadataWrapper, PositionProvider

        self._module = module
        self._ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    @property
    def text(self) -> str:
        """The module's code, as parsed."""
        return self._module.code

    def contains(self, node: cst.CSTNode) -> bool:
        return node in self._ranges

    def position(self, node: cst.CSTNode) -> Position:
        found = self._ranges[node]
        return found.start.line, found.start.column + 1, found.end.line, found.end.column + 1
