"""LAM106: a value written on some invocations only and read on every one.

``if warnings: ALERT = build_alert(warnings)`` under ``global ALERT``, then
``send(ALERT)``: on an invocation without warnings, the previous account's
alert goes out.  The same holds for a constant key of a module-level dict
(``METADATA["host"] = ...`` in one branch), an attribute of a module-level
object, and the process environment (``if event.get("debug"):
os.environ["LOG_LEVEL"] = "DEBUG"``).  What counts as a sticky value, and
what is lazy initialisation, is :mod:`linter.analysis.sticky`'s.
"""
from __future__ import annotations

from linter.analysis.leaks import Leak, rebind_fix, reset_fix
from linter.analysis.rule import Finding, Rule, reached_from, value_name, where_in

CODE = "LAM106"


def _describe(analysis, sticky) -> str:
    slot = sticky.slot
    if slot.is_environ:
        return f"environment variable {slot.item[0]}"
    binding = analysis.states[slot.state]
    if slot.item:
        return f"key {''.join(f'[{key}]' for key in slot.item)} of module-level {binding.kind} '{binding.display}'"
    return value_name(analysis, slot.state)


def _why_some(analysis, write, handler) -> str:
    """Why ``write`` does not run on every invocation of ``handler``."""
    if not write.unconditional:
        return f"inside {write.region or 'a condition'}"
    if write.guards:
        return "after an early `return`"
    return analysis.path.why_not_always(handler, write.context)


def _message(analysis, sticky, module: str) -> str:
    write, handler = sticky.writes[0], sticky.handlers[0]
    what = _describe(analysis, sticky)
    verb = "set" if sticky.slot.is_environ else "assigned"
    where = where_in(analysis, write.statement, write.function, module)
    reached = reached_from(analysis, sticky.handlers, write.function, module, write.receiver)
    written = f"{what} is {verb} in {where} only on some invocations ({_why_some(analysis, write, handler)})"
    if sticky.read is None:
        return (f"{written}, reached from {reached}: the environment outlives the invocation, so the invocations "
                f"after one that sets it still see it set")
    read = where_in(analysis, sticky.read.statement, sticky.read.function, module)
    return (f"{written} and read in {read}, reached from {reached}: when the assignment does not run, the "
            f"invocation reads the value the previous one left behind")


def _initial(analysis, binding):
    """(source of the import-time value, unsafe): the value itself when the
    source shows it, else the expression evaluated again (unsafe)."""
    from linter.analysis.restore import initial_value_source, recomputed_source

    initial = initial_value_source(analysis, binding)
    if initial is not None:
        return initial, False
    return recomputed_source(analysis, binding), True


def _item_statements(analysis, binding, item):
    """(statements for a spelling of the dict, unsafe), or (None, False): put
    the key's import-time value back, or remove a key absent at import."""
    from linter.analysis.restore import rebuildable

    if analysis.changed_at_import(binding.key):
        return None, False
    value, holder = binding.value, ""
    for depth, key in enumerate(item):
        entries = _literal_entries(value)
        if entries is None:
            return None, False
        if key not in entries:
            prefix = "".join(f"[{k}]" for k in item[:depth])
            return (lambda name: (f"{name}{prefix}.pop({key}, None)",)), False
        value, holder = entries[key], holder + f"[{key}]"
    source = analysis.source(value)
    unsafe = not rebuildable(analysis, binding.module, value)
    return (lambda name: (f"{name}{holder} = {source}",)), unsafe


def _literal_entries(value):
    """{key source: value} of a dict literal (``{}`` and ``dict()`` are empty), or None."""
    import libcst as cst

    from linter.parsing.syntax import dotted_name, key_text

    if type(value) is cst.Call and dotted_name(value.func) == "dict" and not value.args:
        return {}
    if type(value) is not cst.Dict or not all(type(e) is cst.DictElement for e in value.elements):
        return None
    return {key_text(element.key): element.value for element in value.elements}


