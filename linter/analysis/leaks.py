"""The query most rules share: state that the invocation path changes and a
handler does not reset on every invocation.

Rules decide which state they care about, which mutations count and what a
complete reset is; this module does the bookkeeping.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Set, Tuple

from linter.analysis.rule import Finding, handler_phrase, reached_from, where_in
from linter.output.diagnostics import Fix

if TYPE_CHECKING:  # LibCST-free at run time, so rules import quickly
    from linter.analysis.api import Analysis, StateMutation
    from linter.analysis.handlers import Handler
    from linter.summary.model import Binding


@dataclass(frozen=True)
class Leak:
    state: Binding
    mutations: Tuple[StateMutation, ...]  # in source order
    handlers: Tuple[Handler, ...]  # handlers that reach a mutation and do not reset

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
        reaching: List[Handler] = []
        for item in items:
            reaching.extend(h for h in item.handlers if h not in reaching)
        leaking = tuple(h for h in reaching if not is_complete_reset(analysis.reset_kinds(h, key)))
        if leaking:
            ordered = tuple(sorted(items, key=lambda i: (i.function.module, analysis.line(i.mutation.statement, i.function))))
            yield Leak(analysis.states[key], ordered, leaking)


def owner(analysis: Analysis, key: Tuple[str, ...]) -> str:
    """"module" (a module-level name), "instance" (an attribute of a
    module-level object) or "class" (a class attribute)."""
    return analysis.owner(key)


def reset_fix(analysis: Analysis, leak: Leak, statements: Callable[[str], Optional[Tuple[str, ...]]],
              relied_on: Optional[Callable[[Tuple[str, ...]], bool]] = None):
    """(fix, problem): prepend the reset to every leaking handler, spelled as
    the handler's module names the state (importing it when it must); unsafe
    when a later invocation may rely on what is left (``relied_on``, by
    default: read back as a cache or a batch), and when the import would
    close an import cycle.
    No fix, and the problem that prevents it, when no statement restores the
    state's import-time contents or the reset would not reach it or would
    undo this invocation's own work."""
    from linter.analysis.fixes import insert_in_handlers
    from linter.analysis.restore import why_not_restorable

    if statements(leak.state.display) is None:
        return None, why_not_restorable(analysis, leak.state)
    inserted = insert_in_handlers(analysis, leak.handlers, leak.state.key, statements)
    if inserted.problem is not None:
        return None, inserted.problem
    relied_on = relied_on or analysis.looked_up
    applicability = "unsafe" if relied_on(leak.state.key) or inserted.cyclic else "safe"
    where = inserted.place(leak.handlers, leak.state.module)
    return Fix(applicability, f"Insert `{'; '.join(inserted.shown)}` at the start of {where}", inserted.edits), None


def rebind_fix(analysis: Analysis, binding: Binding, handlers, unsafe: bool, initial: Optional[str] = None):
    """(fix, problem) for a module-level name (or a closure's variable):
    rebind it at the start of each handler, under ``global`` (``nonlocal``),
    to ``initial`` (by default its import-time value, when the source shows
    it).  Only a handler of the name's own module (a function of the
    closure) can rebind it; a name of another module gets no fix."""
    from linter.analysis.restore import initial_value_source, why_not_restorable
    from linter.fixing.edits import PrependStatements

    name = binding.key[-1]
    closure = analysis.states.is_closure_variable(binding.key)
    initial = initial or initial_value_source(analysis, binding)
    if initial is None:
        return None, why_not_restorable(analysis, binding)
    if closure and any(h.key[:2] != binding.key[:2] for h in handlers):
        return None, "only a function of the closure can rebind it"
    if any(h.module != binding.module or not h.has_body for h in handlers):
        return None, "only a handler function of its own module can rebind it"
    if any(analysis.function(h.key).is_local(name) for h in handlers):
        return None, "a handler has a local variable of the same name"
    edits = []
    for handler in handlers:
        info = analysis.function(handler.key)
        declared = name in (info.nonlocals if closure else info.globals)
        declaration = f"{'nonlocal' if closure else 'global'} {name}"
        statements = (f"{name} = {initial}",) if declared else (declaration, f"{name} = {initial}")
        edits.append(PrependStatements(handler.key, statements))
    message = f"Reset `{name} = {initial}` at the start of {handler_phrase(handlers)}"
    return Fix("unsafe" if unsafe else "safe", message, tuple(edits)), None


@dataclass(frozen=True)
class Consequence:
    """How a message ends: ``never`` when nothing resets the state, ``partly``
    (followed by which reset was found and why it does not count) otherwise."""

    never: str
    partly: str


def leak_message(analysis, leak, what: str, consequence: Consequence, is_complete_reset) -> str:
    first = leak.first
    note = reset_note(analysis, leak, is_complete_reset)
    ending = consequence.never if note is None else f"{consequence.partly}: {note}"
    return (
        f"{what} is {first.mutation.verb} in {where_in(analysis, first.mutation.statement, first.function, leak.state.module)}, "
        f"reached from {reached_from(analysis, leak.handlers, first.function, leak.state.module, first.receiver)}, "
        f"and {ending}"
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
    what = site.reset.shown or (f"`{shown}`" if len(shown) <= _SHOWN_LENGTH and "\n" not in shown else "the reset")
    where = f"{what} in {where_in(analysis, statement, site.function, leak.state.module)}"
    if handler not in site.handlers:
        return f"{where} does not run when {handler.name}() is invoked"
    if not is_complete_reset({site.reset.kind}):
        return f"{where} {_INCOMPLETE.get(site.reset.kind, 'does not empty it')}"
    if not site.reset.unconditional:
        return f"{where} runs only on some invocations (it is inside {site.reset.region or 'a condition'})"
    context = (site.function.key, site.receiver)
    if context not in analysis.always_run(handler):
        return f"{where} does not run on every invocation of {handler.name}(): {analysis.path.why_not_always(handler, context)}"
    return (
        f"{where} runs after the change (line {analysis.line(leak.first.mutation.statement, leak.first.function)}) "
        "and outside a `finally:`, so an exception in between skips it"
    )


def reset_findings(analysis, code: str, leaks, describe, consequence: Consequence, is_complete_reset):
    """One finding per leak, fixed by prepending the statements that restore
    the state's import-time contents to each leaking handler;
    ``describe(state)`` names the state."""
    from linter.analysis.restore import restore_in_place  # LibCST: only once there is something to report

    for leak in leaks:
        message = leak_message(analysis, leak, describe(leak.state), consequence, is_complete_reset)
        fix, problem = reset_fix(analysis, leak, lambda name, state=leak.state: restore_in_place(analysis, state, name))
        if problem is not None:
            message += f" (no automatic fix: {problem})"
        yield Finding(code, leak.state.node, message, tuple(leak.handlers), fix, leak.state.module)


def is_memo(analysis, key) -> bool:
    """A mapping the invocation path reads back by key and stores into by key:
    a cache (LAM202's), not a scratch container (LAM101's)."""
    if not analysis.looked_up(key):
        return False
    # ``X.setdefault(k, []).append(v)`` stores an empty container to grow: grouping, not caching
    return any(
        item.state == key and item.mutation.keys and not item.path.element and not item.mutation.groups
        for item in analysis.state_mutations
    )
