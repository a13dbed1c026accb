"""Parse a module with LibCST, behind CPython's parser as a guard."""
from __future__ import annotations

import ast

import libcst as cst

from linter.output.diagnostics import FileError


def parse(path: str, text: str):
    """(LibCST module, CPython AST), or a FileError.

    CPython's own parser runs first: it is several times faster, rejects
    nesting it could not run anyway with a clean error, and so keeps
    pathological input away from LibCST's native parser, which can crash the
    process on it.
    """
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as error:
        return FileError(path, f"cannot parse: {error.msg}", error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return FileError(path, "cannot parse: nested too deeply")
    try:
        return cst.parse_module(text), tree
    except cst.ParserSyntaxError as error:
        return FileError(path, f"cannot parse: {error.message}", error.raw_line, error.raw_column + 1)