def _environ_fix(analysis, sticky):
    """Restore the variable in a ``finally:`` when one handler sets it with
    ``os.environ[KEY] = value`` in its own body."""
    from rules.environment_write import restore_environment_fix

    write = sticky.writes[0]
    handler = sticky.handlers[0]
    if len(sticky.handlers) != 1 or any(w.function.key != handler.key for w in sticky.writes):
        return None, "only a handler that sets the variable in its own body gets a fix"
    statement = write.statement
    if type(statement).__name__ != "Assign" or len(statement.targets) != 1:
        return None, "the variable is not set by a plain assignment"
    return restore_environment_fix(analysis, handler.key, statement, sticky.slot.item[0]), None


def _fix(analysis, sticky):
    """(fix, problem)."""
    slot = sticky.slot
    if slot.is_environ:
        return _environ_fix(analysis, sticky)
    binding = analysis.states[slot.state]
    if slot.item:
        statements, unsafe = _item_statements(analysis, binding, slot.item)
    else:
        initial, unsafe = _initial(analysis, binding)
        if len(slot.state) == 2 or analysis.states.is_closure_variable(slot.state):
            return rebind_fix(analysis, binding, sticky.handlers, unsafe, initial)
        statements = None if initial is None else (lambda name: (f"{name} = {initial}",))
    if statements is None:
        from linter.analysis.restore import why_not_restorable

        return None, why_not_restorable(analysis, binding)
    return reset_fix(analysis, Leak(binding, (), sticky.handlers), statements, lambda _: unsafe)


def check(analysis):
    for sticky in analysis.sticky.values:
        if sticky.slot.is_environ:
            write = sticky.writes[0]
            if analysis.taint.is_tainted(write.function, write.statement):
                continue  # set from the request: LAM401's
            node, module = write.statement, write.function.module
        else:
            binding = analysis.states[sticky.slot.state]
            node, module = binding.node, binding.module
        message = _message(analysis, sticky, module)
        fix, problem = _fix(analysis, sticky)
        if problem is not None:
            message += f" (no automatic fix: {problem})"
        yield Finding(CODE, node, message, tuple(sticky.handlers), fix, module)


RULE = Rule(
    code=CODE,
    name="sticky-value",
    summary="a module-level value (a name under `global`, a constant key of a module-level dict, an attribute "
    "of a module-level object, a variable of a closure made at import, an environment variable) written on some "
    "invocations only and read on every one",
    why=(
        "`if warnings: ALERT = build_alert(warnings)` keeps the alert after the invocation ends. The next\n"
        "invocation without warnings does not assign it, reads it anyway, and sends the previous caller's\n"
        "alert. The same happens to a key of a module-level dict set in one branch (the previous event's\n"
        "host in this event's metadata), to an attribute of a module-level object, and to an environment\n"
        "variable set on some invocations (`if event.get(\"debug\"): os.environ[\"LOG_LEVEL\"] = \"DEBUG\"`),\n"
        "which stays set for every later caller. Not flagged: a value every invocation writes before reading\n"
        "it (in both branches of an `if`, or first thing), lazy initialisation (`if _client is None:`), a\n"
        "cache refreshed when a module-level timestamp expires, and cold-start flags."
    ),
    bad='''
ALERT = None

def lambda_handler(event, context):
    global ALERT
    warnings = [check for check in event["checks"] if check["status"] == "WARN"]
    if warnings:
        ALERT = f"{len(warnings)} checks need attention"
    return {"account": event["account"], "alert": ALERT}
''',
    good='''
ALERT = None

def lambda_handler(event, context):
    global ALERT
    ALERT = None
    warnings = [check for check in event["checks"] if check["status"] == "WARN"]
    if warnings:
        ALERT = f"{len(warnings)} checks need attention"
    return {"account": event["account"], "alert": ALERT}
''',
    fix="insert the import-time value as each handler's first statement: `global NAME` (`nonlocal` in a "
    "closure) and `NAME = <initial>`, "
    "`D[key] = <initial>` or `D.pop(key, None)` for a key absent at import, `OBJ.attr = <initial>`; for an "
    "environment variable set in the handler's own body, restore it in a `finally:`",
    safety="safe; unsafe when the import-time value is computed (it is evaluated again) and for the environment "
    "(code after the handler returns may rely on the variable)",
    check=check,
)
