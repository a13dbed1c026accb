"""Large literal data at module level, kept out of the parsers' way.

A generated module holding megabytes of literal dicts (a lookup table, a
schema, a catalogue) costs CPython's parser about a gigabyte for ten
megabytes and LibCST ten times that, yet the rules only need to know that
the value exists and what kind of container it is: no rule looks inside it,
and no fix would spell it out again.  So, before either parser sees the
module, the value of a top-level assignment of a large literal is replaced
by a stand-in of the same kind on the same lines (``dict(__warmstate_elided_0__
...)``), which the rules see as a container built from computed contents;
the stand-ins are put back into the text of any fix, so the file keeps its
data exactly as written.

The literal is found from the text (an assignment at column 0 whose line
ends with an opening bracket, up to the matching closing bracket alone at
column 0) and proven to be constants only by parsing it a few thousand lines
at a time, so memory stays small whatever its size.  Anything else (a name,
a call, a comprehension, lines that do not parse in groups) is parsed as
written.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional

ELIDED_SIZE = 20_000  # characters: smaller literals are parsed as written
_GROUP_LINES = 2_000  # lines of a literal parsed at a time to prove it constant
_MAX_GROUP_LINES = 50_000  # an element longer than this: not elided
_OPENING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:[ \t]*:[^=\n]*)?[ \t]*=[ \t]*([\[{(])[ \t]*$", re.MULTILINE)
_CLOSING = {"{": "}", "[": "]", "(": ")"}
_CLOSING_LINE = {bracket: re.compile(rf"^\{closing}[ \t]*(?:#.*)?$", re.MULTILINE) for bracket, closing in _CLOSING.items()}
_KINDS = {ast.Dict: "dict", ast.Set: "set", ast.List: "list", ast.Tuple: "tuple"}


@dataclass(frozen=True)
class Elided:
    text: str  # what the parsers see
    originals: Dict[str, str] = field(default_factory=dict)  # stand-in -> the source it replaces

    def restore(self, code: str) -> str:
        """``code`` (LibCST's output for ``text``, fixed) with the data put back."""
        for stand_in, original in self.originals.items():
            code = code.replace(stand_in, original, 1)
        return code


def elide(text: str) -> Elided:
    """The module's text with its large top-level literals replaced by stand-ins."""
    if len(text) < ELIDED_SIZE:
        return Elided(text)
    pieces: List[str] = []
    originals: Dict[str, str] = {}
    position = 0
    for opening in _OPENING.finditer(text):
        if opening.start() < position:
            continue
        start = opening.start(1)
        end = _closing(text, start, opening.group(1))
        kind = None if end is None or end - start < ELIDED_SIZE else _constant_kind(text[start:end], opening.group(1))
        if kind is None:
            continue
        value = text[start:end]
        stand_in = f"{kind}(__warmstate_elided_{len(originals)}__{chr(10) * value.count(chr(10))})"
        originals[stand_in] = value
        pieces += [text[position:start], stand_in]
        position = end
    if not originals:
        return Elided(text)
    pieces.append(text[position:])
    return Elided("".join(pieces), originals)


def _closing(text: str, start: int, bracket: str) -> Optional[int]:
    """The end of the literal opened at ``start``: after the first closing
    bracket alone at column 0 (a trailing comment allowed)."""
    match = _CLOSING_LINE[bracket].search(text, start)
    return None if match is None else match.start() + 1


@lru_cache(maxsize=4)  # a fix lints the same data again: prove it once
def _constant_kind(value: str, bracket: str) -> Optional[str]:
    """``dict``, ``set``, ``list`` or ``tuple`` when the literal's elements
    are constants only, parsed a group of lines at a time (a group that ends
    inside an element grows until it parses); None otherwise."""
    lines = value[1:-1].split("\n")
    closing = _CLOSING[bracket]
    kind, index = None, 0
    while index < len(lines):
        size = _GROUP_LINES
        while True:
            group = "\n".join(lines[index:index + size])
            try:
                tree = ast.parse(f"_ = {bracket}{group}\n{closing}")
                break
            except (RecursionError, MemoryError):
                return None  # the parser will say so of the whole module
            except SyntaxError:
                if index + size >= len(lines) or size >= _MAX_GROUP_LINES:
                    return None
                size *= 2
        parsed = tree.body[0].value
        if not _pure(parsed):
            return None
        kind = kind or _KINDS.get(type(parsed), "tuple")
        index += size
    return kind


def _pure(node: ast.AST) -> bool:
    """Made of constants only (no names, calls or comprehensions)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if type(current) in (ast.Dict, ast.List, ast.Set, ast.Tuple):
            children = [*current.keys, *current.values] if type(current) is ast.Dict else current.elts
            if any(child is None for child in children):
                return False  # ``{**other}``
            pending.extend(children)
        elif type(current) is ast.UnaryOp and type(current.op) in (ast.USub, ast.UAdd):
            pending.append(current.operand)
        elif type(current) is not ast.Constant:
            return False
    return True
