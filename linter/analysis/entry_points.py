"""Which files of a unit can matter, decided before LibCST parses anything.

Findings are about state a handler's invocation reaches, and an invocation
only runs code of the modules the handler's module imports, directly or not.
So the files worth LibCST's time (several times CPython's parser, and most
of a run) are those that may define a handler and the files they import;
a test importing a handler, a CDK stack or a maintenance script is not on
any invocation path, and costs only the CPython parse that decides so.

The decision over-approximates the handler heuristics of
:mod:`linter.analysis.handlers`, on CPython's tree: a file that might hold
a handler is parsed, and the heuristics decide.  A file CPython cannot parse
(syntax newer than itself) is parsed by LibCST as before.
"""
from __future__ import annotations

import ast
import re
from typing import Dict, Iterable, Iterator, Optional, Set

from linter.analysis.handler_names import (
    CHALICE_HANDLERS, CONTEXT_NAMES, DECORATOR_FACTORY, EVENT_NAMES, HANDLER_NAMES, POWERTOOLS_DECORATORS,
)
from linter.project.layout import Layout
from linter.project.units import ImportGraph, imported_files, imported_names

# Words whose presence makes a file a possible handler whatever its shape:
# adapters and Chalice apps are handlers by what makes them, decorator
# factories by what they decorate, annotations may spell LambdaContext in a string.
MARKERS = ("Mangum", "make_lambda_handler", "Chalice", DECORATOR_FACTORY, "LambdaContext")
HANDLER_DECORATORS = POWERTOOLS_DECORATORS | CHALICE_HANDLERS
# What :func:`may_hold_handler` looks for, as text: a marker or a decorator of a
# handler anywhere (as a substring first: a regular expression over every file
# costs 0.6 s on 27 MB; a decorator then as a word), or a function whose first parameter is an
# event's name (no leading ``\b``, which would cost Python's search for "def")
# and whose second may be the context (:func:`_context_second`).
_DECORATOR_WORDS = tuple(sorted(HANDLER_DECORATORS))
_DECORATOR = re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(_DECORATOR_WORDS))  # not in add_event_source
_EVENT_FIRST = re.compile(
    r"def\s+\w+\s*(?:\[[^\]]*\]\s*)?\(\s*(?:#[^\n]*\n\s*)*(?:%s)\b" % "|".join(sorted(EVENT_NAMES)))
# The parameter after the first (past a ``/``), with comments and line breaks between.
_SPACE = r"(?:\s|#[^\n]*|\\\r?\n)*"
_NEXT_PARAMETER = re.compile(rf"{_SPACE}(?:/{_SPACE},{_SPACE})?([^\W\d]\w*)")
# A handler's name where it could be bound: not inside a longer name
# (``error_handler``, ``handlers``) nor after a dot (``app.lambda_handler(event, None)``
# in a test, ``logger.handlers``), which no definition, assignment or import can be.
_HANDLER_NAME = re.compile(r"(?<![\w.])(?:%s)(?!\w)" % "|".join(sorted(HANDLER_NAMES)))
PARSED_FOR_HANDLERS_LIMIT = 200_000  # characters
# Followed by ``=``: a keyword argument (``Function(handler="app.main")``) unless it is a
# module-level binding, which only the parser tells apart (``a, handler = build()``).
_ASSIGNED = re.compile(r"[ \t]*=(?!=)")


