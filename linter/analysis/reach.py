"""The invocation path: every function a handler can run, across modules.

A function is on the path when a handler calls it, passes it along (a
callback, a thread target), awaits it, runs it through a decorator's wrapper,
a method of an object, a router's dispatch, or any of these in another module
of the project.  For each function the path knows which handlers reach it
and through which caller, so messages can name the call chain, and which
calls lead to it, so a guard around every way in can be recognised.
"""
from __future__ import annotations

from functools import cached_property
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Set, Tuple

from linter.analysis.dispatch import Dispatch
from linter.analysis.handlers import Handler
from linter.analysis.names import Context, Names
from linter.analysis.project import ProjectModel
from linter.analysis.states import StateKey
from linter.parsing.syntax import decorating_callable
from linter.summary.scanner import CallRef, FunctionInfo, FunctionKey, Guard, path_of

Edge = Tuple[Context, Optional[CallRef]]  # callee, and the call that reaches it (None: a decorator's wrapper)


class InvocationPath:
    def __init__(self, project: ProjectModel, names: Names, handlers: Sequence[Handler]):
        self.project = project
        self.names = names
        self.dispatch = Dispatch(project, names)
        self.handlers = list(handlers)
        self.reached_by: Dict[Context, List[Handler]] = {}
        self._caller: Dict[Tuple[Context, FunctionKey], Context] = {}  # first way in, per handler
        self._wrappers: Dict[FunctionKey, List[FunctionKey]] = {}
        self._targets: Dict[tuple, List[Context]] = {}  # (id of the call, function, receiver) -> what it runs
        self._labels: Dict[str, Dict[Hashable, Set[int]]] = {}  # always_guarded's calls, per kind and label
        self._unguarded: Dict[Tuple[str, Hashable], Set[Context]] = {}  # and what is reached past them
        for handler in self.handlers:
            self._walk(handler)

    def entries(self, handler: Handler) -> List[Tuple[Context, bool]]:
        """Where an invocation of ``handler`` starts, each with whether every
        invocation runs it: the handler's function (on its object), the
        wrapper around it (``lambda_handler = with_logging(process)``), the
        middleware of the application an adapter dispatches to (it runs for
        every request) and its routes (each runs only for some requests)."""
        found: List[Tuple[Context, bool]] = []
        if self.project.function(handler.key) is not None:
            found.append(((handler.key, handler.receiver), True))
        if handler.wrapped_by is not None:
            found.extend(((wrapper, None), True) for wrapper in self.wrappers_of(handler.wrapped_by))
        if handler.dispatches is not None:
            middlewares = self.dispatch.middlewares(handler.dispatches)
            found.extend((middleware, True) for middleware in middlewares)
            found.extend((route, False) for route in self.dispatch.routes(handler.dispatches) if route not in middlewares)
        return found

    def _walk(self, handler: Handler) -> None:
        pending: List[Tuple[Context, Optional[Context]]] = [(entry, None) for entry, _ in self.entries(handler)]
        while pending:
            context, caller = pending.pop()
            reached = self.reached_by.setdefault(context, [])
            if handler in reached:
                continue
            reached.append(handler)
            if caller is not None:
                self._caller[(context, handler.key)] = caller
            pending.extend((callee, context) for callee in self.callees(context))

    def callees(self, context: Context) -> List[Context]:
        """Functions ``context`` may run: called, passed along, or its decorators' wrappers."""
        return [callee for callee, _ in self.edges(context)]

    def edges(self, context: Context) -> List[Edge]:
        key, receiver = context
        info = self.project.function(key)
        if info is None:
            return []
        found: List[Edge] = [
            (callee, call)
            for step in info.all_steps()
            for call in step.calls
            for callee in self.targets(info, receiver, call)
        ]
        found.extend(((wrapper, receiver), None) for wrapper in self.decorator_wrappers(info))
        found.extend((dependency, None) for dependency in self.dispatch.dependencies(info))
        return found

    def targets(self, info: FunctionInfo, receiver: Optional[StateKey], call: CallRef) -> List[Context]:
        """The code a call (or a function passed along) runs: what its name
        resolves to, and the routes it dispatches to through an application
        (asked for again and again by the queries, so remembered)."""
        key = (id(call), info.key, receiver)
        if key not in self._targets:
            self._targets[key] = self.names.resolve_callee(info, receiver, call.path) + self.dispatch.dispatched(
                info, receiver, call)
        return self._targets[key]

    def decorator_wrappers(self, info: FunctionInfo) -> List[FunctionKey]:
        """Inner functions of the project's decorators that run on every call."""
        wrappers: List[FunctionKey] = []
        for decorator in info.node.decorators:
            path = path_of(decorating_callable(decorator))
            if path is None:
                continue
            for key, _ in self.names.module_callee(info.module, path):
                if self.project.function(key) is not None and self.project.function(key).class_name is None:
                    wrappers.extend(self.wrappers_of(key))
        return wrappers

    def wrappers_of(self, decorator: FunctionKey) -> List[FunctionKey]:
        if decorator not in self._wrappers:
            functions = self.project.modules[decorator[0]].functions
            found = []
            for key, info in functions.items():
                if len(key) <= len(decorator) or key[: len(decorator)] != decorator:
                    continue
                enclosing_params: Set[str] = set()
                for depth in range(len(decorator), len(key)):
                    enclosing = functions.get(key[:depth])
                    if enclosing is not None:
                        enclosing_params.update(enclosing.params)
                if info.called_names & enclosing_params:
                    found.append(key)
            self._wrappers[decorator] = found
        return self._wrappers[decorator]

    @cached_property
    def _handlers_by_function(self) -> Dict[FunctionKey, Set[Handler]]:
        found: Dict[FunctionKey, Set[Handler]] = {}
        for (key, _), handlers in self.reached_by.items():
            found.setdefault(key, set()).update(handlers)
        return found

    def handlers_of(self, function: FunctionKey) -> Set[Handler]:
        """The handlers whose path reaches ``function`` (on any object)."""
        return self._handlers_by_function.get(function, set())

    @cached_property
    def reached_functions(self) -> List[Tuple[FunctionInfo, Optional[StateKey], Tuple[Handler, ...]]]:
        found = []
        for (key, receiver), handlers in self.reached_by.items():
            info = self.project.function(key)
            if info is not None:
                found.append((info, receiver, tuple(handlers)))
        return found

    def chain(self, handler: Handler, context: Context) -> List[FunctionKey]:
        """The functions from ``handler`` to ``context``, as the path first found them."""
        keys = [context[0]]
        seen = {context}
        while (context, handler.key) in self._caller:
            context = self._caller[(context, handler.key)]
            if context in seen:
                break
            seen.add(context)
            keys.append(context[0])
        return list(reversed(keys))

    def why_not_always(self, handler: Handler, context: Context) -> str:
        """Why ``handler`` does not run ``context`` on every invocation: the
        first call on the way that is conditional, and what makes it so."""
        keys = self.chain(handler, context)
        for caller, callee in zip(keys, keys[1:]):
            info = self.project.function(caller)
            call = next(
                (call for step in info.steps for call in step.calls if call.called
                 and any(found == callee for found, _ in self.targets(info, None, call))),
                None,
            )
            if call is None or call.always:
                continue
            where = f"{'.'.join(callee[1:])}() is called"
            if call.region is None:
                return f"{where} after an early `return` in {info.display}()"
            return f"{where} inside {call.region} in {info.display}()"
        return "it is not called on every path"

    # -- guards and always-run calls ------------------------------------------
    @cached_property
    def _callers(self) -> Dict[Context, List[Edge]]:
        found: Dict[Context, List[Edge]] = {}
        for context in self.reached_by:
            for callee, call in self.edges(context):
                found.setdefault(callee, []).append((context, call))
        return found

    def callers(self, context: Context) -> List[Edge]:
        """(caller, call) for every way into ``context`` on the invocation path."""
        return self._callers.get(context, [])

    @cached_property
    def _entry_contexts(self) -> Set[Context]:
        return {entry for handler in self.handlers for entry, _ in self.entries(handler)}

    def always_guarded(self, context: Context, kind: str, label_of: Callable[[Guard], Hashable],
                       label: Hashable) -> bool:
        """Whether every way from a handler to ``context`` passes a call with
        a guard ``label_of`` gives ``label`` (a handler itself is never
        guarded).  ``label_of`` sorts the guards of one ``kind`` of test (the
        state a test finds empty, whether it is a cold-start flag): the calls
        of each label are found once per kind, and what the handlers reach
        past the calls of one label once per label, in one walk forward.
        Searching back from each context instead took time growing with the
        square of a call cycle's length (2,000 modules: minutes)."""
        blocked = self._guarded_calls(kind, label_of).get(label)
        if not blocked or not self._callers.get(context):
            return False
        if (kind, label) not in self._unguarded:
            self._unguarded[(kind, label)] = self._reached_past(blocked)
        return context not in self._unguarded[(kind, label)]

    def _guarded_calls(self, kind: str, label_of: Callable[[Guard], Hashable]) -> Dict[Hashable, Set[int]]:
        """For each label of ``kind``, the ids of the calls on the path with a guard of that label."""
        if kind not in self._labels:
            found: Dict[Hashable, Set[int]] = {}
            for edges in self._callers.values():
                for _, call in edges:
                    for guard in call.guards if call is not None else ():
                        found.setdefault(label_of(guard), set()).add(id(call))
            self._labels[kind] = found
        return self._labels[kind]

    def _reached_past(self, blocked: Set[int]) -> Set[Context]:
        """What the handlers reach through calls not in ``blocked``: from the
        handlers' entries and the functions nothing on the path calls."""
        reached = self._entry_contexts | {context for context in self.reached_by if not self._callers.get(context)}
        pending = list(reached)
        while pending:
            for callee, call in self._callees.get(pending.pop(), ()):
                if callee not in reached and (call is None or id(call) not in blocked):
                    reached.add(callee)
                    pending.append(callee)
        return reached

    @cached_property
    def _callees(self) -> Dict[Context, List[Edge]]:
        found: Dict[Context, List[Edge]] = {}
        for callee, edges in self._callers.items():
            for caller, call in edges:
                found.setdefault(caller, []).append((callee, call))
        return found

    def always_run(self, handler: Handler) -> Set[Context]:
        """Functions ``handler`` runs on every invocation: called unconditionally,
        with no early ``return`` before the call, all the way down."""
        found: Set[Context] = set()
        pending: List[Context] = [entry for entry, always in self.entries(handler) if always]
        while pending:
            context = pending.pop()
            if context in found:
                continue
            found.add(context)
            info = self.project.function(context[0])
            if info is None:
                continue
            for call in (call for step in info.steps for call in step.calls):
                if call.called and call.always:  # not the routes it dispatches to: each runs for some requests
                    pending.extend(self.names.resolve_callee(info, context[1], call.path))
        return found
