"""What ``warmstate fix`` does with the fixed texts: each real file once.

A module can be reached under several paths (a link to a sibling module, a
shared module linked into each function's directory), and each path is
analysed as what it is there: the same handler file may import another
``config.py`` in each function.  The fixes of one real file are applied only
when every path to it agrees on the fixed text; a fix right under one path
and wrong (or refused) under another is not written, and says so.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from linter.output.diagnostics import FileError
from linter.parsing.source import SourceError, write_atomically
from linter.runner import TaskResult, UnitResult


@dataclass
class Applied:
    """What applying the fixes did: the findings fixed, the files changed
    (or whose diff was shown), the errors."""

    fixed: int = 0
    changed_files: int = 0
    errors: List[FileError] = field(default_factory=list)


def apply_fixes(units: List[UnitResult], names: Dict[str, str], diff: bool) -> Applied:
    """Write each real file's fixed text once (print its diff with ``diff``);
    ``names`` maps a path to the one its file is reported under.  A unit with
    a file left as it was counts none of its findings as fixed: a reset for
    state in one file is written into another (the handler's), so which of
    them stay is not known, and a count is never more than was done."""
    by_file: Dict[str, List[Tuple[int, TaskResult]]] = {}
    for index, unit in enumerate(units):
        for result in unit.files:
            if result.outcome is not None:
                real = result.source.real_path if result.source is not None else result.path
                by_file.setdefault(real, []).append((index, result))
    applied, incomplete = Applied(), set()
    for paths in by_file.values():
        duplicated = _apply([result for _, result in paths], names, diff, applied)
        if duplicated is None:
            incomplete.update(index for index, _ in paths)
        else:
            applied.fixed -= duplicated
    applied.fixed += sum(unit.fixed for index, unit in enumerate(units) if index not in incomplete)
    return applied


def _apply(results: List[TaskResult], names: Dict[str, str], diff: bool, applied: Applied) -> Optional[int]:
    """Apply one real file's fix; the findings counted once per path beyond
    the first (one file's, found under each), or None when it was left as it was."""
    first = results[0]
    name = names.get(first.path, first.path)
    if len({result.outcome.fixed for result in results}) > 1:
        shown = ", ".join(sorted(result.path for result in results))
        applied.errors.append(FileError(name, f"cannot fix: reached as {shown}, whose fixes differ; not fixed"))
        return None
    gains = [max(result.outcome.found - len(result.diagnostics), 0) for result in results]
    outcome = first.outcome
    if outcome.changed and diff:
        import difflib  # only for --diff

        sys.stdout.writelines(difflib.unified_diff(outcome.original.splitlines(keepends=True),
                                                   outcome.fixed.splitlines(keepends=True), fromfile=name, tofile=name))
    elif outcome.changed:
        problem = _write(first.source, outcome.fixed)
        if problem is not None:  # left as it was: its findings are still there
            applied.errors.append(FileError(name, problem))
            return None
    applied.changed_files += outcome.changed
    return sum(gains) - max(gains)


def _write(source, text: str) -> Optional[str]:
    """Write a fixed file; why it was left as it was, or None."""
    try:
        write_atomically(source, text)
    except SourceError as error:
        return str(error)
    except OSError as error:
        return f"cannot write: {error.strerror or error}; not fixed"
    return None
