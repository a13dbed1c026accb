"""Line and column of selected nodes, without a whole-tree PositionProvider.

LibCST's PositionProvider records a range for every node, which costs
several times the parse.  Rules need positions for a handful of nodes, so
this runs the module's code generator once with a state that only counts
lines and remembers the nodes it was asked about.
"""
from __future__ import annotations

from typing import Dict, Iterable, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

Position = Tuple[int, int, int, int]  # line, column (1-based), end line, end column


class _LocatingState(CodegenState):
    """A code-generation state that tracks the cursor instead of keeping tokens."""

    def __init__(self, module: cst.Module, targets: Dict[int, cst.CSTNode]):
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.targets = targets
        self.starts: Dict[int, Tuple[int, int]] = {}
        self.found: Dict[int, Position] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            self.starts[id(node)] = (self.line, self.column)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop(id(node), None)
        if start is not None:
            self.found[id(node)] = (start[0], start[1] + 1, self.line, self.column + 1)


def locate(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[int, Position]:
    """Positions of ``nodes`` keyed by ``id(node)``.

    A node's leading whitespace belongs to its parent in LibCST, so for the
    nodes rules report (small statements, expressions, names) the start is
    exactly where the code begins.
    """
    targets = {id(node): node for node in nodes}
    if not targets:
        return {}
    state = _LocatingState(module, targets)
    module._codegen(state)
    return state.found
