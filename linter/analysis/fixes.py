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


def insert_in_handlers(
    analysis: Analysis,
    handlers: Sequence[Handler],
    state: StateKey,
    statements: Callable[[str], Optional[Tuple[str, ...]]],
) -> Optional[HandlerInsertions]:
    """Edits inserting ``statements(how the handler's module spells state)``
    at the start of each handler, with the import it needs; None when a
    handler cannot name the state (or shadows it with a local)."""
    edits, shown, cyclic = [], (), False
    for handler in handlers:
        spelling = spell_state(analysis, state, handler.module)
        inserted = statements(spelling.expression) if spelling is not None else None
        if inserted is None or analysis.function(handler.key).is_local(spelling.expression.split(".")[0]):
            return None
        if spelling.import_statement is not None:
            edits.append(AddImport(handler.module, spelling.import_statement))
            cyclic = cyclic or analysis.imports_transitively(state[0], handler.module)
        edits.append(PrependStatements(handler.key, inserted))
        shown = shown or inserted
    return HandlerInsertions(tuple(edits), shown, cyclic)
