"""LAM401: the process environment changed with request data."""
from __future__ import annotations

from typing import Optional

from linter.analysis.calls import ENVIRON, is_environ, qualified_callee, qualified_path, reached_calls
from linter.output.diagnostics import Fix
from linter.fixing.edits import RestoreEnvironment
from linter.analysis.rule import Finding, Rule, handler_phrase

CODE = "LAM401"
PUTENV = "os.putenv"


def _writes(analysis):
    """(function, statement, handlers, mutation or None) for environment writes."""
    for info, _, handlers in analysis.reached_functions:
        for step in info.all_steps():
            for mutation in step.mutations:
                if is_environ(analysis, info, mutation.path):
                    yield info, mutation.statement, handlers, mutation
    for info, _, handlers, call in reached_calls(analysis):
        if qualified_callee(analysis, info, call, {PUTENV}) == PUTENV:
            yield info, call.statement, handlers, None


def _restored(analysis, info) -> bool:
    """Whether a ``finally:`` of the function writes or pops the environment back."""
    for step in info.finally_steps:
        if any(is_environ(analysis, info, m.path) for m in step.mutations):
            return True
        if any(c.path.attrs[-1:] == ("pop",) and qualified_path(analysis, info, c.path)[: -len(".pop")] == ENVIRON
               for c in step.calls):
            return True
    return False


def _top_level(info, statement) -> bool:
    """Whether ``statement`` is one of the function's own statements (a line
    of its body, or of a body on the ``def`` line), not inside a block."""
    body = info.node.body
    lines = [body] if type(body).__name__ == "SimpleStatementSuite" else body.body
    return any(type(line).__name__ in _LINES and statement in line.body for line in lines)


_LINES = ("SimpleStatementLine", "SimpleStatementSuite")


def _fix(analysis, info, statement, mutation, handlers):
    """Restore the variable in ``finally:`` when the handler itself sets one
    key with ``os.environ[KEY] = value`` as a top-level statement."""
    if mutation is None or info.key != handlers[0].key or len(handlers) != 1 or not _top_level(info, statement):
        return None
    if type(statement).__name__ != "Assign" or len(mutation.keys) != 1:
        return None
    return restore_environment_fix(analysis, info.key, statement, analysis.source(mutation.keys[0]))


def restore_environment_fix(analysis, handler, statement, key: str) -> Optional[Fix]:
    """Keep the variable's value before ``statement`` (an ``os.environ[KEY] =
    value`` in the handler's body, possibly inside an ``if``) sets it, and
    put it back in a ``finally:`` when the handler returns; None when the key
    may not name the same variable at both ends (:func:`_same_key_throughout`)."""
    if not _same_key_throughout(analysis.function(handler), statement.targets[0].target):
        return None
    environ = analysis.source(statement.targets[0].target.value)
    edit = RestoreEnvironment(handler, statement, environ, key)
    return Fix("unsafe", "Restore the variable in a `finally:` when the handler returns", (edit,))


def _same_key_throughout(handler, target) -> bool:
    """Whether the key of ``target`` (``os.environ[KEY]``) names the same
    variable when the old value is saved, before the line that sets it, as
    when ``finally:`` restores it: a string, or a name the handler does not
    bind (a module constant).  A name the handler binds (``k = "TENANT";
    os.environ[k] = ...``) may be bound only on that line, or bound again
    before the handler returns."""
    elements = target.slice
    if len(elements) != 1 or type(elements[0].slice).__name__ != "Index":
        return False
    key = elements[0].slice.value
    if type(key).__name__ == "SimpleString":
        return True
    return (type(key).__name__ == "Name" and handler is not None
            and not handler.is_local(key.value) and not handler.rebinds_outside(key.value))


def check(analysis):
    for info, statement, handlers, mutation in _writes(analysis):
        # analysis.taint is computed on first use: only modules that write the environment pay for it
        if not analysis.taint.is_tainted(info, statement) or _restored(analysis, info):
            continue
        message = (
            f"the process environment is changed with request data in {info.display}() "
            f"(reached from {handler_phrase(handlers, info.module)}): the next invocation sees this caller's value"
        )
        fix = _fix(analysis, info, statement, mutation, handlers)
        yield Finding(CODE, statement, message, tuple(handlers), fix, info.module)


RULE = Rule(
    code=CODE,
    name="environment-write",
    summary="`os.environ[...] = ...`, `os.environ.update/setdefault`, `os.putenv` with event-derived values",
    why=(
        "The environment belongs to the process, and the process outlives the invocation. A variable set\n"
        "from one request (a tenant, a user's region) is still set when the next request arrives, and code\n"
        "that reads it serves the wrong caller. Setting variables from configuration is not flagged."
    ),
    bad='''
import os

def lambda_handler(event, context):
    os.environ["TENANT"] = event["tenant"]
    return os.environ["TENANT"]
''',
    good='''
import os

def lambda_handler(event, context):
    _previous_value = os.environ.get("TENANT")
    try:
        os.environ["TENANT"] = event["tenant"]
        return os.environ["TENANT"]
    finally:
        if _previous_value is None:
            os.environ.pop("TENANT", None)
        else:
            os.environ["TENANT"] = _previous_value
''',
    fix="when the handler itself sets `os.environ[KEY] = value` with KEY a string or a module constant: keep "
    "the old value (each variable in a name of its own the module does not use), run the rest of the handler in "
    "`try:` and restore it in `finally:`; otherwise no fix (a key the handler binds may name another variable by "
    "the time `finally:` runs)",
    safety="unsafe: code after the handler returns (threads, the next invocation) may have relied on the value",
    check=check,
)
