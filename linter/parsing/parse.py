"""Parse a module with LibCST, behind CPython's parser as a guard."""
from __future__ import annotations

import ast
import contextlib
import io
import tokenize
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from linter.output.diagnostics import FileError
from linter.parsing.depth import MAX_DEPTH, too_deep
from linter.parsing.elide import Elided, elide

# CPython's errors no newer Python would lift, so LibCST (which would take
# them) does not get the file: a string's escape it cannot decode (``"\u12"``:
# LibCST keeps strings as written), a null byte.
_DECODING = "(unicode error)"
_NULL_BYTES = "source code string cannot contain null bytes"
MAX_NESTING = 100  # brackets or indented blocks inside one another; CPython's own limit is 200 brackets


@dataclass(frozen=True)
class Prepared:
    """A file CPython's parser has seen: its text with large data elided, its
    CPython tree (None when CPython rejected syntax newer than itself, whose
    error is ``rejected``), ready for LibCST."""

    path: str
    elided: Elided
    tree: Optional[ast.Module]
    rejected: Optional[FileError] = None


def prepare(path: str, text: str) -> Union[Prepared, FileError]:
    """The first, cheap stage of :func:`parse`; a FileError when the file cannot be parsed at all."""
    elided = elide(text)
    try:
        return Prepared(path, elided, ast.parse(elided.text, filename=path))
    except SyntaxError as error:
        if error.msg == _NULL_BYTES:
            return _null_byte(path, elided.text)
        rejected = FileError(path, f"cannot parse: {error.msg}", error.lineno or 1, error.offset or 1)
        if error.msg.startswith(_DECODING) or _nesting(elided.text) > MAX_NESTING:
            return rejected
        return Prepared(path, elided, None, rejected)
    except ValueError:  # a null byte, on Python 3.9 and 3.10
        return _null_byte(path, elided.text)
    except (RecursionError, MemoryError):
        return FileError(path, "cannot parse: nested too deeply")


def _null_byte(path: str, text: str) -> FileError:
    """The error at the file's first null byte (CPython's says line 1, or has no line)."""
    before = text[:text.find("\0")]
    return FileError(path, f"cannot parse: {_NULL_BYTES}", before.count("\n") + 1, len(before) - before.rfind("\n"))


def parse_prepared(prepared: Prepared):
    """(LibCST module, CPython AST or None, Elided), or a FileError."""
    deep = too_deep(prepared.tree, prepared.elided.text) if prepared.tree is not None else None
    if deep is not None:
        return FileError(prepared.path, f"cannot parse: {deep.what} more than {MAX_DEPTH:,} deep", deep.line, deep.column)
    if prepared.rejected is not None:
        return _parse_rejected(prepared)
    try:
        with unvalidated():
            module = cst.parse_module(prepared.elided.text)
        return module, prepared.tree, prepared.elided
    except cst.ParserSyntaxError as error:
        return FileError(prepared.path, f"cannot parse: {error.message}", error.raw_line, error.raw_column + 1)


def _parse_rejected(prepared: Prepared):
    """A file CPython rejected: in syntax newer than the running Python, or
    in code LibCST's grammar takes and only its node checks reject (``"a"
    b"b"``, which ended the run in a traceback when positions were taken):
    LibCST's parse with its checks on, or CPython's error, which says more."""
    try:
        return cst.parse_module(prepared.elided.text), None, prepared.elided
    except (cst.ParserSyntaxError, cst.CSTValidationError, TypeError):  # TypeError: LibCST 1.9 on ``x or(lambda: y)``
        return prepared.rejected


@contextlib.contextmanager
def unvalidated():
    """LibCST checks every node it builds (``CSTNode.__post_init__`` calls
    ``_validate``), which is for nodes code puts together: its parser builds
    only valid ones, and the checks cost a sixth of its parse.  Its own
    source says so ("avoid validating the tree when parsing a file").  So
    they are off while it parses a file CPython accepted (one CPython
    rejected is parsed with them: :func:`_parse_rejected`), and while fixes
    rebuild a parsed tree (:func:`linter.fixing.transform.apply_edits`),
    whose code is parsed and compiled again before it is written: LibCST
    1.9's check of ``x or(lambda: y)`` raises TypeError on valid code.  A
    test holds the trees equal to those parsed with the checks on, which are
    on again for any other node."""
    node = cst.CSTNode
    checked = node.__dict__["__post_init__"]
    node.__post_init__ = _not_checked
    try:
        yield
    finally:
        node.__post_init__ = checked


def _not_checked(self) -> None:
    pass


def parse(path: str, text: str):
    """(LibCST module, CPython AST or None, Elided), or a FileError.

    CPython's own parser runs first: it is several times faster, rejects
    nesting it could not run anyway with a clean error, and so keeps
    pathological input away from LibCST's native parser, which can crash the
    process on it.  Syntax newer than the running Python (``type X = ...``,
    PEP 695 generics, PEP 701 f-strings on Python 3.11) is still LibCST's to
    parse: when CPython rejects a file whose nesting a cheap tokenizer pass
    finds safe, LibCST decides, and the module has no CPython tree (positions
    then come from LibCST).  Large literal data is elided first
    (:mod:`linter.parsing.elide`): ``Elided.restore`` puts it back into fixed text.
    """
    prepared = prepare(path, text)
    return prepared if isinstance(prepared, FileError) else parse_prepared(prepared)


def _nesting(text: str) -> int:
    """The deepest nesting of brackets and indented blocks, from the tokens;
    from the bracket characters alone when the tokenizer gives up."""
    deepest = depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.INDENT or (token.type == tokenize.OP and token.string in "([{"):
                depth += 1
            elif token.type == tokenize.DEDENT or (token.type == tokenize.OP and token.string in ")]}"):
                depth -= 1
            deepest = max(deepest, depth)
    except (tokenize.TokenError, SyntaxError):
        return max(deepest, _bracket_depth(text))
    return deepest


def _bracket_depth(text: str) -> int:
    deepest = depth = 0
    for character in text:
        if character in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]}":
            depth -= 1
    return deepest
