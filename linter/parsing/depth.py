"""Code nested too deeply for LibCST's parser and the analysis to take in.

LibCST's native parser takes time that grows with the square of an
expression's depth or worse: a sum of 1,000 terms costs it half a second,
of 2,000 terms two seconds, of 4,000 terms thirteen, of 9,000 several
minutes (CPython parses each in milliseconds).  Flat data is no trouble (a
list of 2,000 items, implicitly concatenated strings): only nesting is, and
a sum, a chain of method calls or of subscripts, ``not not ...`` and
``a if b else c if ...`` all nest, and so, in LibCST's tree, do ``a or b or
...`` and a dotted module name (its parser's stack overflows, killing the
process, at 8,000 operands or parts).  Statements nest too, without indenting,
in an ``if`` with many ``elif`` branches (each is an ``if`` in the ``else``
of the one before): LibCST parses those quickly, but the analysis and the
fixes walk them recursively, and 5,000 branches exhaust even the recursion
limit the command sets.  So a file whose CPython tree holds an expression or
statements nested deeper than :data:`MAX_DEPTH` is reported as one that
cannot be parsed, rather than left to hang the run or end it with a traceback.

Walking every node of every tree would cost a tenth of a cold run, so only
expressions that could be that deep are walked: one nested ``d`` deep spans
at least ``d`` bytes (``-`` nests once per character, ``a.b`` and ``a+b``
once per two), and few statements span a thousand.
"""
from __future__ import annotations

import ast
from itertools import accumulate
from typing import Iterator, List, NamedTuple, Optional, Tuple

MAX_DEPTH = 1_000  # the slowest expressions take LibCST under a second at this depth
_NOT_HEADER = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})  # statements, or looked at apart
_COMPOUND = tuple(getattr(ast, name) for name in (
    "FunctionDef", "AsyncFunctionDef", "ClassDef", "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Try",
    "TryStar", "Match") if hasattr(ast, name))  # TryStar and Match: on the Pythons that have them


class TooDeep(NamedTuple):
    line: int
    column: int  # in characters, from 1
    what: str  # what is nested too deeply, as the error says it


def too_deep(tree: ast.Module, text: str) -> Optional[TooDeep]:
    """Where the first statement or expression in ``tree`` (parsed from
    ``text``) nested, or holding an expression nested, more than
    :data:`MAX_DEPTH` deep is, or None.

    CPython counts columns in UTF-8 bytes and lines as its tokenizer does
    (``\\r`` alone ends one too), so spans are measured in the bytes of
    the text split that way: ``bytes.splitlines`` splits at exactly those."""
    if len(text) <= MAX_DEPTH:
        return None
    lines = text.encode("utf-8", "surrogatepass").splitlines(keepends=True)
    starts = [0, *accumulate(len(line) for line in lines)]
    for node, depth in _long_parts(tree.body, starts):
        if depth > MAX_DEPTH or _depth(node) > MAX_DEPTH:
            before = lines[node.lineno - 1][:node.col_offset].decode("utf-8", "replace")
            return TooDeep(node.lineno, len(before) + 1, "statements nested" if depth > MAX_DEPTH else "an expression nested")
    return None


def _long_parts(statements: List[ast.stmt], starts: List[int]) -> Iterator[Tuple[ast.AST, int]]:
    """The statements without a body, and the expressions of compound
    statements outside their bodies, that span more bytes than the depth
    allowed (``starts``: each line's offset), and any statement nested more
    deeply, each with its depth."""
    pending = [(statement, 1) for statement in statements]
    while pending:
        statement, depth = pending.pop()
        if depth > MAX_DEPTH:  # what is inside is deeper still
            yield statement, depth
            continue
        if not isinstance(statement, _COMPOUND):  # most statements: one span, no attribute looked up in vain
            if _span(statement, starts) > MAX_DEPTH:
                yield statement, depth
            continue
        pending.extend((nested, depth + 1) for nested in _nested(statement))
        first = statement.decorator_list[0] if getattr(statement, "decorator_list", None) else statement
        inside = statement.body[0] if getattr(statement, "body", None) else statement.cases[0].pattern
        header = _offset(inside.lineno, inside.col_offset, starts) - _offset(first.lineno, first.col_offset, starts)
        if header > MAX_DEPTH:
            yield from ((part, depth) for part in _header(statement))  # decorators, arguments, a condition, ...
        for handler in getattr(statement, "handlers", ()):
            if handler.type is not None and _span(handler.type, starts) > MAX_DEPTH:
                yield handler.type, depth
        for case in getattr(statement, "cases", ()):
            yield from ((part, depth) for part in (case.pattern, case.guard)
                        if part is not None and _span(part, starts) > MAX_DEPTH)


def _nested(statement: ast.stmt) -> List[ast.stmt]:
    """The statements inside a compound statement."""
    nested = [*getattr(statement, "body", ()), *getattr(statement, "orelse", ()), *getattr(statement, "finalbody", ())]
    for handler in getattr(statement, "handlers", ()):
        nested.extend(handler.body)
    for case in getattr(statement, "cases", ()):
        nested.extend(case.body)
    return nested


def _header(statement: ast.stmt) -> Iterator[ast.AST]:
    """The expressions of a compound statement before its body (those of its
    decorators, arguments, condition, a ``with``'s items ...)."""
    for name, value in ast.iter_fields(statement):
        if name in _NOT_HEADER:
            continue
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, ast.AST):
                yield from _positioned(node)


def _positioned(node: ast.AST) -> Iterator[ast.AST]:
    """``node``, or where it has no position (a function's arguments, a
    ``with``'s item) the nodes under it that have."""
    if hasattr(node, "end_lineno"):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _positioned(child)


def _span(node: ast.AST, starts: List[int]) -> int:
    """The bytes from the node's start to its end."""
    return _offset(node.end_lineno, node.end_col_offset, starts) - _offset(node.lineno, node.col_offset, starts)


def _offset(line: int, column: int, starts: List[int]) -> int:
    return starts[line - 1] + column


def _depth(node: ast.AST) -> int:
    """The depth of the tree LibCST would build for ``node``, walked without
    recursion (it may be deep).  CPython's tree is flat where LibCST's is
    not: ``a or b or c`` is one node with three values in CPython, and a
    dotted module name one string; LibCST nests an operation per operand
    and an attribute per part (8,000 of either overflow its parser's stack)."""
    deepest = 0
    pending = [(node, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth + _dotted_parts(node))
        step = len(node.values) if isinstance(node, ast.BoolOp) else 1
        pending.extend((child, depth + step) for child in ast.iter_child_nodes(node))
    return deepest


def _dotted_parts(node: ast.AST) -> int:
    if isinstance(node, ast.alias):
        return node.name.count(".")
    if isinstance(node, ast.ImportFrom) and node.module:
        return node.module.count(".")
    return 0
