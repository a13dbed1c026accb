"""What a per-invocation reset must put back: the contents state had when
the module was imported, so a fixed handler behaves as on a cold start.

``RECIPIENTS = ["ops@example.com"]`` is reset with
``RECIPIENTS[:] = ["ops@example.com"]``, not ``RECIPIENTS.clear()``, which
would delete the address a cold start has.  Contents are restored in place
(the object keeps its identity: a logging handler, another module or a
closure may hold it).  When the import-time contents cannot be rebuilt from
the source (computed by a call, read from a file, filled by module-level code
after the assignment), there is no safe reset and these functions return
None.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple

import libcst as cst

from linter.summary.kinds import BUFFER_TYPES, CONTAINER_TYPES
from linter.parsing.syntax import dotted_name, is_constant, is_empty_literal

if TYPE_CHECKING:
    from linter.analysis.invocation import Analysis
    from linter.summary.model import Binding

_LITERALS = (cst.List, cst.Tuple, cst.Set, cst.Dict)
_BUILTIN_VALUES = frozenset({"list", "dict", "set", "tuple", "frozenset", "str", "bytes", "int", "float", "bool"})
_REFILLED_BY_SLICE = frozenset({"list", "bytearray"})  # ``X[:] = <fresh copy>``
_REFILLED_BY_EXTEND = frozenset({"deque"})
_BUFFER_INITIAL = frozenset({"initial_value", "initial_bytes"})


def rebuildable(analysis: Analysis, node: Optional[cst.CSTNode]) -> bool:
    """Whether evaluating ``node`` again gives what it gave at import: a
    literal of constants, or a known constructor of such literals."""
    if node is None:
        return False
    if is_constant(node) or is_empty_literal(node):
        return True
    if type(node) in _LITERALS:
        return all(_element_rebuildable(analysis, element) for element in node.elements)
    if type(node) is cst.Call:
        return _constructor_rebuildable(analysis, node)
    return False


def _element_rebuildable(analysis: Analysis, element) -> bool:
    if type(element) is cst.DictElement:
        return rebuildable(analysis, element.key) and rebuildable(analysis, element.value)
    return rebuildable(analysis, element.value)  # Element, StarredElement, StarredDictElement


def _constructor_rebuildable(analysis: Analysis, call: cst.Call) -> bool:
    name = analysis.model.qualify(call.func)
    if name not in CONTAINER_TYPES and name not in BUFFER_TYPES and name not in _BUILTIN_VALUES:
        return False
    for index, arg in enumerate(call.args):
        factory = index == 0 and arg.keyword is None and CONTAINER_TYPES.get(name) == "defaultdict"
        if factory and dotted_name(arg.value) is not None:
            continue  # ``defaultdict(list)``: the factory is a name, and it is kept
        if not rebuildable(analysis, arg.value):
            return False
    return True


def _initial_contents(analysis: Analysis, binding: Binding) -> Optional[cst.BaseExpression]:
    """The expression the state was created from, if nothing at import time
    changes it afterwards and evaluating it again rebuilds it."""
    if analysis.changed_at_import(binding.key) or not rebuildable(analysis, binding.value):
        return None
    return binding.value


def _is_empty(analysis: Analysis, value: cst.BaseExpression) -> bool:
    if is_empty_literal(value):
        return True
    if type(value) is not cst.Call:
        return False
    kind = CONTAINER_TYPES.get(analysis.model.qualify(value.func) or "")
    content = value.args[1:] if kind == "defaultdict" else value.args
    return not content


def restore_in_place(analysis: Analysis, binding: Binding) -> Optional[Tuple[str, ...]]:
    """Statements that give a container or buffer back its import-time
    contents without replacing the object, or None."""
    value = _initial_contents(analysis, binding)
    if value is None:
        return None
    name, source = binding.display, analysis.source(value)
    if binding.kind in BUFFER_TYPES.values():
        return _restore_buffer(analysis, name, value)
    if _is_empty(analysis, value):
        return (f"{name}.clear()",)
    if binding.kind in _REFILLED_BY_SLICE:
        return (f"{name}[:] = {source}",)
    if binding.kind in _REFILLED_BY_EXTEND:
        return (f"{name}.clear()", f"{name}.extend({source})")
    return (f"{name}.clear()", f"{name}.update({source})")


def _restore_buffer(analysis: Analysis, name: str, value: cst.BaseExpression) -> Tuple[str, ...]:
    """Rewind and empty the buffer; a buffer made with initial text gets the
    text back, positioned at its start as the constructor leaves it."""
    rewind = (f"{name}.seek(0)", f"{name}.truncate(0)")
    initial = next(
        (arg.value for index, arg in enumerate(value.args)
         if (arg.keyword is None and index == 0) or (arg.keyword is not None and arg.keyword.value in _BUFFER_INITIAL)),
        None,
    ) if type(value) is cst.Call else None
    if initial is None or is_empty_literal(initial) or _is_empty_text(initial):
        return rewind
    return rewind + (f"{name}.write({analysis.source(initial)})", f"{name}.seek(0)")


def _is_empty_text(node: cst.CSTNode) -> bool:
    return type(node) is cst.SimpleString and node.evaluated_value in ("", b"")


def initial_value_source(analysis: Analysis, binding: Binding) -> Optional[str]:
    """Source to rebind a name to its import-time value (``total = 0``), or None."""
    value = _initial_contents(analysis, binding)
    return None if value is None else analysis.source(value)
