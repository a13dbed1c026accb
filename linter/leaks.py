"""The query most rules share: state that the invocation path changes and a
handler does not reset on every invocation.

Rules decide which state they care about, which mutations count and what a
complete reset is; this module does the bookkeeping.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Set, Tuple

from linter.diagnostics import Fix
from linter.edits import PrependStatements
from linter.rule import Finding, handler_phrase

if TYPE_CHECKING:  # LibCST-free at run time, so rules import quickly
    from linter.invocation import Analysis, StateMutation
    from linter.model import Binding


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
    """Prepend ``statements`` to every leaking handler; unsafe for caches and batches."""
    if shadowed(analysis, leak):
        return None
    applicability = "unsafe" if analysis.looked_up(leak.state.key) else "safe"
    edits = tuple(PrependStatements((handler,), statements) for handler in leak.handlers)
    shown = "; ".join(statements)
    return Fix(applicability, f"Insert `{shown}` at the start of {handler_phrase(leak.handlers)}", edits)


def leak_message(analysis, leak, what: str, consequence: str) -> str:
    first = leak.first
    line = analysis.line(first.mutation.statement)
    return (
        f"{what} is {first.mutation.verb} in {first.function.display}() (line {line}), "
        f"reached from {handler_phrase(leak.handlers)}, and {consequence}"
    )


def reset_findings(analysis, code: str, leaks, describe, consequence: str, reset_statements):
    """One finding per leak, fixed by prepending ``reset_statements(name)`` to
    each leaking handler; ``describe(state)`` names the state in the message."""
    for leak in leaks:
        message = leak_message(analysis, leak, describe(leak.state), consequence)
        fix = reset_fix(analysis, leak, reset_statements(leak.state.display))
        yield Finding(code, leak.state.node, message, leak.handlers[0], fix)


def is_memo(analysis, key) -> bool:
    """A mapping the invocation path reads back by key and stores into by key:
    a cache (LAM202's), not a scratch container (LAM101's)."""
    if not analysis.looked_up(key):
        return False
    return any(
        item.state == key and item.mutation.keys and not item.path.element for item in analysis.state_mutations
    )
