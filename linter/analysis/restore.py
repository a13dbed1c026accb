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

from typing import TYPE_CHECKING, List, Optional, Tuple

import libcst as cst

from linter.summary.kinds import BUFFER_TYPES, CONTAINER_TYPES
from linter.parsing.syntax import dotted_name, is_constant, is_empty_literal

if TYPE_CHECKING:
    from linter.analysis.api import Analysis
    from linter.summary.model import Binding

_LITERALS = (cst.List, cst.Tuple, cst.Set, cst.Dict)
_BUILTIN_VALUES = frozenset({"list", "dict", "set", "tuple", "frozenset", "str", "bytes", "int", "float", "bool"})
_REFILLED_BY_SLICE = frozenset({"list", "bytearray"})  # ``X[:] = <fresh copy>``
_REFILLED_BY_EXTEND = frozenset({"deque"})
_BUFFER_INITIAL = frozenset({"initial_value", "initial_bytes"})


def rebuildable(analysis: Analysis, module: str, node: Optional[cst.CSTNode]) -> bool:
    """Whether evaluating ``node`` again gives what it gave at import: a
    literal of constants, or a known constructor of such literals."""
    if node is None:
        return False
    if is_constant(node) or is_empty_literal(node):
        return True
    if type(node) in _LITERALS:
        return all(_element_rebuildable(analysis, module, element) for element in node.elements)
    if type(node) is cst.BinaryOperation:  # ``[None] * 3``, ``[] + [...]``: a container of literals, spelled without a name
        sides = (node.left, node.right)
        return any(type(side) in _LITERALS for side in sides) and all(
            type(side) is not cst.Call and rebuildable(analysis, module, side) for side in sides)
    if type(node) is cst.Call:
        return _constructor(analysis, module, node) is not None and all(
            rebuildable(analysis, module, arg.value) for arg in _contents(analysis, module, node)
        )
    return False


def _element_rebuildable(analysis: Analysis, module: str, element) -> bool:
    if type(element) is cst.DictElement:
        return rebuildable(analysis, module, element.key) and rebuildable(analysis, module, element.value)
    return rebuildable(analysis, module, element.value)  # Element, StarredElement, StarredDictElement


def _constructor(analysis: Analysis, module: str, call: cst.Call) -> Optional[str]:
    name = analysis.qualify(module, call.func)
    return name if name in CONTAINER_TYPES or name in BUFFER_TYPES or name in _BUILTIN_VALUES else None


def _contents(analysis: Analysis, module: str, call: cst.Call) -> List[cst.Arg]:
    """The arguments of a constructor call that give the contents:
    ``defaultdict(list, {...})``'s factory is kept by the object, not refilled,
    and so is a ``deque``'s ``maxlen``, whose contents are its first
    argument or ``iterable=``, given to ``extend`` without the keyword."""
    kind = CONTAINER_TYPES.get(_constructor(analysis, module, call) or "")
    if kind == "defaultdict" and call.args:
        first = call.args[0]
        if first.keyword is None and dotted_name(first.value) is not None:
            return list(call.args[1:])
    if kind == "deque":
        iterable = _argument(call, 0, ("iterable",))
        return [cst.Arg(iterable.value)] if iterable is not None and not is_empty_literal(iterable.value) else []
    return list(call.args)


def _argument(call: cst.Call, position: int, keywords) -> Optional[cst.Arg]:
    """The argument a call gives the parameter at ``position`` (counted
    from 0), positionally or by one of its ``keywords``; None if not given."""
    return next((arg for index, arg in enumerate(call.args)
                 if (arg.keyword is None and not arg.star and index == position)
                 or (arg.keyword is not None and arg.keyword.value in keywords)), None)


def _initial_contents(analysis: Analysis, binding: Binding) -> Optional[cst.BaseExpression]:
    """The expression the state was created from, if nothing at import time
    changes it afterwards and evaluating it again rebuilds it."""
    if (analysis.changed_at_import(binding.key) or _changed_alias(analysis, binding) is not None
            or not rebuildable(analysis, binding.module, binding.value)):
        return None
    return binding.value


def _changed_alias(analysis: Analysis, binding: Binding) -> Optional[Binding]:
    """Another module-level name bound to the same object by one chained
    assignment (``ALLOWED = DEFAULT_ALLOWED = ["admin"]``) that code run at
    import changes: what it adds is in the state too."""
    if binding.value is None:
        return None
    return next((other for other in analysis.module(binding.module).bindings.values()
                 if other is not binding and other.value is binding.value and analysis.changed_at_import(other.key)),
                None)


