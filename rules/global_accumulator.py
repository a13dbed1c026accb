"""LAM105: a module-level value accumulated on the invocation path and never reset.

The value may be a name rebound under ``global`` (``total += x``), an item of
a module-level mapping under a constant key (``SUMMARY["created"] += 1``,
``STATS["n"] = STATS.get("n", 0) + 1``), an attribute of a module-level
object (``stats.processed += 1``) or of a top-level function
(``lambda_handler.calls += 1``), or a variable of a closure made at import
that its handler rebinds under ``nonlocal``.  A mapping whose keys cannot grow is not
LAM101's, but its values can still add up across invocations.
"""
from __future__ import annotations

from dataclasses import replace

from linter.summary.kinds import CLOSURE, CONTAINER_KINDS, MAPPING_KINDS
from linter.analysis.leaks import find_leaks, leak_message, owner, rebind_fix, reset_fix
from linter.analysis.rule import Finding, Rule, value_name
from rules.unbounded_container import NEVER_RESET, is_complete_reset

CODE = "LAM105"


def counts(binding, item) -> bool:
    """``X = X + ...`` always, ``X += ...`` unless X is a container (LAM101's);
    a constant-key item of a mapping or an attribute of an object computed
    from its own value."""
    mutation = item.mutation
    if (len(item.state) == 2 or item.state[-2:-1] == (CLOSURE,)) and mutation.rebind:
        return not (mutation.augmented and binding.kind in CONTAINER_KINDS)
    if not mutation.accumulates:
        return False
    if binding.kind in MAPPING_KINDS:
        return bool(mutation.item) and not mutation.grows_mapping
    return len(item.state) == 3 and binding.kind not in CONTAINER_KINDS and not item.path.element


def _is_item(leak) -> bool:
    return any(item.mutation.item for item in leak.mutations)


def _items_reset_first(analysis, handler, leak) -> bool:
    """Whether ``handler`` assigns every accumulated item of the mapping a
    fresh value (``SUMMARY["created"] = 0``) on every invocation before it
    accumulates: a reset key by key."""
    always = analysis.always_run(handler)
    stores = [
        item for item in analysis.state_mutations
        if item.state == leak.state.key and item.mutation.item and not item.mutation.accumulates
        and item.mutation.unconditional and not item.mutation.guards and item.context in always
    ]
    return all(
        any(store.mutation.item == added.mutation.item
            and (store.function.key != added.function.key
                 or analysis.line(store.mutation.statement, store.function)
                 < analysis.line(added.mutation.statement, added.function))
            for store in stores)
        for added in leak.mutations if handler in added.handlers
    )


def _restore_statements(analysis, binding):
    """How to give a mapping or an attribute its import-time value back, in
    place, spelled as the handler's module names it."""
    from linter.analysis.restore import initial_value_source, restore_in_place

    if binding.kind in MAPPING_KINDS:
        return lambda name: restore_in_place(analysis, binding, name)
    initial = initial_value_source(analysis, binding)
    return lambda name: None if initial is None else (f"{name} = {initial}",)


def _describe(analysis, leak) -> str:
    state = leak.state
    if _is_item(leak):
        item = next(item.mutation.item for item in leak.mutations if item.mutation.item)
        value = f"(its value `{state.display}[{']['.join(item)}]`)"
        if len(state.key) == 2:
            return f"module-level {state.kind} '{state.display}' {value}"
        return f"{state.kind} '{state.display}' of a module-level object {value}"
    return value_name(analysis, state.key)


def check(analysis):
    leaks = find_leaks(
        analysis,
        wants_state=lambda key, b: owner(analysis, key) in ("module", "instance") and not analysis.states.is_object(key),
        counts=counts,
        is_complete_reset=is_complete_reset,
    )
    for leak in leaks:
        if _is_item(leak):
            leaking = tuple(h for h in leak.handlers if not _items_reset_first(analysis, h, leak))
            if not leaking:
                continue
            leak = replace(leak, handlers=leaking)
        message = leak_message(analysis, leak, _describe(analysis, leak), NEVER_RESET, is_complete_reset)
        if (len(leak.state.key) == 2 or analysis.states.is_closure_variable(leak.state.key)) and not _is_item(leak):
            fix, problem = rebind_fix(analysis, leak.state, leak.handlers, unsafe=analysis.looked_up(leak.state.key))
        else:
            fix, problem = reset_fix(analysis, leak, _restore_statements(analysis, leak.state), analysis.compared)
        if problem is not None:
            message += f" (no automatic fix: {problem})"
        yield Finding(CODE, leak.state.node, message, tuple(leak.handlers), fix, leak.state.module)


RULE = Rule(
    code=CODE,
    name="global-accumulator",
    summary="a module-level value accumulated on the invocation path and never reset: a name under `global` "
    "(`total += x`), a constant-key item of a module-level dict (`SUMMARY[\"created\"] += 1`), an attribute "
    "of a module-level object (`stats.processed += 1`) or of a function (`lambda_handler.calls += 1`), a "
    "variable of a closure made at import (`nonlocal count; count += 1`)",
    why=(
        "`global total; total += amount` keeps adding to the value the previous invocation left behind:\n"
        "the second caller is told the sum of both requests. The same holds for counters kept in a\n"
        "module-level dict under fixed keys (`SUMMARY[\"created\"] += 1`, `STATS[k] = STATS.get(k, 0) + 1`)\n"
        "or on a module-level object, on the handler function itself (`lambda_handler.calls += 1`), or in\n"
        "a closure made once at import (`lambda_handler = make_handler()` whose handler does\n"
        "`nonlocal count; count += 1`): reported as \"this run's totals\", they double on every warm\n"
        "invocation. Lazy initialisation (`if _conn is None: _conn = connect()`) and flags set to a\n"
        "constant are not accumulation and are not flagged; nor is a counter every handler resets\n"
        "first (the whole dict, or each key it adds to)."
    ),
    bad='''
SUMMARY = {"created": 0, "failed": 0}

def lambda_handler(event, context):
    for record in event["Records"]:
        SUMMARY["created"] += 1
    return {"totals": dict(SUMMARY)}
''',
    good='''
SUMMARY = {"created": 0, "failed": 0}

def lambda_handler(event, context):
    SUMMARY.clear()
    SUMMARY.update({"created": 0, "failed": 0})
    for record in event["Records"]:
        SUMMARY["created"] += 1
    return {"totals": dict(SUMMARY)}
''',
    fix="insert the import-time value at the start of each handler: `global NAME` (unless declared) and "
    "`NAME = <initial value>`; `NAME.clear(); NAME.update({...})` for a dict; `OBJ.attr = <initial value>` "
    "for an attribute; `nonlocal NAME` (unless declared) and `NAME = <initial value>` in a closure's handler; no fix when the initial value is not a literal or module-level code changes it",
    safety="safe; unsafe when the invocation path compares the value (a counter or threshold a later "
    "invocation may rely on)",
    check=check,
)
