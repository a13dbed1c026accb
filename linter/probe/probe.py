"""``probe``: run a handler warm and cold on the same events and report.

Used by ``warmstate probe`` and by the ``warm_invoke`` pytest fixture.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from linter.probe.compare import Difference, differences
from linter.probe.report import locate, render, state_files
from linter.probe.runs import warm_and_cold
from linter.probe.target import Target


@dataclass
class ProbeReport:
    """What a probe found: ``consistent`` when every invocation after the
    first did warm what it does cold; ``problems`` when the handler could not
    be run (import error, crash, hang, ``sys.exit``), which is never taken for a result."""

    target: Target
    events: int
    differences: List[Difference] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.differences and not self.problems

    @property
    def diff(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> List[str]:
        head = f"{self.target.describe()}: {self.events} events, warm (one interpreter) and cold (one per event)"
        if self.problems:
            return [f"{head}: cannot run", *("  " + problem for problem in self.problems)]
        if not self.differences:
            return [f"{head}: consistent", *self.notes]
        return [f"{head}: warm differs from cold", *render(self.differences, self.events), *self.notes]


def probe(target: Target, events: Sequence[dict], setup: Optional[str] = None, timeout: float = 60.0,
          environment: Optional[dict] = None, static: Optional[Callable[[List[str]], list]] = None,
          keep_times: bool = False, allow: Sequence[str] = ()) -> ProbeReport:
    """Run ``target`` warm and cold on ``events`` (at least two).  ``static``
    gives warmstate's findings for a list of files, to name the rule that finds
    each differing piece of state.  With ``keep_times`` (a setup file freezes
    the clock), times are compared, not masked.  State matching a pattern of
    ``allow`` (``app.price``, ``*.CACHE``) is meant to outlive invocations (a
    bounded cache): it may differ."""
    events = list(events)
    report = ProbeReport(target, len(events))
    warm, cold, again = warm_and_cold(target, events, setup, timeout, environment, keep_times)
    report.problems = _failed_runs(warm, cold, again)
    if report.problems:
        return report
    warm_records = warm["invocations"]
    cold_records, again_records = ([run["invocations"][0] for run in runs] for runs in (cold, again))
    _check_outcomes(report, warm_records, cold_records)
    if report.problems:
        return report
    found = differences(warm_records, cold_records, again_records)
    allowed = [d for d in found if d.kind and any(fnmatch.fnmatchcase(d.what, pattern) for pattern in allow)]
    report.differences = [d for d in found if d not in allowed]
    if allowed:
        report.notes.append("allowed to differ: " + ", ".join(dict.fromkeys(d.what for d in allowed)))
    if report.differences:
        diagnostics = static([target.path, *state_files(report.differences)]) if static is not None else []
        report.differences = locate(report.differences, diagnostics)
    return report


def _failed_runs(warm: dict, cold: List[dict], again: List[dict]) -> List[str]:
    """Why runs gave no result, each reason once with the runs it stopped."""
    runs = [("the warm run", warm), *((f"a cold run of event {n}", run) for n, run in enumerate(cold, start=2)),
            *((f"the second cold run of event {n}", run) for n, run in enumerate(again, start=2))]
    failures: dict = {}
    for name, run in runs:
        if run.get("error"):
            failures.setdefault(run["error"], []).append(name)
    return [f"{', '.join(names)}: {error}" for error, names in failures.items()]


def _check_outcomes(report: ProbeReport, warm: List[dict], cold: List[dict]) -> None:
    """A ``sys.exit`` ends the environment: a problem.  An event that raises
    cold too is a note, and a problem when every event does."""
    for number, record in enumerate(warm, start=1):
        if record.get("exited") is not None:
            report.problems.append(f"the warm run: invocation {number} called sys.exit({record['exited']})")
    for number, record in enumerate(cold, start=2):
        if record.get("exited") is not None:
            report.problems.append(f"a cold run of event {number}: it called sys.exit({record['exited']})")
        elif record.get("raised") is not None:
            report.notes.append(f"note: event {number} raises in a fresh interpreter too ({record['raised']}): "
                                "give events the handler accepts (--events, --trigger)")
    if all(record.get("raised") is not None for record in cold):
        report.problems.append("every event after the first raises in a fresh interpreter: nothing to compare; "
                               "give events the handler accepts (--events, --trigger)")
