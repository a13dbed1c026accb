"""Values the invocation path writes on some invocations only and reads on
every one (LAM106): when the write does not run, the invocation reads what
the previous one left behind.

A *slot* is one value that outlives an invocation: a module-level name
rebound under ``global``, an attribute of a module-level object, a constant
key of a module-level dict (``METADATA["host"]``), or a variable of the
process environment (``os.environ["LOG_LEVEL"]``).

A write is *conditional* for a handler when it sits in an ``if``, loop,
``try`` or ``match``, after an early ``return``, or in a function the handler
does not call on every invocation.  It is *process-level*, and not a sticky
value, when its condition looks at a slot the path itself writes: lazy
initialisation (``if _client is None:``), a cache refreshed on a timer
(``if time.time() - LOADED_AT > TTL:``), a cold-start flag.

A handler *refreshes* a slot when the first thing each invocation does with
it is to write it (unconditionally, in every branch of an ``if`` or of a
``match`` ending in ``case _``, directly or in a function it always calls),
when it reads it only after writing it in the same branch or loop
iteration, or when it puts it back in a top-level ``finally:``.  The environment is read by
libraries where no code shows it, so a conditional write of it needs no
visible read to count.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Tuple

from linter.analysis.calls import ENVIRON as _ENVIRON_NAME, is_environ
from linter.summary.kinds import MAPPING_KINDS
from linter.summary.scanner import EXCEPT_CLAUSE

if TYPE_CHECKING:
    import libcst as cst

    from linter.analysis.api import Analysis, Context, StateKey
    from linter.analysis.handlers import Handler
    from linter.summary.scanner import FunctionInfo, Guard

ENVIRON = (_ENVIRON_NAME,)  # the state key of the process environment
_READ, _WRITE = "read", "write"


@dataclass(frozen=True)
class Slot:
    state: StateKey  # ENVIRON for the process environment
    item: Tuple[str, ...] = ()  # constant keys, outermost first (``'"host"'``)

    @property
    def is_environ(self) -> bool:
        return self.state == ENVIRON


@dataclass(frozen=True)
class Write:
    slot: Slot
    statement: cst.CSTNode
    function: FunctionInfo
    receiver: Optional[StateKey]
    handlers: Tuple[Handler, ...]
    unconditional: bool
    guards: Tuple[Guard, ...]
    branches: Optional[tuple]
    region: Optional[str]

    @property
    def context(self) -> Context:
        return (self.function.key, self.receiver)


@dataclass(frozen=True)
class ReadSite:
    slot_state: StateKey
    item: Tuple[str, ...]
    statement: cst.CSTNode
    function: FunctionInfo
    branches: Optional[tuple]


@dataclass(frozen=True)
class StickyValue:
    slot: Slot
    writes: Tuple[Write, ...]  # the writes that run on some invocations only, in source order
    handlers: Tuple[Handler, ...]  # handlers that read the slot without writing it first
    read: Optional[ReadSite]  # where a leaking handler reads it (None for the environment)


def _overlaps(a: Tuple[str, ...], b: Tuple[str, ...]) -> bool:
    """Keys that name the same value or one inside the other (() is the whole)."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