def _refill(analysis: Analysis, binding: Binding, value: cst.BaseExpression) -> Optional[str]:
    """Source of what to refill the state with, free of any name (so it reads
    the same in any module): the literal, or the constructor's arguments;
    None when the state starts empty."""
    if is_empty_literal(value):
        return None
    if type(value) is not cst.Call:
        return analysis.source(value)
    if binding.kind == "bytearray":
        return _bytearray_contents(analysis, value)
    args = _contents(analysis, binding.module, value)
    if not args:
        return None
    return ", ".join(analysis.source(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for arg in args)


def _bytearray_contents(analysis: Analysis, call: cst.Call) -> Optional[str]:
    """The bytes ``bytearray(...)`` made, spelled without a name for
    ``X[:] = ``: unlike ``list(...)``, its argument is not always its
    contents (``bytearray(4)`` holds four zero bytes, ``bytearray("é",
    "utf-8")`` the text's encoding); None when it starts empty."""
    source = _argument(call, 0, ("source",))
    codec = [arg for arg in (_argument(call, 1, ("encoding",)), _argument(call, 2, ("errors",))) if arg is not None]
    if source is None:
        return None
    text = analysis.source(source.value)
    if codec:  # str.encode takes the same encoding and errors
        encoded = text if type(source.value) is cst.SimpleString else f"({text})"
        return f"{encoded}.encode({', '.join(analysis.source(arg.value) for arg in codec)})"
    if _is_count(source.value):
        return f'b"\\x00" * {text}'
    return text  # bytes, or an iterable of ints: what slice assignment takes as is


def _is_count(node: cst.CSTNode) -> bool:
    """An int constant (``4``, ``True``), which ``bytearray`` takes as a size."""
    if type(node) is cst.UnaryOperation:
        return _is_count(node.expression)
    return type(node) is cst.Integer or (type(node) is cst.Name and node.value in ("True", "False"))


def restore_in_place(analysis: Analysis, binding: Binding, name: Optional[str] = None) -> Optional[Tuple[str, ...]]:
    """Statements that give a container or buffer back its import-time
    contents without replacing the object, or None.  ``name`` is how the
    module the statements go into spells the state (its own name by default)."""
    value = _initial_contents(analysis, binding)
    if value is None:
        return None
    name = name or binding.display
    if binding.kind in BUFFER_TYPES.values():
        return _restore_buffer(analysis, name, value)
    refill = _refill(analysis, binding, value)
    if refill is None:
        return (f"{name}.clear()",)
    if binding.kind in _REFILLED_BY_SLICE:
        return (f"{name}[:] = {refill}",)
    if binding.kind in _REFILLED_BY_EXTEND:
        return (f"{name}.clear()", f"{name}.extend({refill})")
    return (f"{name}.clear()", f"{name}.update({refill})")


def _restore_buffer(analysis: Analysis, name: str, value: cst.BaseExpression) -> Tuple[str, ...]:
    """Rewind and empty the buffer; a buffer made with initial text gets the
    text back, positioned at its start as the constructor leaves it."""
    rewind = (f"{name}.seek(0)", f"{name}.truncate(0)")
    given = _argument(value, 0, _BUFFER_INITIAL) if type(value) is cst.Call else None
    initial = given.value if given is not None else None
    if initial is None or is_empty_literal(initial) or _is_empty_text(initial):
        return rewind
    return rewind + (f"{name}.write({analysis.source(initial)})", f"{name}.seek(0)")


def _is_empty_text(node: cst.CSTNode) -> bool:
    return type(node) is cst.SimpleString and node.evaluated_value in ("", b"")


def why_not_restorable(analysis: Analysis, binding: Binding) -> str:
    """Why no statement can give the state back its import-time contents."""
    change = analysis.change_at_import(binding.key)
    if change is not None:  # in another module: a hook of a class imported, a decorator, a function called
        module = binding.module if analysis.positions[binding.module].contains(change) else analysis.module_of_node(change)
        place = f"line {analysis.line(change, module)}"
        place = place if module == binding.module else f"{module}, {place}"
        return f"code run at import names it again after creating it ({place})"
    alias = _changed_alias(analysis, binding)
    if alias is not None:
        return f"the same object is bound to '{alias.display}', which code run at import changes"
    return "its contents at import are computed, not written as literals"


def initial_value_source(analysis: Analysis, binding: Binding) -> Optional[str]:
    """Source to rebind a name to its import-time value (``total = 0``), or
    None; a value built by a constructor is only offered in its own module,
    where the constructor's name means the same."""
    value = _initial_contents(analysis, binding)
    return None if value is None else analysis.source(value)


def recomputed_source(analysis: Analysis, binding: Binding) -> Optional[str]:
    """Source of the expression that made the state, to evaluate again (an
    unsafe reset: it may not give the same value, or may have effects); None
    when code run at import changes the state afterwards."""
    if binding.value is None or analysis.changed_at_import(binding.key):
        return None
    return analysis.source(binding.value)
