"""What the invocation path does to module-level state: where it mutates it,
where it reads it back, and whether a handler resets it on every invocation
(unconditionally before the first change, directly or in a function it
always calls, or in a ``finally:`` that always runs).

Every answer is computed on first use and kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Iterator, List, Optional, Set, Tuple

from linter.analysis.handlers import Handler
from linter.analysis.names import Context, Names
from linter.analysis.project import ProjectModel
from linter.analysis.reach import InvocationPath
from linter.analysis.states import StateKey
from linter.summary.scanner import FunctionInfo, Mutation, RefPath, Reset

ResetKinds = Dict[StateKey, Set[str]]


@dataclass(frozen=True)
class StateMutation:
    """A mutation of module-level state somewhere on the invocation path."""

    state: StateKey
    mutation: Mutation
    function: FunctionInfo
    path: RefPath  # the reference after alias resolution
    handlers: Tuple[Handler, ...]
    receiver: Optional[StateKey] = None  # the module-level object a method runs on

    @property
    def context(self) -> Context:
        return (self.function.key, self.receiver)


@dataclass(frozen=True)
class ResetSite:
    """A reset of module-level state somewhere on the invocation path,
    whether or not it counts as a per-invocation reset."""

    state: StateKey
    reset: Reset
    function: FunctionInfo
    receiver: Optional[StateKey]
    handlers: Tuple[Handler, ...]


class Effects:
    def __init__(self, project: ProjectModel, names: Names, path: InvocationPath):
        self.project = project
        self.names = names
        self.path = path
        self._mutated: Dict[Context, Set[StateKey]] = {}
        self._resets_first: Dict[Context, ResetKinds] = {}
        self._finally_resets: Dict[Context, ResetKinds] = {}

    @cached_property
    def state_mutations(self) -> List[StateMutation]:
        found = []
        for info, receiver, handlers in self.path.reached_functions:
            for step in info.all_steps():
                for mutation in step.mutations:
                    for state, path in self.names.resolve_states(info, receiver, mutation.path):
                        reaching = self._passed_by(info, mutation.path, state, handlers)
                        if reaching:
                            found.append(StateMutation(state, mutation, info, path, reaching, receiver))
        return found

    def _passed_by(self, info: FunctionInfo, path: RefPath, state: StateKey, handlers) -> Tuple[Handler, ...]:
        """The handlers that change ``state`` through ``path``: for a parameter
        given the state by call sites, only those reaching such a call site
        (``record(REGISTRY, ...)`` at import or in another handler does not
        make this handler's ``record(local, ...)`` change REGISTRY)."""
        passers = self.names.arguments.passers_of(info, path, state) if self.names.arguments else None
        if passers is None:
            return handlers
        reaching = {handler for caller in passers for handler in self.path.handlers_of(caller)}
        return tuple(handler for handler in handlers if handler in reaching)

    def compared(self, state: StateKey) -> bool:
        """Whether the invocation path compares ``state`` or a value in it
        (``if STATS["errors"] > LIMIT``): a running total kept on purpose."""
        return state in self._compared_states

    @cached_property
    def _looked_up_states(self) -> Set[StateKey]:
        return self._states_read("lookups")

    @cached_property
    def _compared_states(self) -> Set[StateKey]:
        return self._states_read("compared")

    def _states_read(self, attribute: str) -> Set[StateKey]:
        found: Set[StateKey] = set()
        for info, receiver, _ in self.path.reached_functions:
            for path in getattr(info, attribute):
                resolved = self.names.resolve_state(info, receiver, path)
                if resolved is not None:
                    found.add(resolved[0])
        return found

    def looked_up(self, state: StateKey) -> bool:
        """Whether the invocation path reads ``state`` back by key, membership
        or size (a cache or a batch rather than a per-request scratch list)."""
        return state in self._looked_up_states

    def reset_sites(self, state: StateKey) -> List[ResetSite]:
        """Every reset or eviction of ``state`` on the invocation path, in the
        order the path found them, whether or not it runs on every invocation."""
        return self._reset_sites.get(state, [])

    @cached_property
    def _reset_sites(self) -> Dict[StateKey, List[ResetSite]]:
        """The resets of every state, found in one walk of the path (asked for each finding)."""
        found: Dict[StateKey, List[ResetSite]] = {}
        for info, receiver, handlers in self.path.reached_functions:
            for resolved, reset in self._direct_states((info.key, receiver), info.all_steps(), "resets"):
                found.setdefault(resolved, []).append(ResetSite(resolved, reset, info, receiver, handlers))
        return found

    def _direct_states(self, context: Context, steps, attribute: str, unconditional_only=False) -> Iterator:
        key, receiver = context
        info = self.project.function(key)
        for step in steps:
            for item in getattr(step, attribute):
                if unconditional_only and not item.unconditional:
                    continue
                for state, path in self.names.resolve_states(info, receiver, item.path):
                    if not path.element:
                        yield state, item

    def mutated(self, context: Context) -> Set[StateKey]:
        """State ``context`` mutates, itself or in what it calls."""
        if context in self._mutated:
            return self._mutated[context]
        self._mutated[context] = result = set()
        info = self.project.function(context[0])
        if info is not None:
            result.update(self._step_mutated(context, info.all_steps()))
        return result

    def mutated_in(self, context: Context, steps) -> Set[StateKey]:
        """State some steps of ``context`` mutate, themselves or in what they call."""
        return self._step_mutated(context, steps)

    def _step_mutated(self, context: Context, steps) -> Set[StateKey]:
        key, receiver = context
        info = self.project.function(key)
        found = {
            state
            for step in steps
            for call in step.calls
            for callee in self.path.targets(info, receiver, call)
            for state in self.mutated(callee)
        }
        found.update(state for state, _ in self._direct_states(context, steps, "mutations"))
        return found

    def _always_called(self, context: Context, step) -> List[Context]:
        """Functions one step of ``context`` calls unconditionally."""
        key, receiver = context
        info = self.project.function(key)
        return [
            callee
            for call in step.calls
            if call.called and call.unconditional
            for callee in self.path.targets(info, receiver, call)
        ]

    def _step_resets(self, context: Context, step, include_finally: bool) -> ResetKinds:
        kinds: ResetKinds = {}
        for state, reset in self._direct_states(context, [step], "resets", unconditional_only=True):
            kinds.setdefault(state, set()).add(reset.kind)
        for callee in self._always_called(context, step):
            _merge(kinds, self.resets_first(callee))
            if include_finally:
                _merge(kinds, self.finally_resets(callee))
        return kinds

    def resets_first(self, context: Context) -> ResetKinds:
        """State ``context`` resets unconditionally before it mutates it."""
        if context in self._resets_first:
            return self._resets_first[context]
        self._resets_first[context] = result = {}
        info = self.project.function(context[0])
        if info is None:
            return result
        mutated_so_far: Set[StateKey] = set()
        for step in info.steps:
            for state, kinds in self._step_resets(context, step, include_finally=False).items():
                if state not in mutated_so_far:
                    result.setdefault(state, set()).update(kinds)
            if _calls_a_parameter(info, step):
                break  # ``call_next(request)``: the code it runs may change anything; later resets come after
            mutated_so_far |= self._step_mutated(context, [step])
        return result

    def finally_resets(self, context: Context) -> ResetKinds:
        """State a top-level ``finally:`` of ``context`` always resets."""
        if context in self._finally_resets:
            return self._finally_resets[context]
        self._finally_resets[context] = result = {}
        info = self.project.function(context[0])
        if info is not None:
            for step in info.finally_steps:
                _merge(result, self._step_resets(context, step, include_finally=True))
        return result

    def reset_kinds(self, handler: Handler, state: StateKey) -> Set[str]:
        """How ``handler`` resets ``state`` on every invocation (empty: it
        doesn't): first or in a ``finally:`` of the handler's function, or of
        code that runs before it on every invocation (a decorator's wrapper,
        an application's middleware)."""
        kinds: Set[str] = set()
        for context, always in self.path.entries(handler):
            if always:
                kinds |= self.resets_first(context).get(state, set()) | self.finally_resets(context).get(state, set())
        return kinds


def _calls_a_parameter(info: FunctionInfo, step) -> bool:
    """Whether ``step`` calls a function given as a parameter: a middleware's
    ``call_next(request)``, a wrapper's ``function(event, context)``."""
    return any(call.called and not call.path.attrs and call.path.root in info.params for call in step.calls)


def _merge(into: ResetKinds, other: ResetKinds) -> None:
    for state, kinds in other.items():
        into.setdefault(state, set()).update(kinds)
