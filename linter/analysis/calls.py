"""Queries about calls on the invocation path, for rules about library objects
(loggers, metrics, context variables, error trackers).

These rules care less about *what* state changes than about *which calls run,
in which order, and whether always*: keys appended before anything is logged,
a buffer cleared at the start of every invocation, a context detached in a
``finally:``.  ``trace`` flattens a handler into that ordered sequence of
calls, following the functions it calls in place.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

if TYPE_CHECKING:  # LibCST-free at import time, so `warmstate rule` stays fast
    import libcst as cst

    from linter.analysis.api import Analysis, Context, StateKey
    from linter.analysis.handlers import Handler
    from linter.summary.model import Binding
    from linter.summary.scanner import CallRef, FunctionInfo, FunctionKey, Guard, RefPath


@dataclass(frozen=True)
class Event:
    """A classified call in a handler's flattened sequence of calls."""

    kind: str
    call: CallRef
    function: FunctionInfo
    conditional: bool  # may not run on every invocation (a branch, a loop, after an early return)
    in_finally: bool  # runs in a top-level ``finally:`` of a function on the way
    withs: Tuple[Tuple[FunctionKey, cst.BaseExpression], ...] = ()  # context managers around it (and where), callers' included
    guards: Tuple[Guard, ...] = ()  # conditions it runs under, callers' included


@dataclass(frozen=True)
class DecoratorUse:
    """``@obj.method(...)`` on a handler, with ``obj`` resolved at module level."""

    binding: Optional[Binding]
    method: str
    call: Optional[cst.Call]  # None for a bare ``@obj.method``
    decorator: cst.Decorator

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        for arg in self.call.args if self.call is not None else ():
            if arg.keyword is not None and arg.keyword.value == name:
                return arg.value
        return None


Classifier = Callable[["FunctionInfo", Optional["StateKey"], "CallRef"], Optional[str]]


def receiver_binding(analysis: Analysis, info: FunctionInfo, receiver: Optional[StateKey], call: CallRef):
    """The module-level binding a method is called on (``logger`` in
    ``logger.append_keys()``), through aliases; None for anything else."""
    from linter.summary.scanner import RefPath

    path = call.path
    if not path.attrs or path.element:
        return None
    resolved = analysis.resolve_state(info, receiver, RefPath(path.root, path.attrs[:-1]))
    if resolved is None or len(resolved[0]) != 2:  # a module-level name, not an attribute
        return None
    return analysis.states[resolved[0]]


def qualified_callee(analysis: Analysis, info: FunctionInfo, call: CallRef, named=None) -> Optional[str]:
    """``structlog.contextvars.bind_contextvars`` for a call through the
    imports, however they are spelled (``from structlog.contextvars import
    bind_contextvars as bind``, ``import structlog.contextvars as sc``, an
    import inside the function); None for local callees.

    ``named`` (a set of full names) lets the cheap check of the call's last
    name, after imports, reject most calls before the qualification is worked
    out."""
    if call.node is None or type(call.node).__name__ != "Call":
        return None
    if named is not None:
        path = call.path
        last = path.attrs[-1] if path.attrs else analysis.imported_name(info, path.root).rsplit(".", 1)[-1]
        if not any(name.rsplit(".", 1)[-1] == last for name in named):
            return None
    return analysis.qualify(info, call.node.func)


def qualified_path(analysis: Analysis, info: FunctionInfo, path: RefPath) -> str:
    """``os.environ`` for ``environ`` / ``os.environ`` however imported; "" for
    a path that does not start with an imported name."""
    head = analysis.import_of(info, path.root)
    return ".".join([head, *path.attrs]) if head else ""


ENVIRON = "os.environ"


def is_environ(analysis: Analysis, info: FunctionInfo, path: RefPath) -> bool:
    """Whether ``path`` is the process environment (``os.environ``, ``environ``), however imported."""
    return qualified_path(analysis, info, path) == ENVIRON


def method_of(call: CallRef) -> Optional[str]:
    return call.path.attrs[-1] if call.path.attrs else None


def trace(analysis: Analysis, context: Context, classify: Classifier) -> List[Event]:
    """Classified calls of ``context`` in order, callees flattened in place.

    Each function's own sequence is computed once and reused at every call
    site; the flattened result is capped, so call graphs that fan out (a
    helper called from everywhere) cannot blow up.
    """
    return _events(analysis, context, classify, {}, frozenset())


MAX_EVENTS = 5000