class Sticky:
    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self._reads: Dict[Context, List[ReadSite]] = {}
        self._resolved: Dict[Tuple[Context, int], List[ReadSite]] = {}  # by context and id of the scanned read
        self._step_changes: Dict[Tuple[Context, int], list] = {}  # by context and id of the step
        self._touch: Dict[Tuple[Context, Slot], Optional[str]] = {}
        self._always: Dict[Handler, Set[Context]] = {}

    # -- writes and reads ------------------------------------------------------
    @cached_property
    def writes(self) -> List[Write]:
        """Every write of a slot on the invocation path."""
        found = []
        for info, receiver, handlers in self.analysis.reached_functions:
            for step in info.all_steps():
                for slot, change in self._step_writes((info.key, receiver), step):
                    found.append(Write(slot, change.statement, info, receiver, handlers, change.unconditional,
                                       change.guards, change.branches, change.region))
        return found

    def _step_writes(self, context: Context, step) -> list:
        """(slot, reset or mutation) for each write of a slot in one step,
        found once: every slot asks about the steps of the functions it meets."""
        key = (context, id(step))
        if key not in self._step_changes:
            self._step_changes[key] = list(self._find_step_writes(context, step))
        return self._step_changes[key]

    def _find_step_writes(self, context: Context, step):
        analysis = self.analysis
        info = analysis.function(context[0])
        for reset in step.resets:
            if reset.item:  # ``X.pop("k", None)``, ``del X["k"]``: the key back to absent
                yield from self._item_slots(info, context[1], reset.path, reset.item, reset)
            elif reset.value is not None:  # not ``X.clear()``, ``X[:] = ...``: contents, not a value
                for state, path in analysis.names.resolve_states(info, context[1], reset.path):
                    if not path.element and analysis.owner(state) in ("module", "instance"):
                        yield Slot(state), reset
        for mutation in step.mutations:
            if not mutation.item or mutation.accumulates or mutation.appends or mutation.verb != "assigned an item":
                continue
            yield from self._item_slots(info, context[1], mutation.path, mutation.item, mutation)

    def _item_slots(self, info: FunctionInfo, receiver, path, item, change):
        """The slot a change of a constant key is for: of the environment, or of a module-level dict."""
        analysis = self.analysis
        if is_environ(analysis, info, path):
            yield Slot(ENVIRON, item[:1]), change
            return
        for state, _ in analysis.names.resolve_states(info, receiver, path):
            binding = analysis.states.get(state)
            if binding is not None and binding.kind in MAPPING_KINDS and analysis.owner(state) == "module":
                yield Slot(state, item), change

    def reads(self, context: Context) -> List[ReadSite]:
        """What ``context`` itself reads, as module-level state and keys."""
        if context not in self._reads:
            info = self.analysis.function(context[0])
            self._reads[context] = [
                site for step in info.all_steps() for read in step.reads
                for site in self._resolve_read(context, info, read)
            ] if info is not None else []
        return self._reads[context]

    def _resolve_read(self, context: Context, info: FunctionInfo, read) -> List[ReadSite]:
        """The state a scanned read means, resolved once."""
        key = (context, id(read))
        if key not in self._resolved:
            self._resolved[key] = self._find_read(info, context[1], read)
        return self._resolved[key]

    def _find_read(self, info: FunctionInfo, receiver, read) -> List[ReadSite]:
        path, item, statement, branches = read
        if is_environ(self.analysis, info, path):
            return [ReadSite(ENVIRON, item, statement, info, branches)]
        return [ReadSite(state, item, statement, info, branches)
                for state, _ in self.analysis.names.resolve_states(info, receiver, path)]

    @staticmethod
    def _reads_slot(site: ReadSite, slot: Slot) -> bool:
        """A read of the slot, of a key inside it, or of what holds it."""
        if site.slot_state == slot.state:
            return _overlaps(site.item, slot.item)
        return not site.item and slot.state[:len(site.slot_state)] == site.slot_state

    # -- conditions ------------------------------------------------------------
    def _conditional_for(self, write: Write, handler: Handler) -> bool:
        if handler not in self._always:
            self._always[handler] = self.analysis.always_run(handler)
        return not write.unconditional or bool(write.guards) or write.context not in self._always[handler]

    def _process_level(self, write: Write, written: Set[StateKey]) -> bool:
        """Whether the write runs once per process rather than per request:
        behind a look at a slot the path writes (lazy initialisation, a
        refresh on a timer, a cold-start flag), or when a lookup of the cache
        it fills failed (``except KeyError:``)."""
        from linter.analysis.guards import fills_after_failed_lookup, looks_at_written_state

        def holds(guard: Guard) -> bool:
            return looks_at_written_state(self.analysis, guard, written)

        return (any(holds(guard) for guard in write.guards)
                or self.analysis.path.always_guarded(write.context, "looks at written state", holds, True)
                or (write.region == EXCEPT_CLAUSE and fills_after_failed_lookup(write.function, write.statement)))

    # -- what each invocation does first ---------------------------------------
    def first_touch(self, context: Context, slot: Slot, active=frozenset()) -> Optional[str]:
        """``"write"`` when ``context`` writes the slot on every invocation
        before reading it, ``"read"`` when it may read it first, None when it
        does neither on every way through."""
        key = (context, slot)
        if key in self._touch:
            return self._touch[key]
        info = self.analysis.function(context[0])
        found = None
        if info is not None and context not in active:
            found = self._steps_touch(context, info, slot, active | {context})
        self._touch[key] = found
        return found

    def _steps_touch(self, context: Context, info: FunctionInfo, slot: Slot, active) -> Optional[str]:
        for step in info.steps:
            touch = self._step_touch(context, info, step, slot, active)
            if touch is not None:
                return touch
        return None

    def _step_touch(self, context: Context, info: FunctionInfo, step, slot: Slot, active) -> Optional[str]:
        """``"read"`` when one top-level statement may read the slot before
        writing it, ``"write"`` when it writes it whichever way its branches
        go; a read after a write in the same branch reads this invocation's value."""
        events = []  # (where, reads before writes, what, branches)
        for read in step.reads:
            if any(self._reads_slot(site, slot) for site in self._resolve_read(context, info, read)):
                events.append((read[2], 0, _READ, read[3]))
        for found, change in self._step_writes(context, step):
            if found == slot:
                events.append((change.statement, 1, _WRITE, change.branches))
        for call in step.calls:
            for callee in self.analysis.path.targets(info, context[1], call) if call.called else ():
                touch = self.first_touch(callee, slot, active)
                if touch is not None:
                    events.append((call.statement, 0 if touch == _READ else 1, touch, call.branches))
        if not events:
            return None
        written: List[tuple] = []
        for _, _, touch, branches in sorted(events, key=lambda event: (self._where(event[0], info), event[1])):
            if touch == _WRITE:
                written.append(branches)
            elif not any(_within(branches, write) for write in written):
                return _READ
        return _WRITE if _covers([w for w in written if w is not None], info.exits) else None

    def _where(self, statement, info: FunctionInfo) -> Tuple[int, int]:
        return self.analysis.position(statement, info) if statement is not None else (0, 0)

    def _always_writes(self, context: Context, step, slot: Slot) -> bool:
        """Whether one step writes the slot whichever way its ``if`` tests go."""
        written = [change for found, change in self._step_writes(context, step) if found == slot]
        paths = [change.branches for change in written if change.branches is not None]
        return bool(written) and _covers(paths, self.analysis.function(context[0]).exits)

    def _refreshes(self, handler: Handler, slot: Slot) -> bool:
        """Whether no invocation of ``handler`` can read the value a previous
        one left: each writes the slot before reading it (or reads it only
        after writing it in the same branch), or puts it back in a top-level
        ``finally:``.  Routes a framework dispatches to run on some
        invocations only, so a handler with routes is not taken to refresh a
        slot it does not write first; nor is the environment, which libraries
        read where no code shows it."""
        entries = self.analysis.path.entries(handler)
        for context, always in entries:
            if not always:
                continue
            info = self.analysis.function(context[0])
            if info is not None and any(self._always_writes(context, step, slot) for step in info.finally_steps):
                return True
            touch = self.first_touch(context, slot)
            if touch is not None:
                return touch == _WRITE
        return not slot.is_environ and all(always for _, always in entries)

    # -- the answer ------------------------------------------------------------
    @cached_property
    def values(self) -> List[StickyValue]:
        written = {write.slot.state for write in self.writes}
        by_slot: Dict[Slot, List[Write]] = {}
        for write in self.writes:
            if not self._process_level(write, written):
                by_slot.setdefault(write.slot, []).append(write)
        found = []
        for slot, writes in by_slot.items():
            sticky = self._sticky(slot, writes)
            if sticky is not None:
                found.append(sticky)
        return found

    def _sticky(self, slot: Slot, writes: Sequence[Write]) -> Optional[StickyValue]:
        reaching: List[Handler] = []
        for write in writes:
            reaching.extend(h for h in write.handlers if h not in reaching and self._conditional_for(write, h))
        leaking, read = [], None
        for handler in reaching:
            site = None if slot.is_environ else self._read_on_path(handler, slot)
            if (slot.is_environ or site is not None) and not self._refreshes(handler, slot):
                leaking.append(handler)
                read = read or site
        if not leaking:
            return None
        analysis = self.analysis
        conditional = sorted(
            (w for w in writes if any(h in w.handlers and self._conditional_for(w, h) for h in leaking)),
            key=lambda w: (w.function.module, analysis.line(w.statement, w.function)),
        )
        return StickyValue(slot, tuple(conditional), tuple(leaking), read)

    @cached_property
    def _reads_by_state(self) -> Dict[StateKey, List[Tuple[ReadSite, Tuple[Handler, ...]]]]:
        index: Dict[StateKey, list] = {}
        for info, receiver, handlers in self.analysis.reached_functions:
            for site in self.reads((info.key, receiver)):
                index.setdefault(site.slot_state, []).append((site, handlers))
        return index

    def _read_on_path(self, handler: Handler, slot: Slot) -> Optional[ReadSite]:
        """Where ``handler``'s path reads the slot (or what holds it), if it does."""
        holders = [slot.state[:length] for length in range(2, len(slot.state) + 1)]
        for state in holders:
            for site, handlers in self._reads_by_state.get(state, ()):
                if handler in handlers and self._reads_slot(site, slot):
                    return site
        return None


