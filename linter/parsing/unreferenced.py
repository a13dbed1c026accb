"""Bodies of functions nothing can call, kept out of LibCST's way.

Findings are about code an invocation runs, and LibCST's parse is most of a
run.  A top-level function whose name no code can reach it by (its own
module never mentions it again, no module importing that module mentions
it, no decorator registers it, it does not look like a handler) cannot run,
so its body cannot hold a finding.  Nor can the body of a class nothing
names, when it has no base or metaclass that could register it: its methods
never run, its class attributes are never touched.  (One declaring ``global`` is kept: what
it would assign is read by guards whether it runs or not.)  LibCST parses a
stand-in on the same lines instead (a string literal spanning them),
CPython's tree is given the same stand-in so positions pair as before, and
``Elided.restore`` puts the body back into any fixed text.

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
from functools import cached_property
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set

from linter.analysis.entry_points import MARKERS, looks_like_handler
from linter.parsing.elide import Elided
from linter.parsing.parse import Prepared

MINIMUM_LINES = 4  # a shorter body costs LibCST less than it is worth
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # Python's identifiers, not only ASCII ones
_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")  # a line break to CPython, not to str.split("\n")
# Rules that read every function of a module, called or not: LAM302 looks for
# a removal of the root logger's handlers anywhere in it.
_READ_WHEREVER_IT_IS = ("handlers", "removeHandler")
_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+\S+[ \t]+import[ \t]*\*", re.MULTILINE)
_MARK = "__warmstate_body_"


def elide_unreferenced(prepared: Sequence[Prepared], importers: Callable[[str], Iterable[str]],
                       explicit: Dict[str, Set[str]]) -> List[Prepared]:
    """``prepared`` with the bodies of unreachable top-level functions elided.
    ``importers(path)`` are the files of the unit that import ``path``,
    directly or not (``import shared`` then ``shared.audit.record``);
    ``explicit`` the handler names given for each file (never elided)."""
    mentions = {p.path: Counter(_IDENTIFIER.findall(p.elided.text)) for p in prepared}
    everywhere = None
    if any(_STAR_IMPORT.search(p.elided.text) for p in prepared):
        everywhere = sum(mentions.values(), Counter())
    result = []
    for file in prepared:
        text = file.elided.text
        if (file.tree is None or _MARK in text or _LONE_CARRIAGE_RETURN.search(text)
                or any(marker in text for marker in MARKERS)):  # an annotation may make any function a handler
            result.append(file)
            continue
        reach = _Reach(file.path, mentions, everywhere, importers, explicit.get(file.path, set()))
        result.append(_elided(file, reach.reachable))
    return result


class _Reach:
    """Whether code of the unit can reach a top-level function of ``path`` by its name."""

    def __init__(self, path: str, mentions: Dict[str, Counter], everywhere: Optional[Counter],
                 importers: Callable[[str], Iterable[str]], kept: Set[str]):
        self.path, self.mentions, self.everywhere, self.importers, self.kept = path, mentions, everywhere, importers, kept

    def reachable(self, name: str, defined: int) -> bool:
        """``defined`` is how many top-level definitions of ``name`` the module has."""
        if name in self.kept or self.mentions[self.path][name] > defined:
            return True
        if self.everywhere is not None:
            return self.everywhere[name] > defined
        return any(counts[name] for counts in self._outside)

    @cached_property
    def _outside(self) -> List[Counter]:
        """The mentions in the files importing the module, asked only for a
        module with a candidate: its importers may be most of the unit."""
        return [self.mentions[p] for p in self.importers(self.path) if p in self.mentions and p != self.path]


def _elided(file: Prepared, reachable: Callable[[str, int], bool]) -> Prepared:
    definitions = [s for s in file.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) or _plain(s)]
    defined = Counter(definition.name for definition in definitions)
    lines = file.elided.text.split("\n")
    originals = dict(file.elided.originals)
    for definition in definitions:
        first, last = definition.body[0].lineno, definition.end_lineno
        if (definition.decorator_list or last - first + 1 < MINIMUM_LINES or first == definition.lineno
                or definition.name.startswith("__") or _may_be_handler(definition)
                or reachable(definition.name, defined[definition.name])):
            continue
        original = "\n".join(lines[first - 1:last])
        if any(word in original for word in _READ_WHEREVER_IT_IS) or _declares_globals(definition, original):
            continue
        indent = lines[first - 1][:len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        if not indent or len(indent) != definition.body[0].col_offset:  # the body starts on a line of the signature
            continue
        stand_in = f'{indent}"""{_MARK}{len(originals)}__' + "\n" * (last - first) + '"""'
        originals[stand_in] = original
        lines[first - 1:last] = stand_in.split("\n")
        definition.body = [_stand_in_twin(first, last, len(indent))]
    if len(originals) == len(file.elided.originals):
        return file
    return replace(file, elided=Elided("\n".join(lines), originals))


def _plain(statement: ast.stmt) -> bool:
    """A class nothing can instantiate or subclass without naming it: no
    base (whose ``__init_subclass__`` or metaclass could register it), no
    metaclass or other keyword.  (Decorators are looked at with the functions'.)"""
    return isinstance(statement, ast.ClassDef) and not statement.bases and not statement.keywords


def _may_be_handler(definition: ast.stmt) -> bool:
    return not isinstance(definition, ast.ClassDef) and looks_like_handler(definition)


def _declares_globals(definition: ast.AST, body: str) -> bool:
    """``global`` or ``nonlocal`` inside: what it assigns is read by guards
    elsewhere (a flag set once, ``global READY; READY = True``), called or
    not.  The tree is walked only when the ``body``'s text has the word."""
    return (("global" in body or "nonlocal" in body)
            and any(isinstance(node, (ast.Global, ast.Nonlocal)) for node in ast.walk(definition)))


def _stand_in_twin(first: int, last: int, column: int) -> ast.stmt:
    """The stand-in as CPython would have parsed it, for pairing positions."""
    where = {"lineno": first, "col_offset": column, "end_lineno": last, "end_col_offset": 3}
    return ast.Expr(ast.Constant(_MARK, **where), **where)
