"""Functions a framework runs on the handler's behalf.

Web frameworks and Powertools' event handlers keep the functions registered
on an application object (``@app.get("/todos")``, ``@router.post(...)``,
``@bp.route(...)``, ``@app.middleware("http")``) and run them when the
handler dispatches through it: ``app.resolve(event, context)`` (Powertools),
``handle_request(app, event, context)`` (serverless-wsgi), ``Mangum(app)``,
``make_lambda_handler(app)``, a Chalice app.  The general rule: a function
registered on a module-level object is on the invocation path when the path
dispatches through the object (calls ``resolve`` or the object itself, or
passes it to another call).  Routers included into an application, in any
module (``app.include_router(router)``, ``app.register_blueprint(bp)``),
bring their routes along, and FastAPI runs a route's ``Depends(...)``
functions before it.
"""
from __future__ import annotations

from functools import cached_property
from typing import Dict, List, Optional

import libcst as cst

from linter.analysis.handler_names import CHALICE_HANDLERS, POWERTOOLS_DECORATORS
from linter.analysis.handlers import adapter_application
from linter.analysis.names import Context, Names
from linter.analysis.project import ProjectModel
from linter.analysis.states import StateKey
from linter.parsing.syntax import dotted_name
from linter.summary.scanner import CallRef, FunctionInfo, RefPath, path_of

DISPATCH_METHODS = frozenset({"resolve", "__call__"})
# Decorators on an object that do not register a function for dispatch: Chalice's own Lambda
# functions, Powertools' handler decorators (the function is the handler, not a route).
NOT_ROUTES = CHALICE_HANDLERS | POWERTOOLS_DECORATORS | frozenset({"capture_method", "lambda_handler_decorator"})
MIDDLEWARE = "middleware"  # FastAPI/Starlette and Chalice: runs before every route
LINK_METHODS = frozenset({"include_router", "register_blueprint", "mount"})
DEPENDENCY_MARKERS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})


class Dispatch:
    def __init__(self, project: ProjectModel, names: Names):
        self.project = project
        self.names = names

    @cached_property
    def _registrations(self) -> Dict[StateKey, List[tuple]]:
        """{application object: (function key, registering method) for each
        function registered on it}."""
        found: Dict[StateKey, list] = {}
        for module in self.project.modules.values():
            for name, node in module.top_level_functions.items():
                for decorator in node.decorators:
                    registration = self._decorated_on(module.name, decorator)
                    if registration is not None:
                        found.setdefault(registration[0], []).append(((module.name, name), registration[1]))
                        break
        return found

    @cached_property
    def _registered(self) -> Dict[StateKey, List[tuple]]:
        """{application object: keys of the functions registered on it}."""
        return {app: [key for key, _ in registrations] for app, registrations in self._registrations.items()}

    def middlewares(self, application: StateKey) -> List[Context]:
        """Functions the application runs around every request, before its
        route (``@app.middleware("http")``): a reset at their start runs on
        every invocation."""
        application = self._adapters.get(application, application)
        return [(key, None) for key, method in self._registrations.get(application, []) if method == MIDDLEWARE]

    def _decorated_on(self, module: str, decorator: cst.Decorator) -> Optional[tuple]:
        """(the module-level object ``@obj.method(...)`` registers on, the
        method), unless the decorator makes its own Lambda function (Chalice's
        ``@app.on_s3_event``)."""
        expression = decorator.decorator
        path = path_of(expression.func if isinstance(expression, cst.Call) else expression)
        if path is None or len(path.attrs) != 1 or path.attrs[0] in NOT_ROUTES:
            return None
        resolved = self.names.module_state(module, RefPath(path.root))
        return (resolved[0], path.attrs[0]) if resolved is not None else None

    @cached_property
    def _links(self) -> Dict[StateKey, List[StateKey]]:
        """{application: routers included into it} from ``app.include_router(router)``."""
        found: Dict[StateKey, list] = {}
        for module in self.project.modules.values():
            for call, _ in module.module_calls:
                path = path_of(call.func)
                if path is None or len(path.attrs) != 1 or path.attrs[0] not in LINK_METHODS:
                    continue
                host = self.names.module_state(module.name, RefPath(path.root))
                for arg in call.args:
                    included = path_of(arg.value)
                    resolved = self.names.module_state(module.name, included) if included is not None else None
                    if host is not None and resolved is not None:
                        found.setdefault(host[0], []).append(resolved[0])
        return found

    @cached_property
    def _adapters(self) -> Dict[StateKey, StateKey]:
        """{adapter: the application it runs} for ``handler = Mangum(app)``."""
        found: Dict[StateKey, StateKey] = {}
        for module in self.project.modules.values():
            for binding in module.bindings.values():
                adapter = adapter_application(self.project, module, binding)
                if adapter is not None:
                    found[binding.key] = adapter[1]
        return found

    def routes(self, application: StateKey) -> List[Context]:
        """The functions the application (or an adapter over it) runs, its
        included routers' too."""
        found, pending, seen = [], [application], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            found.extend((key, None) for key in self._registered.get(current, []))
            pending.extend(self._links.get(current, []))
            pending.extend([self._adapters[current]] if current in self._adapters else [])
        return found

    def has_routes(self, state: StateKey) -> bool:
        return state in self._registered or state in self._links or state in self._adapters

    def dispatched(self, info: FunctionInfo, receiver: Optional[StateKey], call: CallRef) -> List[Context]:
        """Routes a call runs: ``app.resolve(...)``, ``app(...)``, or any call
        given the application (``handle_request(app, event, context)``)."""
        found: List[Context] = []
        if not (self._registered or self._links):
            return found  # no application objects in the project: nothing to look for
        path = call.path
        if call.called and (not path.attrs or path.attrs[-1] in DISPATCH_METHODS):  # not ``app.current_event``
            owner = RefPath(path.root, path.attrs[:-1]) if path.attrs else path
            found.extend(self._routes_of(info, receiver, owner))
        if call.is_call:
            for arg in call.node.args:
                argument = path_of(arg.value)
                if argument is not None:
                    found.extend(self._routes_of(info, receiver, argument))
        return found

    def _routes_of(self, info: FunctionInfo, receiver, path: RefPath) -> List[Context]:
        """The routes dispatched through the object ``path`` names; an adapter
        called by the handler is itself reached (it is then not a handler)."""
        resolved = self.names.resolve_state(info, receiver, path)
        if resolved is None or not self.has_routes(resolved[0]):
            return []
        adapter = [(resolved[0], None)] if resolved[0] in self._adapters else []
        return adapter + self.routes(resolved[0])

    def dependencies(self, info: FunctionInfo) -> List[Context]:
        """Functions FastAPI runs before a route: ``Depends(get_db)`` defaults."""
        found: List[Context] = []
        if not self._registered:
            return found
        for _, default in info.defaults:
            if isinstance(default, cst.Call) and default.args and (
                self.names.qualify(info.module, default.func) in DEPENDENCY_MARKERS
            ):
                target = dotted_name(default.args[0].value)
                if target is not None and "." not in target:
                    found.extend(self.names.module_callee(info.module, RefPath(target)))
        return found
