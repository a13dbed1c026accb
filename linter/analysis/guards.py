"""Conditions that make code run once per process rather than once per
invocation, so that what it does to module-level state cannot pile up.

Three shapes matter to the rules:

- *filled once*: a container filled only while it is empty or lacks a
  constant key (``if "keys" not in _JWKS: _JWKS.update(fetch_keys())``,
  ``if not _CONFIG: _CONFIG.update(load())``) holds one set of entries, not
  one per request;
- *set up once*: code behind a look at a logger's handlers
  (``if not logger.handlers:``) or at a module-level flag the module rebinds
  under ``global`` (``if _configured: return``, ``if _handler is None:``);
- *run at the first invocation*: code that runs only while a module-level
  flag is unset, which the module then sets for good (``if _policies is
  None: _policies = load(); register(_policies)``, ``if not _READY: ...;
  _READY = True``): what it adds to a container is added once per process.

- *kept for the process*: a value written behind a look at state the
  invocation path itself writes (``if _client is None:``, ``if time.time() -
  _LOADED_AT > TTL:``, ``if getattr(CLIENTS, "s3", None) is None:``), or in
  an ``except KeyError:`` after a failed lookup of the cache it fills.

A guard counts wherever it is: around the statement, on an early ``return``
before it, or around every call that leads to the function holding it
(:meth:`linter.analysis.api.Analysis.mutation_guarded`).

LibCST is imported inside the functions, so rules can import this module
without paying for the parser.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:
    from linter.analysis.api import Analysis, StateKey, StateMutation
    from linter.summary.scanner import Guard


def filled_once(analysis: Analysis, item: StateMutation) -> bool:
    """Whether a mutation only runs while its state is empty or lacks a constant key."""
    return analysis.mutation_guarded(item, "unfilled state", lambda guard: unfilled_state(analysis, guard), item.state)


def unfilled_state(analysis: Analysis, guard: Guard) -> Optional[StateKey]:
    """The state ``guard`` lets code run only while it is empty or lacks a
    constant key; None for any other guard."""
    info = analysis.function(guard.function)
    if info is None:
        return None
    test, positive = _without_not(guard)

    def state_of(node) -> Optional[StateKey]:
        from linter.summary.scanner import path_of

        path = path_of(node)
        resolved = analysis.resolve_state(info, None, path) if path is not None else None
        return resolved[0] if resolved is not None else None

    tested = _emptiness_test(test, state_of)
    return tested[0] if tested is not None and tested[1] == positive else None


def _without_not(guard: Guard):
    """The guard's test without the ``not``s around it, and whether the guarded
    code runs when that is true."""
    import libcst as cst

    test, positive = guard.test, guard.positive
    while type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        test, positive = test.expression, not positive
    return test, positive


def _emptiness_test(test, state_of) -> Optional[Tuple[StateKey, bool]]:
    """(state, True) for a test that is true while the state is empty or
    lacks a constant key (``"k" not in X``, ``X.get("k") is None``,
    ``len(X) == 0``), (state, False) for one that is true once it is filled
    (``X``, ``"k" in X``, ``X.get("k")``, ``len(X)``), None for anything else."""
    import libcst as cst

    from linter.parsing.syntax import is_configuration

    state = state_of(test) or _read_state(test, state_of)
    if state is not None:
        return state, False
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return None
    left, target = test.left, test.comparisons[0]
    operator, right = type(target.operator), target.comparator
    if operator in (cst.In, cst.NotIn) and is_configuration(left):
        state = state_of(right)
        return (state, operator is cst.NotIn) if state is not None else None
    state = _read_state(left, state_of)
    if state is not None:
        if type(right) is cst.Name and right.value == "None" and operator in (cst.Is, cst.Equal, cst.IsNot, cst.NotEqual):
            return state, operator in (cst.Is, cst.Equal)
        if type(right) is cst.Integer and right.value == "0" and operator in (cst.Equal, cst.NotEqual, cst.GreaterThan):
            return state, operator is cst.Equal
    return None


def _read_state(node, state_of) -> Optional[StateKey]:
    """The state of ``X.get(<constant>)`` or ``len(X)``: a look at the state's contents."""
    import libcst as cst

    from linter.parsing.syntax import dotted_name, is_configuration

    if type(node) is not cst.Call or len(node.args) != 1:
        return None
    func = node.func
    if type(func) is cst.Attribute and func.attr.value == "get":
        return state_of(func.value) if is_configuration(node.args[0].value) else None
    return state_of(node.args[0].value) if dotted_name(func) == "len" else None


