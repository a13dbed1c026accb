"""The invocation path and what it does to module-level state.

``Analysis`` is what rules query.  It answers: which functions a handler
reaches (and through which module-level object a method is reached), which
module-level state those functions mutate, and whether a handler resets that
state on every invocation (unconditionally at its start, directly or in a
function it always calls, or in a ``finally:`` that always runs).

Every answer is computed lazily and memoised, so a rule that asks nothing
costs nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from linter.analysis.handlers import Handler
from linter.summary.kinds import MUTABLE_KINDS
from linter.summary.model import Binding, ModuleModel
from linter.parsing.positions import Position, PositionIndex
from linter.summary.scanner import CallRef, FunctionInfo, FunctionKey, Guard, Mutation, RefPath, Reset, path_of
from linter.parsing.syntax import decorating_callable, dotted_name
from linter.fixing.transform import call_with_keyword

StateKey = Tuple[str, ...]
Context = Tuple[FunctionKey, Optional[str]]  # function, module-level receiver
ResetKinds = Dict[StateKey, Set[str]]
_MAX_ALIAS_HOPS = 8
ROUTER_DISPATCH = "resolve"  # app.resolve(event, context) runs the routes registered on app


@dataclass(frozen=True)
class StateMutation:
    """A mutation of module-level state somewhere on the invocation path."""

    state: StateKey
    mutation: Mutation
    function: FunctionInfo
    path: RefPath  # the reference after alias resolution
    handlers: Tuple[str, ...]
    receiver: Optional[str] = None  # the module-level object a method runs on

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
    receiver: Optional[str]
    handlers: Tuple[str, ...]


class Analysis:
    def __init__(self, model: ModuleModel, handlers: List[Handler], positions: PositionIndex):
        self.model = model
        self.positions = positions
        self.handlers = handlers
        self.states = self._collect_states()
        self._mutated: Dict[Context, Set[StateKey]] = {}
        self._resets_first: Dict[Context, ResetKinds] = {}
        self._finally_resets: Dict[Context, ResetKinds] = {}
        self._wrappers: Dict[FunctionKey, List[FunctionKey]] = {}
        self.reached_by: Dict[Context, List[str]] = {}
        for handler in handlers:
            self._walk(((handler.name,), None), handler.name)

    # -- state -------------------------------------------------------------
    def _collect_states(self) -> Dict[StateKey, Binding]:
        states: Dict[StateKey, Binding] = {}
        for name, binding in self.model.bindings.items():
            states[(name,)] = binding
            if binding.kind == "instance":
                for attr, attribute in self._instance_attributes(binding.class_name).items():
                    states[(name, attr)] = Binding(
                        (name, attr), attribute.kind, binding.node, attribute.value, binding.class_name
                    )
        for class_info in self.model.classes.values():
            if not self._plain_class(class_info.name):
                continue
            for attr, attribute in class_info.attributes.items():
                if attribute.kind in MUTABLE_KINDS:
                    states[(class_info.name, attr)] = attribute
        return states

    def _plain_class(self, class_name: str) -> bool:
        """A class whose attributes Python shares between instances as written.

        Base classes from elsewhere (pydantic's BaseModel, ORMs, msgspec) and
        class decorators (attrs) commonly copy mutable defaults per instance,
        so their class attributes are not treated as shared state.
        """
        for info in self._class_chain(class_name):
            if info.node.decorators:
                return False
            if any(base not in self.model.classes and base != "object" for base in info.bases):
                return False
        return True

    def _class_chain(self, class_name: Optional[str]) -> Iterator:
        seen: Set[str] = set()
        pending = [class_name]
        while pending:
            name = pending.pop(0)
            info = self.model.classes.get(name or "")
            if info is None or name in seen:
                continue
            seen.add(name)
            yield info
            pending.extend(info.bases)

    def _instance_attributes(self, class_name: Optional[str]) -> Dict[str, Binding]:
        found: Dict[str, Binding] = {}
        for info in self._class_chain(class_name):
            for attr, binding in info.instance_attributes.items():
                found.setdefault(attr, binding)
        return found

    def _class_attribute(self, class_name: Optional[str], attr: str, via_instance: bool) -> Optional[StateKey]:
        """The shared class attribute ``attr`` means, if it is mutable state."""
        chain = list(self._class_chain(class_name))
        if via_instance and any(attr in info.assigned_on_self for info in chain):
            return None  # the instance has its own
        for info in chain:
            if (info.name, attr) in self.states:
                return (info.name, attr)
        return None

    # -- scopes and name resolution -----------------------------------------
    def scope_of(self, info: FunctionInfo, name: str) -> Optional[FunctionInfo]:
        """The function whose local ``name`` is, or None for a module-level name."""
        current: Optional[FunctionInfo] = info
        while current is not None:
            if name in current.globals:
                return None
            if current.is_local(name) or (name == current.receiver_name and name not in current.nonlocals):
                return current
            current = self.model.function(current.parent) if current.parent else None
        return None

    def qualify(self, info: Optional[FunctionInfo], node: cst.CSTNode) -> Optional[str]:
        """Dotted name of ``node`` through the imports visible where it occurs
        (the function's own, its enclosing functions', then the module's);
        None for a name that is local or defined in this module."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        scope = self.scope_of(info, head) if info is not None else None
        if scope is None:
            return self.model.qualify(node)
        full = scope.imports.get(head)
        if full is None:
            return None
        return f"{full}.{rest}" if rest else full

    def imported_name(self, info: Optional[FunctionInfo], name: str) -> str:
        """What a bare name stands for after imports (``bind`` -> ``…bind_contextvars``), cheaply."""
        scope = info
        while scope is not None:
            if name in scope.imports:
                return scope.imports[name]
            scope = self.model.function(scope.parent) if scope.parent else None
        return self.model.imports.get(name, name)

    def resolve_state(self, info: FunctionInfo, receiver: Optional[str], path: RefPath):
        """(state key, resolved path) for a reference inside ``info``, or None."""
        for _ in range(_MAX_ALIAS_HOPS):
            scope = self.scope_of(info, path.root)
            if scope is None:
                return self._module_state(path)
            if path.root == scope.receiver_name:
                return self._receiver_state(scope, receiver, path)
            alias = scope.aliases.get(path.root)
            if alias is None or (alias.element and path.attrs):
                return None
            path = RefPath(
                alias.root,
                alias.attrs + path.attrs,
                alias.element or path.element,
                alias.const_keys and path.const_keys,
            )
            info = scope
        return None

    def _module_state(self, path: RefPath):
        root, attrs = path.root, path.attrs
        if root in self.model.classes:
            if len(attrs) == 1:
                key = self._class_attribute(root, attrs[0], via_instance=False)
                return (key, path) if key else None
            return None
        binding = self.model.bindings.get(root)
        if binding is None:
            return None
        if binding.kind == "instance":
            if len(attrs) != 1:
                return None
            key = self._class_attribute(binding.class_name, attrs[0], via_instance=True)
            if key is None and (root, attrs[0]) in self.states:
                key = (root, attrs[0])
            return (key, path) if key else None
        return ((root,), path) if not attrs else None

    def _receiver_state(self, scope: FunctionInfo, receiver: Optional[str], path: RefPath):
        if len(path.attrs) != 1:
            return None
        attr = path.attrs[0]
        key = self._class_attribute(scope.class_name, attr, via_instance=True)
        if key is None and receiver is not None and (receiver, attr) in self.states:
            key = (receiver, attr)
        return (key, path) if key else None

    def resolve_callee(self, info: FunctionInfo, receiver: Optional[str], path: RefPath) -> List[Context]:
        for _ in range(_MAX_ALIAS_HOPS):
            if path.element:
                return []
            scope = self.scope_of(info, path.root)
            if scope is None:
                return self._module_callee(path)
            root, attrs = path.root, path.attrs
            if root == scope.receiver_name:
                key = self.model.method(scope.class_name, attrs[0]) if len(attrs) == 1 else None
                return [(key, receiver)] if key else []
            if not attrs and root in scope.nested:
                return [(scope.nested[root], receiver)]
            if len(attrs) == 1 and root in scope.local_instances:
                key = self.model.method(scope.local_instances[root], attrs[0])
                return [(key, None)] if key else []
            alias = scope.aliases.get(root)
            if alias is None:
                return []
            path = RefPath(alias.root, alias.attrs + attrs, alias.element)
            info = scope
        return []

    def _module_callee(self, path: RefPath) -> List[Context]:
        root, attrs = path.root, path.attrs
        if not attrs:
            if root in self.model.top_level_functions:
                return [((root,), None)]
            if root in self.model.classes:
                init = self.model.method(root, "__init__")
                return [(init, None)] if init else []
            binding = self.model.bindings.get(root)
            if binding is not None and binding.kind == "instance":
                call = self.model.method(binding.class_name, "__call__")
                return [(call, root)] if call else []
            return []
        if len(attrs) == 1:
            if root in self.model.classes:
                key = self.model.method(root, attrs[0])
                return [(key, None)] if key else []
            binding = self.model.bindings.get(root)
            if binding is not None and binding.kind == "instance":
                key = self.model.method(binding.class_name, attrs[0])
                return [(key, root)] if key else []
            if binding is not None and attrs[0] == ROUTER_DISPATCH:
                return [((name,), None) for name in self._routes_of(root)]
        return []

    def _routes_of(self, router: str) -> List[str]:
        """Functions registered on a module-level router (``@app.get("/x")``):
        ``app.resolve(event, context)`` dispatches to them, as Powertools'
        event handlers (and routers like them) do."""
        routes = []
        for name, node in self.model.top_level_functions.items():
            for decorator in node.decorators:
                path = path_of(decorating_callable(decorator))
                if path is not None and path.root == router and len(path.attrs) == 1:
                    routes.append(name)
                    break
        return routes

    # -- reachability ------------------------------------------------------
    def _walk(self, start: Context, handler: str) -> None:
        pending = [start]
        while pending:
            context = pending.pop()
            reached = self.reached_by.setdefault(context, [])
            if handler in reached:
                continue
            reached.append(handler)
            pending.extend(self.callees(context))

    def callees(self, context: Context) -> List[Context]:
        """Functions ``context`` may run: called, passed along, or its decorators' wrappers."""
        return [callee for callee, _ in self._callee_edges(context)]

    def _callee_edges(self, context: Context) -> List[Tuple[Context, Optional[CallRef]]]:
        """(callee, the call or reference that reaches it; None for a decorator's wrapper)."""
        key, receiver = context
        info = self.model.function(key)
        if info is None:
            return []
        found: List[Tuple[Context, Optional[CallRef]]] = [
            (callee, call)
            for step in info.all_steps()
            for call in step.calls
            for callee in self.resolve_callee(info, receiver, call.path)
        ]
        found.extend(((wrapper, receiver), None) for wrapper in self._decorator_wrappers(info))
        return found

    @cached_property
    def _callers(self) -> Dict[Context, List[Tuple[Context, Optional[CallRef]]]]:
        found: Dict[Context, List[Tuple[Context, Optional[CallRef]]]] = {}
        for context in self.reached_by:
            for callee, call in self._callee_edges(context):
                found.setdefault(callee, []).append((context, call))
        return found

    def always_guarded(self, context: Context, holds: Callable[[Guard], bool], _active=frozenset()) -> bool:
        """Whether every way from a handler to ``context`` passes a guard for
        which ``holds`` is true (a handler itself is never guarded)."""
        if context[1] is None and context[0] in self._handler_keys:
            return False
        callers = self._callers.get(context, [])
        if not callers:
            return False
        for caller, call in callers:
            if caller in _active:
                continue  # recursion: the other ways in decide
            if call is not None and any(holds(guard) for guard in call.guards):
                continue
            if not self.always_guarded(caller, holds, _active | {context}):
                return False
        return True

    def mutation_guarded(self, item: StateMutation, holds: Callable[[Guard], bool]) -> bool:
        """Whether ``item`` only happens behind a guard for which ``holds`` is true."""
        return any(holds(guard) for guard in item.mutation.guards) or self.always_guarded(item.context, holds)

    @cached_property
    def _handler_keys(self) -> Set[FunctionKey]:
        return {(handler.name,) for handler in self.handlers}

    def always_run(self, handler: str) -> Set[Context]:
        """Functions ``handler`` runs on every invocation: called unconditionally,
        with no early ``return`` before the call, all the way down."""
        found: Set[Context] = set()
        pending: List[Context] = [((handler,), None)]
        while pending:
            context = pending.pop()
            if context in found:
                continue
            found.add(context)
            info = self.model.function(context[0])
            if info is None:
                continue
            for call in (call for step in info.steps for call in step.calls):
                if call.called and call.always:
                    pending.extend(self.resolve_callee(info, context[1], call.path))
        return found

    def _always_called(self, context: Context, step) -> List[Context]:
        """Functions one step of ``context`` calls unconditionally."""
        key, receiver = context
        info = self.model.function(key)
        return [
            callee
            for call in step.calls
            if call.called and call.unconditional
            for callee in self.resolve_callee(info, receiver, call.path)
        ]

    def _decorator_wrappers(self, info: FunctionInfo) -> List[FunctionKey]:
        """Inner functions of this module's decorators that run on every call."""
        wrappers: List[FunctionKey] = []
        for decorator in info.node.decorators:
            path = path_of(decorating_callable(decorator))
            if path is None or path.attrs or path.root not in self.model.top_level_functions:
                continue
            wrappers.extend(self._wrappers_of((path.root,)))
        return wrappers

    def _wrappers_of(self, decorator: FunctionKey) -> List[FunctionKey]:
        if decorator not in self._wrappers:
            found = []
            for key, info in self.model.functions.items():
                if len(key) <= len(decorator) or key[: len(decorator)] != decorator:
                    continue
                enclosing_params: Set[str] = set()
                for depth in range(len(decorator), len(key)):
                    enclosing = self.model.function(key[:depth])
                    if enclosing is not None:
                        enclosing_params.update(enclosing.params)
                if info.called_names & enclosing_params:
                    found.append(key)
            self._wrappers[decorator] = found
        return self._wrappers[decorator]

    @cached_property
    def reached_functions(self) -> List[Tuple[FunctionInfo, Optional[str], Tuple[str, ...]]]:
        found = []
        for (key, receiver), handlers in self.reached_by.items():
            info = self.model.function(key)
            if info is not None:
                found.append((info, receiver, tuple(handlers)))
        return found

    @cached_property
    def taint(self):
        """Request-derived values (:mod:`linter.analysis.taint`), computed on first use."""
        from linter.analysis.taint import Taint

        return Taint(self)

    # -- mutations and resets ----------------------------------------------
    @cached_property
    def state_mutations(self) -> List[StateMutation]:
        found = []
        for info, receiver, handlers in self.reached_functions:
            for step in info.all_steps():
                for mutation in step.mutations:
                    resolved = self.resolve_state(info, receiver, mutation.path)
                    if resolved is not None:
                        state, path = resolved
                        found.append(StateMutation(state, mutation, info, path, handlers, receiver))
        return found

    @cached_property
    def _looked_up_states(self) -> Set[StateKey]:
        found: Set[StateKey] = set()
        for info, receiver, _ in self.reached_functions:
            for path in info.lookups:
                resolved = self.resolve_state(info, receiver, path)
                if resolved is not None:
                    found.add(resolved[0])
        return found

    def looked_up(self, state: StateKey) -> bool:
        """Whether the invocation path reads ``state`` back by key, membership
        or size (a cache or a batch rather than a per-request scratch list)."""
        return state in self._looked_up_states

    def reset_kinds_anywhere(self, state: StateKey) -> Set[str]:
        """Every kind of reset or eviction of ``state`` on the invocation path,
        conditional ones included."""
        return {site.reset.kind for site in self.reset_sites(state)}

    def reset_sites(self, state: StateKey) -> List[ResetSite]:
        """Every reset or eviction of ``state`` on the invocation path, in
        source order, whether or not it runs on every invocation."""
        found = [
            ResetSite(state, reset, info, receiver, handlers)
            for info, receiver, handlers in self.reached_functions
            for resolved, reset in self._direct_states((info.key, receiver), info.all_steps(), "resets")
            if resolved == state
        ]
        return sorted(found, key=lambda site: self.position(site.reset.statement) if site.reset.statement else (0, 0))

    def _direct_states(self, context: Context, steps, attribute: str, unconditional_only=False):
        key, receiver = context
        info = self.model.function(key)
        for step in steps:
            for item in getattr(step, attribute):
                if unconditional_only and not item.unconditional:
                    continue
                resolved = self.resolve_state(info, receiver, item.path)
                if resolved is not None and not resolved[1].element:
                    yield resolved[0], item

    def mutated(self, context: Context) -> Set[StateKey]:
        if context in self._mutated:
            return self._mutated[context]
        self._mutated[context] = result = set()
        info = self.model.function(context[0])
        if info is not None:
            result.update(self._step_mutated(context, info.all_steps()))
        return result

    def _step_mutated(self, context: Context, steps) -> Set[StateKey]:
        key, receiver = context
        info = self.model.function(key)
        found = {
            state
            for step in steps
            for call in step.calls
            for callee in self.resolve_callee(info, receiver, call.path)
            for state in self.mutated(callee)
        }
        found.update(state for state, _ in self._direct_states(context, steps, "mutations"))
        return found

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
        info = self.model.function(context[0])
        if info is None:
            return result
        mutated_so_far: Set[StateKey] = set()
        for step in info.steps:
            for state, kinds in self._step_resets(context, step, include_finally=False).items():
                if state not in mutated_so_far:
                    result.setdefault(state, set()).update(kinds)
            mutated_so_far |= self._step_mutated(context, [step])
        return result

    def finally_resets(self, context: Context) -> ResetKinds:
        """State a top-level ``finally:`` of ``context`` always resets."""
        if context in self._finally_resets:
            return self._finally_resets[context]
        self._finally_resets[context] = result = {}
        info = self.model.function(context[0])
        if info is not None:
            for step in info.finally_steps:
                _merge(result, self._step_resets(context, step, include_finally=True))
        return result

    @cached_property
    def _import_time_changes(self) -> Dict[StateKey, cst.CSTNode]:
        """State that code run at import changes after creating it (filled in
        a loop, by a decorator registering routes, assigned again), with the
        statement that first does; computed on first use.

        Only what really runs at import is followed: module-level code, the
        functions it calls, decorators, and what a decorator factory returns
        (``@route("/x")`` calls ``route`` and then the ``register`` it
        returns) -- not a wrapper a decorator only returns."""
        module_code = self.model.import_time
        found: Dict[StateKey, cst.CSTNode] = {}
        pending: List[Tuple[FunctionInfo, Optional[str]]] = [(module_code, None)]
        seen: Set[Context] = set()

        def run(contexts) -> None:
            for context in contexts:
                info = self.model.function(context[0])
                if context not in seen and info is not None:
                    seen.add(context)
                    pending.append((info, context[1]))

        run(self._decorators_run_at_import(module_code))
        while pending:
            info, receiver = pending.pop()
            for step in info.all_steps():
                for item in [*step.mutations, *step.resets]:
                    resolved = self.resolve_state(info, receiver, item.path)
                    if resolved is not None and item.statement is not self.states[resolved[0]].node:
                        found.setdefault(resolved[0], item.statement)
                run(callee for call in step.calls if call.called
                    for callee in self.resolve_callee(info, receiver, call.path))
        return found

    def _decorators_run_at_import(self, module_code: FunctionInfo) -> List[Context]:
        """Decorators of module-level functions and classes, and the functions
        a decorator factory defines (one of them is what it returns)."""
        found: List[Context] = []
        for node in [*self.model.top_level_functions.values(), *(c.node for c in self.model.classes.values())]:
            for decorator in node.decorators:
                path = path_of(decorating_callable(decorator))
                for context in self.resolve_callee(module_code, None, path) if path is not None else ():
                    found.append(context)
                    factory = self.model.function(context[0])
                    if type(decorator.decorator) is cst.Call and factory is not None:
                        found.extend((nested, None) for nested in factory.nested.values())
        return found

    def changed_at_import(self, state: StateKey) -> bool:
        """Whether module-level code changes ``state`` after creating it, so
        its import-time contents are not what its assignment says."""
        return state in self._import_time_changes

    def reset_kinds(self, handler: str, state: StateKey) -> Set[str]:
        """How ``handler`` resets ``state`` on every invocation (empty: it doesn't)."""
        context = ((handler,), None)
        return self.resets_first(context).get(state, set()) | self.finally_resets(context).get(state, set())

    # -- positions ---------------------------------------------------------
    def position(self, node: cst.CSTNode) -> Position:
        return self.positions.position(node)

    def line(self, node: cst.CSTNode) -> int:
        return self.position(node)[0]

    # -- source ------------------------------------------------------------
    def source(self, node: cst.CSTNode) -> str:
        return self.model.module.code_for_node(node)

    def call_with_keyword(self, expression: cst.CSTNode, keyword: str, value: str) -> str:
        return call_with_keyword(self.model.module, expression, keyword, value)


def _merge(into: ResetKinds, other: ResetKinds) -> None:
    for state, kinds in other.items():
        into.setdefault(state, set()).update(kinds)