def may_hold_handler(tree: Optional[ast.Module], text: str) -> bool:
    """False only when no handler heuristic can take anything in the file."""
    if tree is None or any(marker in text for marker in MARKERS):
        return True
    for statement in _module_level(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and looks_like_handler(statement):
            return True
        if any(name in HANDLER_NAMES for name in _bound_names(statement)):
            return True
    return False


def may_hold_handler_text(text: str) -> bool:
    """:func:`may_hold_handler` from the text alone, without parsing: true
    whenever that is (and for more files), so that a whole project can be
    cut into the import closures of its possible handler files
    (:mod:`linter.project.pieces`) before any file is parsed.  A handler's
    name is searched for as a word only in the files holding it as a
    substring; a file where it is only ever followed by ``=`` (a CDK stack's
    ``handler="app.main"``) is parsed to tell, and what it tells is kept
    with the file's facts."""
    if any(marker in text for marker in MARKERS):
        return True
    if any(word in text for word in _DECORATOR_WORDS) and _DECORATOR.search(text) is not None:
        return True
    if any(_context_second(text, match.end()) for match in _EVENT_FIRST.finditer(text)):
        return True
    if not any(name in text for name in HANDLER_NAMES):
        return False
    names = list(_HANDLER_NAME.finditer(text))
    if not names:
        return False
    if any(_ASSIGNED.match(text, name.end()) is None for name in names):
        return True
    return _parsed_may_hold_handler(text)  # only ``handler=…``: a keyword argument (a CDK stack) or a binding


def _parsed_may_hold_handler(text: str) -> bool:
    """The parser's answer for a file of ordinary size; a larger one (generated
    data full of ``handler=``) is kept as a possible handler rather than parsed
    whole in the main process (:mod:`linter.parsing.elide` is why)."""
    if len(text) > PARSED_FOR_HANDLERS_LIMIT:
        return True
    try:
        return may_hold_handler(ast.parse(text), text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True


def _context_second(text: str, start: int) -> bool:
    """Whether the parameter after the event, whose name ends at ``start``,
    may be the context: a test taking a fixture called ``event`` first
    (``def test_orders(event, monkeypatch)``) is no handler.  True when
    unsure (the text ends, a string never does)."""
    depth, at = 0, start
    while at < len(text):
        character = text[at]
        if character in "([{":
            depth += 1
        elif character in ")]}":
            if depth == 0:
                return False  # one parameter only
            depth -= 1
        elif character == "#":
            at = text.find("\n", at)
            if at < 0:
                return True
        elif character in "'\"":
            quote = text[at:at + 3] if text[at:at + 3] in ('"""', "'''") else character
            at = _string_end(text, at + len(quote), quote)
            if at < 0:
                return True
            continue
        elif character == "," and depth == 0:
            following = _NEXT_PARAMETER.match(text, at + 1)
            return following is not None and following.group(1) in CONTEXT_NAMES  # not ``*args``, ``*, context``
        at += 1
    return True


def _string_end(text: str, at: int, quote: str) -> int:
    """Where the string whose body starts at ``at`` ends (after its closing quote), or -1."""
    while at < len(text):
        if text[at] == "\\":
            at += 2
        elif text.startswith(quote, at):
            return at + len(quote)
        else:
            at += 1
    return -1


def import_graph(texts: Dict[str, str], layout: Optional[Layout]) -> Optional[ImportGraph]:
    """The import graph units are made of, over ``texts``; None without a
    project layout (a file linted on its own)."""
    if layout is None:
        return None
    return ImportGraph(texts, lambda path: imported_files(layout, path, imported_names(texts[path])))


def on_invocation_path(graph: Optional[ImportGraph], roots: Iterable[str], unparsed: Set[str]) -> Set[str]:
    """``roots`` (files that may hold a handler) and every file they import,
    directly or not, except through the ``unparsed`` files (which run nothing)."""
    return graph.imported_from(roots, without=unparsed) if graph is not None else set(roots)


def _module_level(body) -> Iterator[ast.stmt]:
    """Statements run at import: the module's, and those inside its
    top-level ``if``/``try``/``with``/loops (not inside functions or classes)."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_level(getattr(statement, field, ()))
        for handler in getattr(statement, "handlers", ()):
            yield from _module_level(handler.body)
        for case in getattr(statement, "cases", ()):
            yield from _module_level(case.body)


def looks_like_handler(function) -> bool:
    positional = [*function.args.posonlyargs, *function.args.args]
    if len(positional) >= 2 and positional[0].arg in EVENT_NAMES and positional[1].arg in CONTEXT_NAMES:
        return True
    if function.name in HANDLER_NAMES:
        return True
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name in HANDLER_DECORATORS:
            return True
    return False


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            yield (alias.asname or alias.name).split(".")[0]
    else:  # any name a module-level statement stores (assignment, loop or ``with`` target, walrus)
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                yield node.id
