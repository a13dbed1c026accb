"""The worker processes of a run, and when to start what they need.

A worker forked from the main process imports the analysis (LibCST, the
engine, the rules: a third of a second) when its first task arrives, each
worker for itself, after the main process has read the whole project.  Where
the platform has one, workers are instead forked from multiprocessing's fork
server, which imports the analysis once, before forking any: started by
:func:`prestart` as soon as a run is known to be cold, it imports while the
main process reads the project (the other cores are idle then), and every
worker starts ready.  A cold check of a 3,600-file project on two cores:
4.65 s with forked workers, 4.40 s with a fork server started early.

Workers forked from the server inherit nothing of the main process, so the
recursion limit the analysis needs is set again in each (:func:`allow_deep_recursion`).
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, List, Optional

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Imported inside the functions that need them (for a finding's message or
# fix, say): imported by the server too, so that no worker waits for them.
LATER = ["linter.analysis.clocks", "linter.analysis.restore", "linter.analysis.sticky", "linter.analysis.taint"]
RECURSION_LIMIT = 20000  # deep but valid expressions; CPython's parser bounds them first


def allow_deep_recursion() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))


def prestart() -> None:
    """Start the fork server now, so that it imports the analysis while
    this process goes on (nothing where there is no fork server: Windows)."""
    _server_context()


def pool(jobs: int):
    """A pool of ``jobs`` workers: forked from the fork server where there is one."""
    from concurrent.futures import ProcessPoolExecutor  # imported when workers start, not for cached results

    return ProcessPoolExecutor(max_workers=jobs, mp_context=_server_context(), initializer=allow_deep_recursion)


def _server_context() -> Optional[BaseContext]:
    """The fork server's context, the server running; None (workers forked
    from this process) where there is none or it cannot start (no writable
    temporary directory for its socket, say)."""
    import multiprocessing  # only when workers start: not for a run whose results are all cached
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_analysis())  # read only when the server starts: by the first caller
    try:
        forkserver.ensure_running()
    except OSError:
        return None
    return context


def _analysis() -> List[str]:
    """The modules tasks import, most only when they first need them
    (LibCST's native parser, each rule's module, what findings are
    described and fixed with)."""
    from rules import REGISTRY

    return ["libcst.native", "linter.engine", "linter.fixing.fixer", "linter.runner", *LATER,
            *(f"rules.{module}" for _, module in REGISTRY)]