def _events(analysis, context, classify, memo, active) -> List[Event]:
    if context in memo:
        return memo[context]
    key, receiver = context
    info = analysis.function(key)
    if info is None or context in active:
        return []
    active = active | {context}
    events: List[Event] = []
    for steps, in_finally in ((info.steps, False), (info.finally_steps, True)):
        for step in steps:
            for call in step.calls:
                if not call.called or len(events) >= MAX_EVENTS:
                    continue
                maybe = not call.always
                kind = classify(info, receiver, call)
                if kind is not None:
                    events.append(Event(kind, call, info, maybe, in_finally, _withs(info, call), call.guards))
                for callee in analysis.path.targets(info, receiver, call):
                    events.extend(
                        replace(
                            event,
                            conditional=event.conditional or maybe,
                            in_finally=event.in_finally or in_finally,
                            withs=_withs(info, call) + event.withs,
                            guards=call.guards + event.guards,
                        )
                        for event in _events(analysis, callee, classify, memo, active)
                    )
    memo[context] = events
    return events


def _withs(info: FunctionInfo, call: CallRef) -> tuple:
    return tuple((info.key, expression) for expression in call.withs)


_SHOWN_LENGTH = 50  # longer calls are not quoted in messages


def ignored_reset_note(analysis: Analysis, events: List[Event], kinds) -> Optional[str]:
    """The first call of ``kinds`` in a handler's events (a clear or flush
    that did not count), where it is and why it does not count; None when
    the handler has none.  Messages never say "never cleared" to a reader who
    can see a clear in the code."""
    event = next((event for event in events if event.kind in kinds), None)
    if event is None:
        return None
    shown = analysis.source(event.call.node).strip()
    what = f"`{shown}`" if len(shown) <= _SHOWN_LENGTH and "\n" not in shown else "the call"
    where = f"{what} in {event.function.display}() (line {analysis.line(event.call.statement, event.function)})"
    if event.conditional:
        if event.call.region is not None:
            why = f"it is inside {event.call.region}"
        elif not event.call.always:
            why = f"an early `return` in {event.function.display}() can skip it"
        else:
            why = f"{event.function.display}() is not called on every invocation"
        return f"{where} runs only on some invocations ({why})"
    return f"{where} runs after the first use and outside a `finally:`, so an exception in between skips it"


def reached_calls(analysis: Analysis):
    """(function, receiver, handlers, call) for every call made on the invocation path."""
    for info, receiver, handlers in analysis.reached_functions:
        for step in info.all_steps():
            for call in step.calls:
                if call.called and call.is_call:
                    yield info, receiver, handlers, call


def handler_trace(analysis: Analysis, handler: Handler, classify: Classifier) -> List[Event]:
    """``trace`` from where each invocation of a handler starts (an adapter's
    routes each run only for some requests, so their events are conditional)."""
    events: List[Event] = []
    for entry, always in analysis.path.entries(handler):
        traced = trace(analysis, entry, classify)
        events.extend(traced if always else (replace(event, conditional=True) for event in traced))
    return events


def events_by_call(analysis: Analysis, classify: Classifier, wanted) -> List[Tuple[Event, List[Handler]]]:
    """Events ``wanted(event, all_events_of_its_handler)`` keeps, one per call
    site, each with the handlers that reach it (in handler order)."""
    found = {}
    for handler in analysis.handlers:
        events = handler_trace(analysis, handler, classify)
        for event in events:
            if wanted(event, events):
                found.setdefault(id(event.call.node), (event, []))[1].append(handler)
    return list(found.values())


def handler_decorators(analysis: Analysis, handler: Handler) -> List[DecoratorUse]:
    """``@obj.method(...)`` decorators of a handler, ``obj`` resolved to the
    module-level binding it names (in the handler's module or imported)."""
    from linter.parsing.syntax import decorating_callable
    from linter.summary.scanner import RefPath, path_of

    uses = []
    for decorator in handler.node.decorators:
        expression = decorator.decorator
        call = expression if type(expression).__name__ == "Call" else None
        path = path_of(decorating_callable(decorator))
        if path is None or len(path.attrs) != 1:
            continue
        resolved = analysis.names.module_state(handler.module, RefPath(path.root))
        binding = analysis.states.get(resolved[0]) if resolved is not None else None
        uses.append(DecoratorUse(binding, path.attrs[0], call, decorator))
    return uses


def called_at_import(analysis: Analysis, binding: Binding, methods) -> bool:
    """Whether code run at import calls one of ``methods`` on ``binding``
    (``logger.append_keys(...)`` at module level, or in a setup function
    module-level code calls)."""
    return any(
        method_of(call) in methods and receiver_binding(analysis, info, receiver, call) is binding
        for info, receiver, call in analysis.calls_at_import()
    )


def qualified_calls_at_import(analysis: Analysis, names) -> bool:
    """Whether code run at import calls one of the library functions ``names``."""
    return any(qualified_callee(analysis, info, call, names) in names for info, _, call in analysis.calls_at_import())


def module_bindings_made_by(analysis: Analysis, constructors) -> List[Binding]:
    """Module-level objects created by one of ``constructors`` (qualified
    names), in every module."""
    return [
        binding for binding in analysis.module_bindings()
        if analysis.module(binding.module).constructor(binding) in constructors
    ]
