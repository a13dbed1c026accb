"""Fixes that insert statements at the start of handlers, naming state or a
library object that may live in another module than the handler."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Tuple

from linter.analysis.spelling import spell_state
from linter.fixing.edits import AddImport, PrependStatements

if TYPE_CHECKING:
    from linter.analysis.api import Analysis, StateKey
    from linter.analysis.handlers import Handler


@dataclass(frozen=True)
class HandlerInsertions:
    edits: Tuple[object, ...]
    shown: Tuple[str, ...]  # the statements as the first handler's module spells them
    cyclic: bool  # an added import would close an import cycle (the fix is then unsafe)
    problem: Optional[str] = None  # why there is no fix (then there are no edits)


def insert_in_handlers(
    analysis: Analysis,
    handlers: Sequence[Handler],
    state: StateKey,
    statements: Callable[[str], Optional[Tuple[str, ...]]],
) -> HandlerInsertions:
    """Edits inserting ``statements(how the handler's module spells state)``
    at the start of each handler, with the import it needs; with a
    ``problem`` and no edits when that cannot be done right."""
    edits, shown, cyclic = [], (), False
    for handler in handlers:
        problem = _no_start(analysis, handler) or _reset_would_undo(analysis, handler, state)
        spelling = spell_state(analysis, state, handler.module) if problem is None else None
        if problem is None and spelling is None:
            problem = f"{handler.module} has no name for it that an import could add"
        inserted = statements(spelling.expression) if spelling is not None else None
        if problem is None and inserted is None:
            problem = "its contents at import cannot be rebuilt from the source"
        if problem is None and analysis.function(handler.key).is_local(spelling.expression.split(".")[0]):
            problem = f"{handler.name}() has a local variable of the same name"
        if problem is not None:
            return HandlerInsertions((), (), False, problem)
        if spelling.import_statement is not None:
            edits.append(AddImport(handler.module, spelling.import_statement))
            cyclic = cyclic or analysis.imports_transitively(state[0], handler.module)
        edits.append(PrependStatements(handler.key, inserted))
        shown = shown or inserted
    return HandlerInsertions(tuple(edits), shown, cyclic)


def _no_start(analysis: Analysis, handler: Handler) -> Optional[str]:
    """Why the handler has no body of the project's where a reset could go first."""
    if not handler.has_body or analysis.function(handler.key) is None:
        return f"{handler.name} is {handler.reason}: the framework runs first; reset it in a middleware"
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
    wrappers = list(analysis.path.decorator_wrappers(info))
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