def sets_up_once(analysis: Analysis, guard: Guard, logger_source: str) -> bool:
    """Whether ``guard`` makes what it guards run once per process: it looks
    at the handlers of the logger the call adds to (``logger_source``, as the
    call spells it), or at a module-level flag the module sets to a true
    value under ``global`` (a once-flag, a lazily created handler).  A look at
    another logger's handlers, or a flag nothing ever sets, guards nothing."""
    import libcst as cst

    from linter.parsing.syntax import child_nodes

    info = analysis.function(guard.function)
    pending = [guard.test]
    while pending:
        node = pending.pop()
        if type(node) is cst.Attribute and node.attr.value in ("handlers", "hasHandlers"):
            if analysis.source(node.value).strip() == logger_source:
                return True
        if type(node) is cst.Name and info is not None and _is_once_flag(analysis, info, node.value):
            return True
        pending.extend(child_nodes(node))
    return False


def _is_once_flag(analysis: Analysis, info, name: str) -> bool:
    """A module-level flag some function of the module sets to a true value under ``global``."""
    return any(value not in _FALSY for value in _values_under_global(analysis, info, name))


def _values_under_global(analysis: Analysis, info, name: str) -> list:
    """The source of each value functions of ``info``'s module assign to the
    module-level ``name`` under ``global``; none when ``name`` is a local of
    ``info`` or no module-level name."""
    import libcst as cst

    module = analysis.module(info.module)
    if analysis.scope_of(info, name) is not None or name not in module.bindings:
        return []
    return [analysis.source(value).strip()
            for function in module.functions.values() if name in function.globals
            for target, value in function.flows if type(target) is cst.Name and target.value == name]


_FALSY = frozenset({"False", "None", "0", '""', "''", "[]", "{}", "()", "set()", "dict()", "list()"})


def runs_at_first_invocation(analysis: Analysis, guard: Guard) -> bool:
    """Whether ``guard`` lets what it guards run only while a module-level
    flag is unset (``not _READY``, ``_policies is None``, or the flag itself
    before an early ``return``), and the module never sets the flag but to a
    value that is set: once the guarded code has run, it does not run again
    in that process."""
    info = analysis.function(guard.function)
    if info is None:
        return False
    test, positive = _without_not(guard)
    flag, true_while_unset = _flag_test(test)
    return flag is not None and true_while_unset == positive and _set_for_good(analysis, info, flag)


def _flag_test(test):
    """(flag, whether the test is true while it is unset) for ``FLAG`` and
    ``FLAG is None`` / ``FLAG is not None`` (or ``==``, or ``False``); (None, None) otherwise."""
    import libcst as cst

    if type(test) is cst.Name:
        return test.value, False
    if type(test) is cst.Comparison and len(test.comparisons) == 1 and type(test.left) is cst.Name:
        target = test.comparisons[0]
        operator, right = type(target.operator), target.comparator
        if type(right) is cst.Name and right.value in ("None", "False") \
                and operator in (cst.Is, cst.Equal, cst.IsNot, cst.NotEqual):
            return test.left.value, operator in (cst.Is, cst.Equal)
    return None, None


def _set_for_good(analysis: Analysis, info, flag: str) -> bool:
    """``flag`` is a module-level name (not a local of the guard's function)
    that functions of the module assign under ``global``, never to an unset
    value (a handler that sets it back at its end runs the block every time)."""
    values = _values_under_global(analysis, info, flag)
    return bool(values) and not any(value in _FALSY for value in values)


