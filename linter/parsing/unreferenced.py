"""Bodies of functions nothing can call, kept out of LibCST's way.

Findings are about code an invocation runs, and LibCST's parse is most of a
run.  A top-level function whose name no code can reach it by (its own
module never mentions it again, no module importing that module mentions
it, no decorator registers it, it does not look like a handler) cannot run,
so its body cannot hold a finding.  (One declaring ``global`` is kept: what
it would assign is read by guards whether it runs or not.)  LibCST parses a stand-in on the same
lines instead (a string literal spanning them), CPython's tree is given the
same stand-in so positions pair as before, and ``Elided.restore`` puts the
body back into any fixed text.

Mentions are counted in the text, comments and strings included, which can
only keep a body (``getattr(module, "helper")`` spells the name).  A star
import lets a module use names without spelling them, so in a unit with one
every mention anywhere counts.
"""
from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import replace
from typing import Callable, Dict, Iterable, List, Sequence, Set

from linter.analysis.entry_points import looks_like_handler
from linter.parsing.elide import Elided
from linter.parsing.parse import Prepared

MINIMUM_LINES = 4  # a shorter body costs LibCST less than it is worth
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+\S+[ \t]+import[ \t]*\*", re.MULTILINE)
_MARK = "__warmstate_body_"


def elide_unreferenced(prepared: Sequence[Prepared], importers: Callable[[str], Iterable[str]],
                       explicit: Dict[str, Set[str]]) -> List[Prepared]:
    """``prepared`` with the bodies of unreachable top-level functions elided.
    ``importers(path)`` are the files of the unit that import ``path``;
    ``explicit`` the handler names given for each file (never elided)."""
    mentions = {p.path: Counter(_IDENTIFIER.findall(p.elided.text)) for p in prepared}
    everywhere = None
    if any(_STAR_IMPORT.search(p.elided.text) for p in prepared):
        everywhere = sum(mentions.values(), Counter())
    result = []
    for file in prepared:
        if file.tree is None or _MARK in file.elided.text:
            result.append(file)
            continue
        outside = [mentions[path] for path in importers(file.path) if path in mentions and path != file.path]
        kept = explicit.get(file.path, set())

        def reachable(name: str, defined: int) -> bool:
            if name in kept or (everywhere is not None and everywhere[name] > defined):
                return True
            return mentions[file.path][name] > defined or any(counts[name] for counts in outside)

        result.append(_elided(file, reachable))
    return result


def _elided(file: Prepared, reachable: Callable[[str, int], bool]) -> Prepared:
    functions = [s for s in file.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    defined = Counter(function.name for function in functions)
    lines = file.elided.text.split("\n")
    originals = dict(file.elided.originals)
    for function in functions:
        first, last = function.body[0].lineno, function.end_lineno
        if (function.decorator_list or last - first + 1 < MINIMUM_LINES or first == function.lineno
                or function.name.startswith("__") or looks_like_handler(function)
                or reachable(function.name, defined[function.name]) or _declares_globals(function)):
            continue
        indent = lines[first - 1][:len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        if not indent or len(indent) != function.body[0].col_offset:  # the body starts on a line of the signature
            continue
        stand_in = f'{indent}"""{_MARK}{len(originals)}__' + "\n" * (last - first) + '"""'
        originals[stand_in] = "\n".join(lines[first - 1:last])
        lines[first - 1:last] = stand_in.split("\n")
        function.body = [_stand_in_twin(first, last, len(indent))]
    if len(originals) == len(file.elided.originals):
        return file
    return replace(file, elided=Elided("\n".join(lines), originals))


def _declares_globals(function: ast.AST) -> bool:
    """``global`` or ``nonlocal`` inside: what it assigns is read by guards
    elsewhere (a flag set once, ``global READY; READY = True``), called or not."""
    return any(isinstance(node, (ast.Global, ast.Nonlocal)) for node in ast.walk(function))


def _stand_in_twin(first: int, last: int, column: int) -> ast.stmt:
    """The stand-in as CPython would have parsed it, for pairing positions."""
    where = {"lineno": first, "col_offset": column, "end_lineno": last, "end_col_offset": 3}
    return ast.Expr(ast.Constant(_MARK, **where), **where)
