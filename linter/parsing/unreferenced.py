"""Bodies of functions nothing can call, kept out of LibCST's way.

Findings are about code an invocation runs, and LibCST's parse is most of a
run.  A top-level function whose name no code can reach it by (its own
module never mentions it again, no module importing that module mentions
it, no decorator registers it, it does not look like a handler) cannot run,
so its body cannot hold a finding.  Nor can the body of a class nothing
names, when it has no base or metaclass that could register it, no
decorator but a dataclass-like one, and a body that only binds its own
names at import: its methods never run, its class attributes are never
touched.  A name mentioned only in bodies elided does
not count, so a helper only unreachable code calls goes too.  (One declaring ``global`` is kept: what
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
from linter.parsing.ast_names import dotted_name
from linter.parsing.elide import Elided
from linter.parsing.parse import Prepared

MINIMUM_LINES = 4  # a shorter body costs LibCST less than it is worth
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # Python's identifiers, not only ASCII ones
_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")  # a line break to CPython, not to str.split("\n")
# Rules that read every function of a module, called or not: LAM302 looks for
# a removal of the root logger's handlers anywhere in it.
_READ_WHEREVER_IT_IS = ("handlers", "removeHandler")
# LAM107 reads every class body for a field whose default calls the clock
# (``created_at = field(default=datetime.utcnow())``): a class with a ``default=`` is kept.
_DEFAULT_KEYWORD = re.compile(r"\bdefault\s*=(?!=)")
_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+\S+[ \t]+import[ \t]*\*", re.MULTILINE)
_MARK = "__warmstate_body_"


def elide_unreferenced(prepared: Sequence[Prepared], importers: Callable[[str], Iterable[str]],
                       explicit: Dict[str, Set[str]]) -> List[Prepared]:
    """``prepared`` with the bodies of unreachable top-level functions elided.
    ``importers(path)`` are the files of the unit that import ``path``,
    directly or not (``import shared`` then ``shared.audit.record``);
    ``explicit`` the handler names given for each file (never elided).

    Mentions inside a body elided do not count: a helper only an
    unreachable function calls (or a class only it names) is unreachable
    too, so bodies are elided until no more can be (mentions only drop)."""
    mentions = {p.path: Counter(_IDENTIFIER.findall(p.elided.text)) for p in prepared}
    everywhere = None
    if any(_STAR_IMPORT.search(p.elided.text) for p in prepared):
        everywhere = sum(mentions.values(), Counter())
    candidates = {file.path: _candidates(file, explicit.get(file.path, set())) for file in prepared if _elidable(file)}
    reaches = {path: _Reach(path, mentions, everywhere, importers) for path in candidates}
    elided: Dict[str, List[_Candidate]] = {path: [] for path in candidates}
    changed = True
    while changed:
        changed = False
        for path, pending in candidates.items():
            for candidate in [c for c in pending if not reaches[path].reachable(c)]:
                pending.remove(candidate)
                elided[path].append(candidate)
                mentions[path].subtract(candidate.mentions)
                if everywhere is not None:
                    everywhere.subtract(candidate.mentions)
                changed = True
    return [_elided(file, elided[file.path]) if elided.get(file.path) else file for file in prepared]


def _elidable(file: Prepared) -> bool:
    """Whether bodies of ``file`` may be elided: CPython parsed it, its text
    holds no stand-in's mark already nor a lone carriage return (a line
    break to CPython, not to the stand-ins), and no marker (an annotation
    may make any function a handler)."""
    text = file.elided.text
    return not (file.tree is None or _MARK in text or _LONE_CARRIAGE_RETURN.search(text)
                or any(marker in text for marker in MARKERS))


class _Candidate:
    """A top-level function or plain class whose body could be elided: its
    span, and the names its body mentions (which stop counting once it is)."""

    def __init__(self, definition: ast.stmt, defined: int, body: str, first: int, indent: str):
        self.definition, self.name, self.defined = definition, definition.name, defined
        self.first, self.last, self.indent = first, definition.end_lineno, indent
        self.body = body

    @cached_property
    def mentions(self) -> Counter:
        """Counted only for a body elided (or naming its own function): most are not."""
        found = Counter(_IDENTIFIER.findall(self.body))
        found.update(_annotation_mentions(self.definition))
        return found

    @property
    def recursive_mentions(self) -> int:
        return self.mentions[self.name] if self.name in self.body else 0


def _body_start(definition: ast.stmt) -> int:
    """The first line of the body: the first decorator's, when its first
    statement is a decorated function or class (CPython's line for those
    is the ``def``'s, which would leave the decorator outside the stand-in)."""
    first = definition.body[0]
    return min([first.lineno, *(decorator.lineno for decorator in getattr(first, "decorator_list", ()))])


def _annotation_mentions(definition: ast.stmt) -> Counter:
    """The names a function's annotations mention: they name a class without
    making anything of it run, so an elided function's stop counting too."""
    if isinstance(definition, ast.ClassDef):
        return Counter()
    arguments = definition.args
    every = [*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs, arguments.kwarg]
    annotations = [argument.annotation for argument in every if argument is not None and argument.annotation]
    found: Counter = Counter()
    for node in (node for annotation in [*annotations, definition.returns] if annotation for node in ast.walk(annotation)):
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None and name.isascii():  # CPython's names are NFKC-normalised, the text's are not
            found[name] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(_IDENTIFIER.findall(node.value))
    return found


def _candidates(file: Prepared, kept: Set[str]) -> List[_Candidate]:
    """The file's definitions that nothing but a name could make run (no
    decorator that could register them, not a handler, long enough to be worth it)."""
    own = _maybe_own(file.tree)
    definitions = [s for s in file.tree.body
                   if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) or _plain(s, own)]
    defined = Counter(definition.name for definition in definitions)
    lines = file.elided.text.split("\n")
    found = []
    for definition in definitions:
        first, last = _body_start(definition), definition.end_lineno
        if (not _inert_decorators(definition) or last - first + 1 < MINIMUM_LINES or first == definition.lineno
                or definition.name.startswith("__") or definition.name in kept or _may_be_handler(definition)):
            continue
        body = "\n".join(lines[first - 1:last])
        if (any(word in body for word in _READ_WHEREVER_IT_IS) or _declares_globals(definition, body)
                or (isinstance(definition, ast.ClassDef) and _DEFAULT_KEYWORD.search(body))):
            continue
        indent = lines[first - 1][:len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        if not indent or len(indent) != definition.body[0].col_offset:  # the body starts on a line of the signature
            continue
        found.append(_Candidate(definition, defined[definition.name], body, first, indent))
    return found


class _Reach:
    """Whether code of the unit can reach a top-level function of ``path`` by its name."""

    def __init__(self, path: str, mentions: Dict[str, Counter], everywhere: Optional[Counter],
                 importers: Callable[[str], Iterable[str]]):
        self.path, self.mentions, self.everywhere, self.importers = path, mentions, everywhere, importers

    def reachable(self, candidate: _Candidate) -> bool:
        """Mentioned more often than defined, not counting its own body (recursion)."""
        name, defined = candidate.name, candidate.defined + candidate.recursive_mentions
        if self.mentions[self.path][name] > defined:
            return True
        if self.everywhere is not None:
            return self.everywhere[name] > defined
        return any(counts[name] > 0 for counts in self._outside)

    @cached_property
    def _outside(self) -> List[Counter]:
        """The mentions in the files importing the module, asked only for a
        module with a candidate: its importers may be most of the unit."""
        return [self.mentions[p] for p in self.importers(self.path) if p in self.mentions and p != self.path]


def _elided(file: Prepared, candidates: List[_Candidate]) -> Prepared:
    lines = file.elided.text.split("\n")
    originals = dict(file.elided.originals)
    for candidate in sorted(candidates, key=lambda c: c.first):
        stand_in = f'{candidate.indent}"""{_MARK}{len(originals)}__' + "\n" * (candidate.last - candidate.first) + '"""'
        originals[stand_in] = candidate.body
        lines[candidate.first - 1:candidate.last] = stand_in.split("\n")
        candidate.definition.body = [_stand_in_twin(candidate.first, candidate.last, len(candidate.indent))]
    return replace(file, elided=Elided("\n".join(lines), originals))


def _plain(statement: ast.stmt, own: Set[str]) -> bool:
    """A class nothing can instantiate or subclass without naming it, whose
    body does nothing at import but bind its own names: no base (whose
    ``__init_subclass__`` or metaclass could register it), no metaclass or
    other keyword.  (Decorators are looked at with the functions'.)"""
    return (isinstance(statement, ast.ClassDef) and not statement.bases and not statement.keywords
            and _binds_only(statement, own))


# Calls a class body makes at import that declare a field and change nothing else,
# when the name comes from one of these libraries.
_FIELD_DECLARATIONS = frozenset({"field", "dataclasses.field", "attr.ib", "attr.attrib", "attr.field", "attrs.field",
                                 "Field", "pydantic.Field"})
_FIELD_LIBRARIES = frozenset({"dataclasses", "attr", "attrs", "pydantic", "pydantic_settings", "sqlmodel"})


def _maybe_own(tree: ast.Module) -> Set[str]:
    """The module's top-level names that may be the project's own classes:
    defined here, or imported from anywhere but the libraries declaring fields."""
    found = set()
    for statement in tree.body:
        if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            source = statement.module if isinstance(statement, ast.ImportFrom) else None
            for alias in statement.names:
                library = (source or alias.name).split(".")[0] in _FIELD_LIBRARIES and not getattr(statement, "level", 0)
                if not library:
                    found.add((alias.asname or alias.name).split(".")[0])
    return found


def _binds_only(definition: ast.ClassDef, own: Set[str]) -> bool:
    """Whether running the class body (at import, named or not) only binds
    the class's own names: constants and field declarations, methods whose
    decorators and defaults call nothing.  A body that appends to a
    module-level list, or sets an item of one, fills it at import: that must
    stay in sight, or a reset would delete what it added."""
    for statement in definition.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not all(_inert_method_decorator(decorator) for decorator in statement.decorator_list):
                return False  # ``@listener``: applying a decorator is a call, which may register the method
            evaluated = [*statement.args.defaults, *filter(None, statement.args.kw_defaults)]
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and isinstance(statement.value, (ast.Name, ast.Attribute)):
            return False  # ``total = SHARED``: an object bound in a class body gets ``__set_name__`` called
        elif isinstance(statement, ast.Assign) and all(isinstance(target, ast.Name) for target in statement.targets):
            evaluated = [statement.value]
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            evaluated = [statement.value] if statement.value is not None else []
        elif isinstance(statement, ast.Pass) or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            evaluated = []
        elif isinstance(statement, ast.ClassDef) and not statement.decorator_list and _plain(statement, own):
            evaluated = []
        else:
            return False
        if any(_calls(node, own) for node in evaluated):
            return False
    return True


# Method decorators that wrap the method and register it nowhere.
_INERT_METHOD_DECORATORS = frozenset({
    "staticmethod", "classmethod", "property", "abstractmethod", "abc.abstractmethod", "cached_property",
    "functools.cached_property", "overload", "typing.overload", "override", "typing.override",
    "typing_extensions.override",
})


def _inert_method_decorator(decorator: ast.expr) -> bool:
    """``@staticmethod``, ``@property`` and the like, or a property's ``@total.setter``."""
    name = dotted_name(decorator)
    return name in _INERT_METHOD_DECORATORS or (
        name is not None and name.count(".") == 1 and name.endswith((".setter", ".getter", ".deleter")))


def _calls(node: ast.AST, own: Set[str]) -> bool:
    """Whether evaluating ``node`` calls anything but a field declaration
    (a lambda's body does not run), or looks an item up (``COUNTS["orders"]``
    adds the key to a defaultdict).  A ``Field`` the module defines itself
    is no declaration but the module's own class, whose ``__set_name__`` may
    register the field (``own``: the module's top-level classes and functions)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Lambda):
            pending.extend(current.args.defaults)
            continue
        if isinstance(current, ast.Subscript):
            return True
        if isinstance(current, ast.Call):
            name = dotted_name(current.func)
            if name not in _FIELD_DECLARATIONS or name.split(".")[0] in own:
                return True
        pending.extend(ast.iter_child_nodes(current))
    return False


# Class decorators that add methods and return the class, registering it
# nowhere: a dataclass nothing names is as unreachable as a plain class.
_INERT_CLASS_DECORATORS = frozenset({
    "dataclass", "dataclasses.dataclass", "pydantic.dataclasses.dataclass", "total_ordering",
    "functools.total_ordering", "attr.s", "attr.attrs", "attr.define", "attr.frozen", "attr.mutable",
    "attrs.define", "attrs.frozen", "attrs.mutable", "typing.final", "final",
})


def _inert_decorators(definition: ast.stmt) -> bool:
    """No decorator, or (for a class) only decorators that register it nowhere."""
    if not isinstance(definition, ast.ClassDef):
        return not definition.decorator_list
    return all(dotted_name(decorator.func if isinstance(decorator, ast.Call) else decorator) in _INERT_CLASS_DECORATORS
               for decorator in definition.decorator_list)


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