_LOOKUP_ERRORS = frozenset({"KeyError", "LookupError", "AttributeError", "NameError", "IndexError"})


def looks_at_written_state(analysis: Analysis, guard: Guard, written) -> bool:
    """Whether the guard's test looks at state the invocation path writes (or
    at a local copied from it: ``token = _TOKEN.get("value")``) and not at
    the request: lazy initialisation, a cache refreshed on a timer."""
    import libcst as cst

    from linter.analysis.calls import is_environ
    from linter.analysis.sticky import ENVIRON
    from linter.parsing.syntax import child_nodes

    info = analysis.function(guard.function)
    if info is None or analysis.taint.is_tainted(info, guard.test):
        return False
    copied: dict = {}
    for target, source in info.flows:
        if type(target) is cst.Name:
            copied.setdefault(target.value, []).append(source)
    pending, seen = [guard.test], set()
    while pending:
        node = pending.pop()
        if type(node) is cst.Name and node.value in copied and info.is_local(node.value) and node.value not in seen:
            seen.add(node.value)
            pending.extend(copied[node.value])
        path = _looked_at(node)
        if path is not None:
            if is_environ(analysis, info, path):
                if ENVIRON in written:
                    return True
            elif any(_related(state, written) for state, _ in analysis.names.resolve_states(info, None, path)):
                return True
        pending.extend(child_nodes(node))
    return False


def _looked_at(node):
    """The path a part of a test looks at: a name, attribute or item, or the
    attribute ``getattr(X, "a", None)`` / ``hasattr(X, "a")`` asks for."""
    import libcst as cst

    from linter.summary.scanner import RefPath, path_of

    if type(node) in (cst.Name, cst.Attribute, cst.Subscript):
        return path_of(node)
    if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value in ("getattr", "hasattr"):
        if len(node.args) >= 2 and type(node.args[1].value) is cst.SimpleString:
            owner = path_of(node.args[0].value)
            attribute = node.args[1].value.evaluated_value
            if owner is not None and not owner.element and isinstance(attribute, str):
                return RefPath(owner.root, owner.attrs + (attribute,))
    return None


def _related(state, written) -> bool:
    """The state is written, or holds (or is held by) written state."""
    return any(other[:len(state)] == state or state[:len(other)] == other for other in written)


def fills_after_failed_lookup(info, statement) -> bool:
    """Whether ``statement`` fills what the ``try`` body failed to look up,
    in an ``except KeyError:`` (or another lookup error) of ``info``:
    ``try: return _CACHE["key"] / except KeyError: _CACHE["key"] = load()``."""
    import libcst as cst

    from linter.parsing.syntax import child_nodes, contains, dotted_name

    targets = [target.target for target in getattr(statement, "targets", ())]
    if info.node is None or not targets:
        return False
    pending = [info.node.body]
    while pending:
        node = pending.pop()
        if type(node) in (cst.Try, cst.TryStar):
            for handler in node.handlers:
                if _catches_lookup_error(handler, dotted_name) and contains(handler.body, statement):
                    return any(_mentions(node.body, target) for target in targets)
        if type(node) not in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            pending.extend(child_nodes(node))
    return False


def _catches_lookup_error(handler, dotted_name) -> bool:
    import libcst as cst

    caught = handler.type
    if caught is None:
        return False
    exceptions = [element.value for element in caught.elements] if type(caught) is cst.Tuple else [caught]
    return bool({dotted_name(exception) for exception in exceptions} & _LOOKUP_ERRORS)


def _mentions(block, target) -> bool:
    """Whether ``block`` reads the same name, attribute or item as ``target``."""
    from linter.parsing.syntax import child_nodes, detached_code

    render = detached_code
    wanted = render(target)
    pending = [block]
    while pending:
        node = pending.pop()
        if type(node) is type(target) and render(node) == wanted:
            return True
        pending.extend(child_nodes(node))
    return False
