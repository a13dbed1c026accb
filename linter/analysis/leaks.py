"""The query most rules share: state that the invocation path changes and a
handler does not reset on every invocation.

Rules decide which state they care about, which mutations count and what a
complete reset is; this module does the bookkeeping.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Set, Tuple

from linter.output.diagnostics import Fix
from linter.fixing.edits import PrependStatements
from linter.analysis.rule import Finding, handler_phrase

if TYPE_CHECKING:  # LibCST-free at run time, so rules import quickly
    from linter.analysis.invocation import Analysis, StateMutation
    from linter.summary.model import Binding


@dataclass(frozen=True)
class Leak:
    state: Binding
    mutations: Tuple[StateMutation, ...]  # in source order
    handlers: Tuple[str, ...]  # handlers that reach a mutation and do not reset

    @property
    def first(self) -> StateMutation:
        return self.mutations[0]


def find_leaks(
    analysis: Analysis,
    wants_state: Callable[[Tuple[str, ...], Binding], bool],
    counts: Callable[[Binding, StateMutation], bool],
    is_complete_reset: Callable[[Set[str]], bool],
) -> Iterator[Leak]:
    by_state = {}
    for item in analysis.state_mutations:
        binding = analysis.states[item.state]
        if wants_state(item.state, binding) and counts(binding, item):
            by_state.setdefault(item.state, []).append(item)
    for key, items in by_state.items():
        reaching: List[str] = []
        for item in items:
            reaching.extend(h for h in item.handlers if h not in reaching)
        leaking = tuple(h for h in reaching if not is_complete_reset(analysis.reset_kinds(h, key)))
        if leaking:
            ordered = tuple(sorted(items, key=lambda i: analysis.position(i.mutation.statement)))
            yield Leak(analysis.states[key], ordered, leaking)


def owner(analysis: Analysis, key: Tuple[str, ...]) -> str:
    """"module" (a module-level name), "instance" (an attribute of a
    module-level object) or "class" (a class attribute)."""
    if len(key) == 1:
        return "module"
    return "class" if key[0] in analysis.model.classes else "instance"


def shadowed(analysis, leak) -> bool:
    """Whether a leaking handler has a local of the state's name, so a reset
    inserted there would not reach the module-level object."""
    root = leak.state.key[0]
    return any(analysis.model.function((h,)).is_local(root) for h in leak.handlers)


def reset_fix(analysis, leak, statements) -> Optional[Fix]:
    """Prepend ``statements`` to every leaking handler; unsafe for caches and
    batches.  No fix when there is no statement that restores the state's
    import-time contents, or a handler shadows it."""
    if statements is None or shadowed(analysis, leak):
        return None
    applicability = "unsafe" if analysis.looked_up(leak.state.key) else "safe"
    edits = tuple(PrependStatements((handler,), statements) for handler in leak.handlers)
    shown = "; ".join(statements)
    return Fix(applicability, f"Insert `{shown}` at the start of {handler_phrase(leak.handlers)}", edits)


@dataclass(frozen=True)
class Consequence:
    """How a message ends: ``never`` when nothing resets the state, ``partly``
    (followed by which reset was found and why it does not count) otherwise."""

    never: str
    partly: str


def leak_message(analysis, leak, what: str, consequence: Consequence, is_complete_reset) -> str:
    first = leak.first
    line = analysis.line(first.mutation.statement)
    note = reset_note(analysis, leak, is_complete_reset)
    ending = consequence.never if note is None else f"{consequence.partly}: {note}"
    return (
        f"{what} is {first.mutation.verb} in {first.function.display}() (line {line}), "
        f"reached from {handler_phrase(leak.handlers)}, and {ending}"
    )


_SHOWN_LENGTH = 40  # longer resets are called "the reset" in messages
_INCOMPLETE = {
    "evict": "only removes some entries",
    "truncate": "empties it without `seek(0)`, so the next write starts at the old position",
    "seek0": "rewinds it without `truncate()`, so shorter output keeps the end of the previous one",
}


def reset_note(analysis, leak, is_complete_reset) -> Optional[str]:
    """Which reset of the leaking state the first leaking handler reaches, and
    why it does not count as a per-invocation reset; None when there is none.
    A reader who sees a reset in the code must find it named."""
    handler = leak.handlers[0]
    sites = analysis.reset_sites(leak.state.key)
    if not sites:
        return None
    site = next((site for site in sites if handler in site.handlers), sites[0])
    statement = site.reset.statement
    shown = analysis.source(statement).strip()
    what = f"`{shown}`" if len(shown) <= _SHOWN_LENGTH and "\n" not in shown else "the reset"
    where = f"{what} in {site.function.display}() (line {analysis.line(statement)})"
    if handler not in site.handlers:
        return f"{where} does not run when {handler}() is invoked"
    if not is_complete_reset({site.reset.kind}):
        return f"{where} {_INCOMPLETE.get(site.reset.kind, 'does not empty it')}"
    if not site.reset.unconditional:
        return f"{where} runs only on some invocations (inside an `if`, a loop or an `except`)"
    if (site.function.key, site.receiver) not in analysis.always_run(handler):
        return f"{where} is not reached on every invocation of {handler}() (a condition or an early return skips it)"
    return (
        f"{where} runs after the change (line {analysis.line(leak.first.mutation.statement)}) and outside a "
        "`finally:`, so an exception in between skips it"
    )


def reset_findings(analysis, code: str, leaks, describe, consequence: Consequence, is_complete_reset):
    """One finding per leak, fixed by prepending the statements that restore
    the state's import-time contents to each leaking handler;
    ``describe(state)`` names the state."""
    from linter.analysis.restore import restore_in_place  # LibCST: only once there is something to report

    for leak in leaks:
        message = leak_message(analysis, leak, describe(leak.state), consequence, is_complete_reset)
        fix = reset_fix(analysis, leak, restore_in_place(analysis, leak.state))
        yield Finding(code, leak.state.node, message, leak.handlers[0], fix)


def is_memo(analysis, key) -> bool:
    """A mapping the invocation path reads back by key and stores into by key:
    a cache (LAM202's), not a scratch container (LAM101's)."""
    if not analysis.looked_up(key):
        return False
    return any(
        item.state == key and item.mutation.keys and not item.path.element for item in analysis.state_mutations
    )
