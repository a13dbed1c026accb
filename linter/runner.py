"""Run the per-file work of ``check`` and ``fix``, in worker processes when
there are enough files to pay for starting them.

Files are independent, so results come back in the order given; a worker
that dies (a crash in a native extension) costs a serial re-run, not the
results.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import List, Optional, Sequence

from linter.output.diagnostics import FileError
from linter.engine import FileOptions, lint_text
from linter.fixing.fixer import FixOutcome, fix_text
from linter.parsing.source import SourceError, SourceFile, read_source

PARALLEL_MINIMUM = 24  # below this, starting workers costs more than it saves


@dataclass(frozen=True)
class Task:
    path: str
    options: FileOptions
    fix: bool = False
    unsafe: bool = False


@dataclass
class TaskResult:
    path: str
    source: Optional[SourceFile] = None
    diagnostics: list = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    outcome: Optional[FixOutcome] = None


def _rules():
    from rules import ALL_RULES

    return ALL_RULES


def _without_edits(diagnostics) -> list:
    """Workers send back what reporters need; CST edits stay in the worker."""
    return [replace(d, fix=replace(d.fix, edits=())) if d.fix is not None else d for d in diagnostics]


def run_task(task: Task) -> TaskResult:
    try:
        source = read_source(task.path)
    except SourceError as error:
        return TaskResult(task.path, errors=[FileError(task.path, str(error))])
    if task.fix:
        outcome = fix_text(task.path, source.text, task.options, _rules(), task.unsafe)
        outcome.remaining = _without_edits(outcome.remaining)
        return TaskResult(task.path, source, outcome.remaining, outcome.errors, outcome)
    result = lint_text(task.path, source.text, task.options, _rules())
    return TaskResult(task.path, source, _without_edits(result.diagnostics), result.errors)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_tasks(tasks: Sequence[Task], jobs: int) -> List[TaskResult]:
    if jobs <= 1 or len(tasks) < PARALLEL_MINIMUM:
        return [run_task(task) for task in tasks]
    chunk = max(1, len(tasks) // (jobs * 4))
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(run_task, tasks, chunksize=chunk))
    except BrokenProcessPool:
        print("warmstate: a worker process crashed; running again in one process", file=sys.stderr)
        return [run_task(task) for task in tasks]
