"""Which code of a module Lambda invokes, and why.

A handler is usually a top-level function, but it can also be a method of a
module-level object (``handler = Handler().handle``), a callable instance
(``handler = OrderHandler()`` with ``__call__``), a function wrapped at
module level (``lambda_handler = with_logging(process)``), an adapter that
dispatches to a web framework's routes (``handler = Mangum(app)``,
``make_lambda_handler(app)``, a Chalice app), or a Chalice event handler.

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
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from linter.analysis.handler_names import (
    ADAPTERS, CHALICE, CHALICE_HANDLERS, CONTEXT_NAMES, DECORATOR_FACTORY, EVENT_NAMES, HANDLER_NAMES,
    POWERTOOLS_DECORATORS,
)
from linter.parsing.syntax import decorating_callable, dotted_name
from linter.summary.model import Binding, ModuleModel

if TYPE_CHECKING:
    from linter.analysis.project import ProjectModel

@dataclass(frozen=True)
class Handler:
    key: Tuple[str, ...]  # the function it runs, (module, name, ...); an adapter's own binding
    reason: str
    node: cst.CSTNode = field(compare=False, hash=False, repr=False)  # where it is defined, for positions
    entry: Optional[str] = None  # the name Lambda invokes, when not the function's (``handler = X().handle``)
    receiver: Optional[Tuple[str, ...]] = None  # the module-level object a method handler runs on
    wrapped_by: Optional[Tuple[str, ...]] = None  # ``lambda_handler = with_logging(process)``: with_logging
    dispatches: Optional[Tuple[str, ...]] = None  # an adapter's application: invocations go to its routes

    @property
    def name(self) -> str:
        return self.entry or self.key[-1]

    @property
    def module(self) -> str:
        return self.key[0]

    @property
    def strong(self) -> bool:
        """Named, decorated or annotated like a handler, not only by its
        parameters, nor an adapter (``_asgi = Mangum(app)``) that a function
        with handler parameters may call to run its own code first."""
        if self.name in HANDLER_NAMES:
            return True
        return not (self.reason.startswith("parameters") or self.dispatches not in (None, self.key))

    @property
    def has_body(self) -> bool:
        """Whether it runs a function of the project whose start a reset can go at
        (an adapter runs the framework's code first)."""
        return self.dispatches is None


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


def heuristic_reason(node: cst.FunctionDef, factory_made: frozenset, model: Optional[ModuleModel] = None) -> Optional[str]:
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
        if model is not None and last in CHALICE_HANDLERS and _made_by(model, name.split(".")[0], CHALICE):
            return f"decorated with @{name} (a Chalice event handler)"
    if node.name.value in HANDLER_NAMES:
        return f"named {node.name.value}"
    return None


def _made_by(model: ModuleModel, name: str, constructors) -> bool:
    binding = model.bindings.get(name)
    return binding is not None and model.constructor(binding) in constructors


def missing_handlers(project: ProjectModel, model: ModuleModel, explicit: Optional[Dict[str, str]]) -> List[tuple]:
    """(name, message) per explicitly named handler the module does not define."""
    return [
        (name, f"handler '{name}' ({how}) is not a function, method or handler object here")
        for name, how in (explicit or {}).items()
        if _named(project, model, name, how) is None
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

    possible = set(candidates)
    reaching = {candidate: set(reached_from(candidate)) for candidate in candidates}  # sets: 700 handlers took 30 s as lists

    def one_way(caller: Handler, callee: Handler) -> bool:
        return (caller != callee and caller in possible and caller in reaching[callee]
                and callee not in reaching[caller])

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


def find_handlers(project: ProjectModel, model: ModuleModel, explicit: Optional[Dict[str, str]]) -> List[Handler]:
    """Handlers of the module; ``explicit`` maps names (a function, a
    module-level handler object, ``Class.method``) to how they were given."""
    if explicit is not None:
        return [handler for name, how in explicit.items() for handler in [_named(project, model, name, how)] if handler]
    functions = model.top_level_functions
    factory_made = frozenset(
        name
        for name, node in functions.items()
        if any(n.split(".")[-1] == DECORATOR_FACTORY for n in _decorator_names(node))
    )
    found = []
    for name, node in functions.items():
        if name in factory_made:
            continue
        reason = heuristic_reason(node, factory_made, model)
        if reason is not None:
            found.append(Handler((model.name, name), reason, node))
    for name, binding in model.bindings.items():
        handler = _object_handler(project, model, name, binding, heuristic=True)
        if handler is not None:
            found.append(handler)
    return found


def _named(project: ProjectModel, model: ModuleModel, name: str, how: str) -> Optional[Handler]:
    """The handler an explicit name means: a top-level function, a module-level
    handler object, or ``Class.method``."""
    if name in model.top_level_functions:
        return Handler((model.name, name), how, model.top_level_functions[name])
    if name in model.bindings:
        return _object_handler(project, model, name, model.bindings[name], heuristic=False, how=how)
    class_name, _, method = name.partition(".")
    key = project.method((model.name, class_name), method) if method else None
    info = project.function(key)
    return Handler(key, how, info.node, entry=name) if info is not None else None


def _object_handler(project, model, name: str, binding: Binding, heuristic: bool, how: str = "") -> Optional[Handler]:
    """A module-level binding that is a handler: an adapter over a web
    application, a Chalice app, a callable instance, a bound method of an
    object, or a function wrapped by a function of the project.  The
    heuristics take adapters and Chalice apps by what makes them, the others
    only under a handler's name (``handler``, ``lambda_handler``)."""
    value, module = binding.value, model.name
    adapter = adapter_application(project, model, binding)
    if adapter is not None:
        made_by, app = adapter
        return Handler(binding.key, how or f"{made_by} adapter over {app[-1]}", binding.node, dispatches=app)
    if isinstance(value, cst.Call):
        made_by = model.qualify(value.func)
        if made_by in CHALICE:
            return Handler(binding.key, how or "a Chalice app (its routes)", binding.node, dispatches=binding.key)
    if heuristic and name not in HANDLER_NAMES:
        return None
    why = how or f"named {name}"
    if isinstance(value, cst.Call):
        ref = project.class_ref(module, dotted_name(value.func))
        call = project.method(ref, "__call__") if ref else None
        if call is not None:
            return Handler(call, f"{why}: an instance of {ref[1]} with __call__", binding.node, name, binding.key)
        wrapper = dotted_name(value.func)
        wrapped = dotted_name(value.args[0].value) if value.args else None
        if wrapper in model.top_level_functions and wrapped in model.top_level_functions:
            return Handler((module, wrapped), f"{why}: {wrapper}({wrapped})", binding.node, name,
                           wrapped_by=(module, wrapper))
        inner = _returned_function(model, wrapper)
        if inner is not None:
            return Handler(inner, f"{why}: the function {wrapper}() returns", binding.node, name)
    if isinstance(value, cst.Attribute):
        method, owner = value.attr.value, value.value
        ref = project.constructed_class(module, owner) if isinstance(owner, cst.Call) else None
        receiver = binding.key if ref is not None else _module_object(project, module, owner)
        if ref is None and receiver is not None:
            ref = project.constructed_class(receiver[0], project.modules[receiver[0]].bindings[receiver[1]].value)
        key = project.method(ref, method) if ref else None
        if key is not None:
            return Handler(key, f"{why}: the method {ref[1]}.{method} of an object", binding.node, name, receiver)
    return None


def _returned_function(model: ModuleModel, factory: Optional[str]) -> Optional[Tuple[str, ...]]:
    """The key of the function defined in the top-level function ``factory``
    that it returns (``def make_handler(): ... def handler(event, context):
    ...; return handler``), or None."""
    node = model.top_level_functions.get(factory or "")
    if node is None:
        return None
    nested = {statement.name.value for statement in node.body.body if isinstance(statement, cst.FunctionDef)}
    for statement in node.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return) and isinstance(small.value, cst.Name) and small.value.value in nested:
                    return (model.name, factory, small.value.value)
    return None


def adapter_application(project, model: ModuleModel, binding: Binding) -> Optional[Tuple[str, Tuple[str, str]]]:
    """(what made it, the application) when ``binding`` is an adapter over a
    module-level web application: ``Mangum(app)``, ``make_lambda_handler(app)``."""
    value = binding.value
    if not isinstance(value, cst.Call) or not value.args or model.qualify(value.func) not in ADAPTERS:
        return None
    app = _module_object(project, model.name, value.args[0].value)
    return (model.qualify(value.func).rsplit(".", 1)[-1], app) if app is not None else None


def _module_object(project, module: str, node) -> Optional[Tuple[str, str]]:
    """The module-level binding (here or imported) ``node`` names, as a state key."""
    name = dotted_name(node)
    if name is None or "." in name:
        return None
    if name in project.modules[module].bindings:
        return module, name
    followed = project.follow_import(module, name)
    if followed is None or followed[2] or followed[1] not in project.modules[followed[0]].bindings:
        return None
    return followed[0], followed[1]
