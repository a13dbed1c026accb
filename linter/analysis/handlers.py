"""Which top-level functions of a module are Lambda handlers, and why.

Explicit handlers (``--handler``, ``handlers = [...]`` in the configuration)
replace the heuristics for the file they name; every other file is judged by
the heuristics, tried in the documented order.  A function the heuristics
pick that another picked function reaches is a helper, not an entry point:
``lambda_handler`` calling ``process(event, context)`` must not make
``process`` a second handler, whose reset would run after (and undo) what
``lambda_handler`` already did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from linter.summary.model import ModuleModel
from linter.parsing.syntax import decorating_callable, dotted_name

EVENT_NAMES = frozenset({"event", "evt", "e", "_event"})
CONTEXT_NAMES = frozenset({"context", "ctx", "_context", "lambda_context"})
POWERTOOLS_DECORATORS = frozenset(
    {"inject_lambda_context", "log_metrics", "capture_lambda_handler", "event_source"}
)
HANDLER_NAMES = frozenset({"lambda_handler", "handler"})
DECORATOR_FACTORY = "lambda_handler_decorator"


@dataclass(frozen=True)
class Handler:
    key: Tuple[str, ...]  # (module, function name)
    reason: str
    node: cst.FunctionDef = field(compare=False, hash=False)

    @property
    def name(self) -> str:
        return self.key[-1]

    @property
    def module(self) -> str:
        return self.key[0]

    @property
    def strong(self) -> bool:
        """Named, decorated or annotated like a handler, not only by its parameters."""
        return self.name in HANDLER_NAMES or not self.reason.startswith("parameters")


@dataclass(frozen=True)
class Helper:
    """A function that looks like a handler but is not the entry point: a
    handler reaches it, or it only calls one (a local runner)."""

    function: Handler
    other: Handler  # the handler it runs inside, or the one it calls
    calls_handler: bool = False

    @property
    def explanation(self) -> str:
        other = f"{self.other.name}()"
        if self.other.module != self.function.module:
            other += f" ({self.other.module})"
        relation = f"it calls {other}, the handler" if self.calls_handler else f"it runs inside {other}"
        return (
            f"{self.function.name} is not a handler: {relation} "
            "(name it with --handler or `handlers` in the configuration if Lambda also invokes it directly)"
        )


def _decorator_names(node: cst.FunctionDef) -> List[str]:
    names = []
    for decorator in node.decorators:
        name = dotted_name(decorating_callable(decorator))
        if name:
            names.append(name)
    return names


def _positional_params(node: cst.FunctionDef) -> List[cst.Param]:
    return [*node.params.posonly_params, *node.params.params]


def _annotation_name(param: cst.Param) -> Optional[str]:
    if param.annotation is None:
        return None
    name = dotted_name(param.annotation.annotation)
    if name is None and isinstance(param.annotation.annotation, cst.SimpleString):
        name = param.annotation.annotation.evaluated_value
    return name


def heuristic_reason(node: cst.FunctionDef, factory_made: frozenset) -> Optional[str]:
    """Why ``node`` looks like a handler, or None."""
    params = _positional_params(node)
    names = [p.name.value for p in params]
    if len(names) >= 2 and names[0] in EVENT_NAMES and names[1] in CONTEXT_NAMES:
        return f"parameters ({names[0]}, {names[1]})"
    for param in params:
        annotation = _annotation_name(param)
        if annotation and annotation.split(".")[-1] == "LambdaContext":
            return f"parameter '{param.name.value}' annotated LambdaContext"
    for name in _decorator_names(node):
        last = name.split(".")[-1]
        if last in POWERTOOLS_DECORATORS:
            return f"decorated with @{name}"
        if name in factory_made:
            return f"decorated with @{name} (made by {DECORATOR_FACTORY})"
    if node.name.value in HANDLER_NAMES:
        return f"named {node.name.value}"
    return None


def missing_handlers(model: ModuleModel, explicit: Optional[Dict[str, str]]) -> List[str]:
    """One message per explicitly named handler the module does not define."""
    return [
        f"handler '{name}' ({how}) is not a top-level function here"
        for name, how in (explicit or {}).items()
        if name not in model.top_level_functions
    ]


def separate_helpers(
    candidates: Sequence[Handler], reached_from: Callable[[Handler], Sequence[Handler]]
) -> Tuple[List[Handler], List[Helper]]:
    """Split heuristic handlers into entry points and helpers: a candidate
    that another candidate reaches (``reached_from(candidate)``: the
    candidates whose invocation path includes it) is a helper, unless the
    two reach each other.  A candidate named or decorated like a handler
    (``lambda_handler``) is the entry point over one that only has handler
    parameters and calls it (``run_local(event, context)``)."""
    handlers: List[Handler] = []
    helpers: List[Helper] = []

    def one_way(caller: Handler, callee: Handler) -> bool:
        return caller != callee and caller in candidates and caller in reached_from(callee) and callee not in reached_from(caller)

    for candidate in candidates:
        callers = [other for other in reached_from(candidate) if one_way(other, candidate)]
        inside = [other for other in callers if other.strong or not candidate.strong]
        runner_of = [other for other in candidates if one_way(candidate, other) and other.strong and not candidate.strong]
        if inside:
            helpers.append(Helper(candidate, inside[0]))
        elif runner_of:
            helpers.append(Helper(candidate, runner_of[0], calls_handler=True))
        else:
            handlers.append(candidate)
    return handlers, helpers


def find_handlers(model: ModuleModel, explicit: Optional[Dict[str, str]]) -> List[Handler]:
    """Handlers of the module; ``explicit`` maps function names to the reason."""
    functions = model.top_level_functions
    if explicit is not None:
        return [
            Handler((model.name, name), reason, functions[name]) for name, reason in explicit.items() if name in functions
        ]
    factory_made = frozenset(
        name
        for name, node in functions.items()
        if any(n.split(".")[-1] == DECORATOR_FACTORY for n in _decorator_names(node))
    )
    found = []
    for name, node in functions.items():
        if name in factory_made:
            continue
        reason = heuristic_reason(node, factory_made)
        if reason is not None:
            found.append(Handler((model.name, name), reason, node))
    return found