def _within(read: Optional[tuple], write: Optional[tuple]) -> bool:
    """Whether a read in ``read``'s branches runs only after a write in
    ``write``'s: the same branch, or one inside it."""
    return read is not None and write is not None and read[:len(write)] == write


def _covers(paths: List[tuple], exits) -> bool:
    """Whether changes in these branches run whichever way the tests go:
    one is unconditional, or every branch of the outermost ``if`` (every case
    of a ``match`` ending in ``case _``) has one or ends in ``return`` or
    ``raise``, all the way down."""
    if any(not path for path in paths):
        return True
    if not paths:
        return False
    head = paths[0][0][0]
    under: dict = {}
    for path in paths:
        if path[0][0] is head:
            under.setdefault(path[0][1], []).append(path[1:])
    return all((head, taken) in exits or (taken in under and _covers(under[taken], exits))
               for taken in _branches_of(head))


def _branches_of(node) -> tuple:
    """Every way through a branching statement (see ``Branch``)."""
    import libcst as cst

    if type(node) is cst.If:
        return (True, False)
    if type(node) is cst.Match:
        last = node.cases[-1].pattern
        wildcard = type(last) is cst.MatchAs and last.pattern is None and last.name is None
        return tuple(range(len(node.cases))) + (() if wildcard else ("no case",))
    if type(node) is cst.While and type(node.test) is cst.Name and node.test.value == "True":
        return (True,)
    return (True, False)  # a loop's body may not run
