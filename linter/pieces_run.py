"""Run units cut into pieces (:mod:`linter.project.pieces`) and put each
unit's results back together, exactly as analysing it whole would give them.

Pieces are tasks like any other: run in parallel, each cached on its own, so
a change to one service's file analyses that service's piece again and reads
the others back.  A finding in a file only one piece holds is that piece's
alone.  A file several pieces hold may be reached from handlers of several
of them: unless every piece that analyses it finds exactly the same there
(one naming handler ``a()`` where another names ``b()``, or finds nothing,
and the whole unit would name both), the pieces' results are set aside and
the unit is analysed whole.

``fix`` runs piece by piece too: a fix edits the handlers that reach the
state, and they are in the piece that finds it.  Pieces must then also agree
on each shared file's fixed text and on what is left in it, and none may
have set a fix aside (which stops the whole unit's rounds for every file).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

from linter.cache import ResultCache
from linter.runner import Task, TaskResult, UnitResult, fixed_findings, run_tasks


@dataclass(frozen=True)
class Split:
    """A unit (``whole``) and the tasks of its pieces."""

    whole: Task
    pieces: Tuple[Task, ...]


def run_work(work: Sequence[Union[Task, Split]], jobs: int, cache: Optional[ResultCache] = None,
             digests: Optional[Dict[str, str]] = None) -> List[UnitResult]:
    """The result of each task or split unit, in order."""
    flat = [task for item in work for task in (item.pieces if isinstance(item, Split) else (item,))]
    done = iter(run_tasks(flat, jobs, cache, digests))
    results: List[Optional[UnitResult]] = []
    for item in work:
        results.append(merged([next(done) for _ in item.pieces]) if isinstance(item, Split) else next(done))
    whole = [i for i, result in enumerate(results) if result is None]
    for i, result in zip(whole, run_tasks([work[i].whole for i in whole], jobs, cache, digests)):
        results[i] = result
    return results


def merged(parts: Sequence[UnitResult]) -> Optional[UnitResult]:
    """The unit's result from its pieces' results, or None when two pieces
    describe a finding in a file they share differently (for ``fix``, also
    its fixed text and what is left in it), or a piece set a fix aside (the
    whole unit's rounds would have stopped there, for every piece)."""
    if not _agree(parts) or any(part.dropped for part in parts):
        return None
    by_path: Dict[str, TaskResult] = {}
    copied = set()  # the files several parts report: their results are put together in a copy
    for part in parts:
        for result in part.files:
            kept = by_path.get(result.path)
            if kept is None:
                by_path[result.path] = result
                continue
            if result.path not in copied:
                copied.add(result.path)
                kept = by_path[result.path] = TaskResult(kept.path, kept.source, list(kept.diagnostics),
                                                         list(kept.errors), kept.outcome)
            kept.diagnostics.extend(d for d in result.diagnostics if d not in kept.diagnostics)
            kept.errors.extend(e for e in result.errors if e not in kept.errors)
    digests = {path: digest for part in parts for path, digest in part.digests.items()}
    return UnitResult(list(by_path.values()), _fixed(parts, by_path.values()), digests=digests)


def _fixed(parts: Sequence[UnitResult], files) -> int:
    """Findings fixing removed from the unit, each file counted once (a piece
    read back from the cache fixed nothing)."""
    counts = {path: count for part in parts for path, count in part.counts.items()}
    return fixed_findings(counts, any(file.outcome is not None and file.outcome.changed for file in files))


def _agree(parts: Sequence[UnitResult]) -> bool:
    """Whether every piece that analysed a shared file found the same there.
    One that finds nothing where another finds a leak disagrees too: the
    whole unit's message may name what the quiet piece holds (a reset in
    another function, or the handler that makes a function a helper)."""
    found: Dict[str, List[str]] = {}
    for part in parts:
        for path, witnesses in part.witnesses.items():
            if found.setdefault(path, witnesses) != witnesses:
                return False
    return True
