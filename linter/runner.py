"""Run the work of ``check`` and ``fix`` unit by unit, in worker processes
when there is enough of it to pay for starting them.

A unit is a group of files that import each other (:mod:`linter.project.units`):
files in different units cannot reach each other, so units are independent
and results come back in the order given.  A worker that dies (a crash in a
native extension) costs a serial re-run, not the results.  With a cache
(:mod:`linter.cache`), a unit whose inputs are unchanged is not run at all.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Tuple

from linter.cache import ResultCache
from linter.output.diagnostics import FileError
from linter.parsing.source import SourceError, SourceFile, read_source
from linter.project.file_options import FileOptions
from linter.project.file_facts import text_digest
from linter.project.layout import Layout
from linter.project.requirements import declared_requirements, requirement_directories

if TYPE_CHECKING:
    from linter.fixing.fixer import FixOutcome

PARALLEL_MINIMUM = 24  # files; below this, starting workers costs more than it saves
BATCHES_PER_JOB = 16  # the last batch is what one worker may still run while the others wait


@dataclass(frozen=True)
class Task:
    """One unit: its files (each with its options), those the user asked about."""

    files: Tuple[Tuple[str, FileOptions], ...]
    requested: FrozenSet[str]
    layout: Optional[Layout] = None
    fix: bool = False
    unsafe: bool = False
    shared: FrozenSet[str] = frozenset()  # a piece's files that other pieces hold too (linter.project.pieces)
    declared_in: Optional[Tuple[str, ...]] = None  # a piece's: where its whole unit's library versions are declared
    possible: Optional[FrozenSet[str]] = None  # the files that may hold a handler, by their facts (None: any)

    def requirement_directories(self) -> List[str]:
        """Where the library versions the unit's findings depend on are declared."""
        if self.declared_in is not None:
            return list(self.declared_in)
        return requirement_directories(self.layout.root if self.layout else None, [path for path, _ in self.files])


@dataclass
class TaskResult:
    path: str
    source: Optional[SourceFile] = None
    diagnostics: list = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    outcome: Optional[FixOutcome] = None


@dataclass
class UnitResult:
    files: List[TaskResult]  # the requested files, and any other file a fix changed
    fixed: int = 0  # findings fixing removed
    digests: Dict[str, str] = field(default_factory=dict)  # of the texts analysed: what a cached result is valid for
    witnesses: Dict[str, List[str]] = field(default_factory=dict)  # what a piece found in the shared files it analysed
    counts: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # fix: each file's findings before and after
    dropped: bool = False  # fix: a fix was set aside, which stops the rounds of the whole unit


def _rules():
    from rules import ALL_RULES

    return ALL_RULES


def _without_edits(diagnostics) -> list:
    """Workers send back what reporters need; CST edits stay in the worker."""
    return [replace(d, fix=replace(d.fix, edits=())) if d.fix is not None else d for d in diagnostics]


def run_task(task: Task, declared: Optional[dict] = None) -> UnitResult:
    """``declared``: what each directory declares, as read by earlier tasks of the run."""
    from linter.engine import no_cyclic_collection  # LibCST: only when a unit is analysed, not read back

    with no_cyclic_collection():  # until the unit's trees are dropped, when _run_task returns
        return _run_task(task, declared)


def _run_task(task: Task, declared: Optional[dict]) -> UnitResult:
    from linter.engine import SourceText, lint_sources
    from linter.fixing.fixer import fix_sources

    sources: Dict[str, SourceFile] = {}
    unreadable: List[FileError] = []
    texts = []
    for path, options in task.files:
        try:
            sources[path] = read_source(path)
        except SourceError as error:
            unreadable.append(FileError(path, str(error)))
            continue
        texts.append(SourceText(path, sources[path].text, options, task.possible is None or path in task.possible))
    digests = {} if unreadable else {path: text_digest(source.text) for path, source in sources.items()}
    results = [TaskResult(error.path, errors=[error]) for error in unreadable if error.path in task.requested]
    requirements = declared_requirements(task.requirement_directories(), declared)
    if task.fix:
        outcomes = fix_sources(texts, _rules(), task.unsafe, task.layout, requirements, task.requested, task.shared)
        counts = {path: (outcome.found, len(outcome.remaining)) for path, outcome in outcomes.items()}
        for path, outcome in outcomes.items():
            if path in task.requested or outcome.changed:
                outcome.remaining = _without_edits(outcome.remaining) if path in task.requested else []
                errors = outcome.errors if path in task.requested else []
                results.append(TaskResult(path, sources[path], outcome.remaining, errors, outcome))
        witnesses = {path: outcome.witnesses for path, outcome in outcomes.items()
                     if path in task.shared and outcome.witnesses is not None}
        fixed = fixed_findings(counts, any(outcome.changed for outcome in outcomes.values()))
        return UnitResult(results, fixed, witnesses=witnesses, counts=counts,
                          dropped=any(outcome.dropped for outcome in outcomes.values()))
    witnesses = {}
    for path, result in lint_sources(texts, _rules(), task.layout, requirements, task.requested, task.shared).items():
        if path in task.requested:
            results.append(TaskResult(path, sources[path], _without_edits(result.diagnostics), result.errors))
        if path in task.shared and result.module is not None:  # analysed here: on this piece's invocation path
            witnesses[path] = sorted(result.witnesses)
    return UnitResult(results, digests=digests, witnesses=witnesses)


