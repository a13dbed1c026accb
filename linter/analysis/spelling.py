"""How one module spells state that lives in another.

A reset goes into each handler that reaches the state, and the handler may
be in another module than the state: ``SEEN`` in ``lib/audit.py`` is
``SEEN`` in a handler module that did ``from lib.audit import SEEN``,
``audit.SEEN`` after ``from lib import audit``, and needs an import when the
handler module names neither.  The import is written in the style of the
module's other imports of the project: ``from lib.audit import SEEN``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from linter.analysis.api import Analysis
    from linter.analysis.handlers import Handler
    from linter.analysis.states import StateKey


@dataclass(frozen=True)
class Spelling:
    expression: str  # how the module refers to the state
    import_statement: Optional[str] = None  # what it must import first, if anything
    on_receiver: bool = False  # through the method's ``self``, not a module-level name


def spell_in_handler(analysis: Analysis, state: StateKey, handler: Handler) -> Optional[Spelling]:
    """How the start of ``handler`` names ``state``: an attribute of the
    object a method handler runs on is ``self.<attribute>`` (the object may
    have no name of its own: ``handler = OrderConsumer().handle``)."""
    receiver, info = handler.receiver, analysis.function(handler.key)
    if receiver and info is not None and info.class_name and info.params and len(state) > len(receiver) \
            and state[: len(receiver)] == receiver:
        return Spelling(".".join((info.params[0], *state[len(receiver):])), on_receiver=True)
    return spell_state(analysis, state, handler.module)


def spell_state(analysis: Analysis, state: StateKey, module: str) -> Optional[Spelling]:
    """How code at module level of ``module`` names ``state``; None when it
    cannot (no import path, or the name is taken by something else)."""
    home, root, attrs = state[0], state[1], state[2:]
    suffix = "".join(f".{attr}" for attr in attrs)
    if home == module:
        return Spelling(root + suffix)
    model = analysis.module(module)
    for name in model.imports:
        followed = analysis.project.follow_import(module, name)
        if followed == (home, root, ()):
            return Spelling(name + suffix)
    for name, imported in model.imports.items():
        resolved = analysis.project.resolve(module, imported)
        if resolved == (home, ()):
            return Spelling(f"{name}.{root}{suffix}")
    dotted = _module_name(analysis, module, home)
    taken = root in model.bindings or root in model.imports or root in model.top_level_functions or root in model.classes
    if dotted is None or taken:
        return None
    return Spelling(root + suffix, f"from {dotted} import {root}")


def _module_name(analysis: Analysis, module: str, home: str) -> Optional[str]:
    """The dotted name ``module`` imports ``home`` by: as one of its imports
    already spells it (``from shared.audit import record`` gives
    ``shared.audit``), else relative to where its other imports of the
    project start (``from app.routers import items`` makes it ``app.audit``)."""
    for imported in analysis.module(module).imports.values():
        resolved = analysis.project.resolve(module, imported)
        if resolved is not None and resolved[0] == home:
            parts = imported.split(".")
            return ".".join(parts[: len(parts) - len(resolved[1])]) or None
    layout = analysis.project.layout
    if layout is None:
        return None
    imports = analysis.module(module).imports.values()
    in_use = [base for base in (layout.import_base(module, imported) for imported in imports) if base is not None]
    return layout.import_name(module, home, in_use)

