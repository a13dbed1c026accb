"""Fixes that insert statements at the start of handlers, naming state or a
library object that may live in another module than the handler."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Tuple

from linter.analysis.handlers import adapter_application
from linter.analysis.rule import handler_phrase
from linter.analysis.spelling import spell_in_handler
from linter.fixing.edits import AddImport, AddMiddleware, PrependStatements, WrapAdapter
from linter.fixing.transform import find_assignment

if TYPE_CHECKING:
    from linter.analysis.api import Analysis, StateKey
    from linter.analysis.handlers import Handler


@dataclass(frozen=True)
class HandlerInsertions:
    edits: Tuple[object, ...]
    shown: Tuple[str, ...]  # the statements as the first handler's module spells them
    cyclic: bool  # an added import would close an import cycle (the fix is then unsafe)
    problem: Optional[str] = None  # why there is no fix (then there are no edits)
    new_bodies: Tuple[str, ...] = ()  # how handlers without a body got one, for the fix's message

    def place(self, handlers: Sequence[Handler], module: Optional[str] = None) -> str:
        """``handler main()``, and how a handler without a body gets one."""
        return handler_phrase(handlers, module) + "".join(f" ({how})" for how in self.new_bodies)


def insert_in_handlers(
    analysis: Analysis,
    handlers: Sequence[Handler],
    state: StateKey,
    statements: Callable[[str], Optional[Tuple[str, ...]]],
) -> HandlerInsertions:
    """Edits inserting ``statements(how the handler's module spells state)``
    at the start of each handler, with the import it needs; with a
    ``problem`` and no edits when that cannot be done right."""
    edits, shown, cyclic, bodies = [], (), False, []
    for handler in handlers:
        body = _body_for(analysis, handler)
        problem = (None if body else _no_start(analysis, handler)) or _reset_would_undo(analysis, handler, state)
        spelling = spell_in_handler(analysis, state, handler) if problem is None else None
        if problem is None and spelling is None:
            problem = f"{handler.module} has no name for it that an import could add"
        inserted = statements(spelling.expression) if spelling is not None else None
        if problem is None and inserted is None:
            problem = "its contents at import cannot be rebuilt from the source"
        info = analysis.function(handler.key)
        if problem is None and info is not None and not spelling.on_receiver \
                and info.is_local(spelling.expression.split(".")[0]):
            problem = f"{handler.name}() has a local variable of the same name"
        if problem is not None:
            return HandlerInsertions((), (), False, problem)
        if spelling.import_statement is not None:
            edits.append(AddImport(handler.module, spelling.import_statement))
            cyclic = cyclic or analysis.imports_transitively(state[0], handler.module)
        edits.extend([body] if body else [])
        bodies.extend([body.description] if body else [])
        edits.append(PrependStatements(body.function if body else handler.key, inserted))
        shown = shown or inserted
    return HandlerInsertions(tuple(edits), shown, cyclic, new_bodies=tuple(bodies))


def _body_for(analysis: Analysis, handler: Handler):
    """For a handler without a body of the project's, the edit that gives it
    one, so that a reset can run before the framework does: ``handler =
    Mangum(app)`` becomes a function calling the adapter, a Chalice app gets
    a middleware.  None for other handlers, and where the adapter or app is
    not a plain top-level assignment or the new function's name is taken."""
    if handler.has_body or len(handler.key) != 2:
        return None
    model = analysis.module(handler.module)
    binding = model.bindings.get(handler.key[1])
    if binding is None or find_assignment(model.module, handler.key[1]) is None:
        return None
    if handler.dispatches == handler.key:
        edit = AddMiddleware(handler.module, handler.key[1])
    elif adapter_application(analysis.project, model, binding) is not None:
        edit = WrapAdapter(handler.module, handler.key[1])
    else:
        return None
    new_name = edit.name if isinstance(edit, AddMiddleware) else edit.adapter
    return None if model.defines(new_name) else edit


def _no_start(analysis: Analysis, handler: Handler) -> Optional[str]:
    """Why the handler has no body of the project's where a reset could go first."""
    if handler.dispatches == handler.key:  # a Chalice app: Lambda calls the app object itself
        return (f"{handler.name} is {handler.reason}, which has no body to reset it in; reset it at the start of "
                f"a function registered with @{handler.name}.middleware(\"http\"), before it calls get_response(event)")
    if not handler.has_body or analysis.function(handler.key) is None:
        return (f"{handler.name} is {handler.reason}, which has no body to reset it in; make {handler.name} a "
                f"function that resets it and then calls the adapter")
    return None


def _reset_would_undo(analysis: Analysis, handler: Handler, state: StateKey) -> Optional[str]:
    """Why a reset at the start of the handler's body would undo work done for
    this same invocation, or None: a project decorator's wrapper (or the
    function wrapping it at module level) changes the state before it calls
    the handler, or code calls the handler itself (a handler that recurses,
    another handler that delegates to it)."""
    callers = analysis.path.callers((handler.key, handler.receiver))
    if callers:
        caller = ".".join(callers[0][0][0][1:])
        return f"{handler.name}() is also called by {caller}(), whose work a reset at its start would undo"
    info = analysis.function(handler.key)
    wrappers = list(analysis.path.decorator_wrappers(info)) if info is not None else []
    if handler.wrapped_by is not None:
        wrappers += analysis.path.wrappers_of(handler.wrapped_by)
    for wrapper in wrappers:
        if state in _changed_before_the_call(analysis, wrapper):
            return f"its wrapper {'.'.join(wrapper[1:])}() changes it before calling {handler.name}()"
    return None


def _changed_before_the_call(analysis: Analysis, wrapper) -> set:
    """State a decorator's wrapper changes before it calls the function it wraps."""
    info = analysis.function(wrapper)
    wrapped = {name for key in _enclosing(wrapper) for name in analysis.function(key).params} if info else set()
    before = []
    for step in info.steps if info else ():
        if any(call.called and not call.path.attrs and call.path.root in wrapped for call in step.calls):
            break
        before.append(step)
    return analysis.effects.mutated_in((wrapper, None), before)


def _enclosing(key):
    """Keys of the functions around a nested function (the decorator, its factory)."""
    return [key[:depth] for depth in range(2, len(key))]