def fixed_findings(counts: Dict[str, Tuple[int, int]], changed: bool) -> int:
    """Findings fixing removed over a unit's files (``counts``: each file's
    findings before and after), none when no file changed."""
    if not changed:
        return 0
    return max(sum(found for found, _ in counts.values()) - sum(left for _, left in counts.values()), 0)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_tasks(tasks: Sequence[Task], jobs: int, cache: Optional[ResultCache] = None,
              digests: Optional[Dict[str, str]] = None) -> List[UnitResult]:
    """The result of each task; with a cache, ``digests`` are those of the
    files' texts as read for the import graph, which decide whether a stored result holds."""
    if cache is None:
        return _run_all(tasks, jobs)
    digests = digests or {}
    keys = [cache.key(task, digests) for task in tasks]
    results: List[Optional[UnitResult]] = [_cached(cache.load(key), task) for key, task in zip(keys, tasks)]
    missing = [i for i, result in enumerate(results) if result is None]
    for i, result in zip(missing, _run_all([tasks[i] for i in missing], jobs)):
        results[i] = result
        unchanged = all(result.digests.get(path) == digests.get(path) for path, _ in tasks[i].files)
        if not tasks[i].fix and unchanged:  # a file changed while it was analysed: its key would lie
            cache.store(keys[i], result)
    return results


def _cached(result: Optional[UnitResult], task: Task) -> Optional[UnitResult]:
    """A stored ``check`` result, as the result of ``task``: for ``fix``,
    only when it has nothing to fix (nothing is then written)."""
    if result is None or not task.fix:
        return result
    if any(diagnostic.fixed_by(task.unsafe) for file in result.files for diagnostic in file.diagnostics):
        return None
    return result


def _run_all(tasks: Sequence[Task], jobs: int) -> List[UnitResult]:
    if jobs <= 1 or len(tasks) < 2 or sum(len(task.files) for task in tasks) < PARALLEL_MINIMUM:
        return _run_batch(tasks)
    from concurrent.futures import ProcessPoolExecutor  # imported when workers start, not for cached results
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            batches = _batches(tasks, jobs)
            results = pool.map(_run_batch, [[tasks[i] for i in batch] for batch in batches])
            done = {i: result for batch, batch_results in zip(batches, results) for i, result in zip(batch, batch_results)}
    except BrokenProcessPool:
        print("warmstate: a worker process crashed; running again in one process", file=sys.stderr)
        return _run_batch(tasks)
    return [done[i] for i in range(len(tasks))]


def _batches(tasks: Sequence[Task], jobs: int) -> List[List[int]]:
    """Task indexes in batches of about equal work for the workers, largest
    first (a large piece alone, single-file units together): one batch is
    one message, and the layout the tasks share is sent once per batch.
    Work is counted in bytes of text: a piece of handler modules costs many
    times a piece of tests of the same number of files."""
    weights = [_bytes(task) for task in tasks]
    ordered = sorted(range(len(tasks)), key=lambda i: -weights[i])
    target = max(1, sum(weights) // (jobs * BATCHES_PER_JOB))
    batches: List[List[int]] = [[]]
    size = 0
    for i in ordered:
        if size >= target:
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += weights[i]
    return batches


def _bytes(task: Task) -> int:
    total = 0
    for path, _ in task.files:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def _run_batch(tasks: Sequence[Task]) -> List[UnitResult]:
    declared: dict = {}
    return [run_task(task, declared) for task in tasks]
