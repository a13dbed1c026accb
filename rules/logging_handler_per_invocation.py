"""LAM301: a logging handler added on every invocation."""
from __future__ import annotations

from itertools import chain, count
from typing import Set

import libcst as cst

from linter.analysis.calls import events_by_call, method_of, reached_calls
from linter.output.diagnostics import Fix
from linter.fixing.edits import WrapInIf
from linter.analysis.guards import sets_up_once
from linter.analysis.rule import Finding, Rule, reached_from
from linter.parsing.syntax import child_nodes

CODE = "LAM301"
THIRD_PARTY_HANDLERS = frozenset({"watchtower.CloudWatchLogHandler"})


def _receiver(analysis, call) -> str:
    return analysis.source(call.node.func.value).strip()


def _handler_type(analysis, info, argument):
    """What the guard can test with ``isinstance``: the class a handler is made
    from here (a logging handler class, or a project class), or ``type(h)``
    of a handler made elsewhere; None when it comes from a factory function,
    whose result's type the source does not show."""
    from linter.parsing.syntax import dotted_name

    if type(argument).__name__ != "Call":
        return f"type({analysis.source(argument)})"
    name = analysis.qualify(info, argument.func) or ""
    if name.startswith("logging.") or name in THIRD_PARTY_HANDLERS:
        return analysis.source(argument.func)
    if analysis.project.class_ref(info.module, dotted_name(argument.func)) is not None:
        return analysis.source(argument.func)
    return None


def _names_in(node: cst.CSTNode) -> Set[str]:
    """Every identifier spelled inside ``node``."""
    names, stack = set(), [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Name:
            names.add(current.value)
        stack.extend(child_nodes(current))
    return names


def _loop_variable(event) -> str:
    """A name for the guard's generator variable that the function does not
    use: inside the generator it hides any variable of the same name, so
    ``type(h)`` of the user's handler ``h`` would test each installed handler
    against its own type and keep every new handler out."""
    used = _names_in(event.function.node or event.call.statement)
    candidates = chain(("h", "existing"), (f"existing{n}" for n in count(2)))
    return next(name for name in candidates if name not in used)


def _guard(analysis, event):
    """``if not any(isinstance(h, T) for h in logger.handlers):`` for the call
    (with another variable than ``h`` when the function uses that name), or
    None when the call is not a plain ``receiver.addHandler(argument)``."""
    call, node = event.call, event.call.node
    if call.statement is None or len(node.args) != 1 or node.args[0].keyword is not None:
        return None
    if analysis.source(call.statement) != analysis.source(node):
        return None  # the call is part of a larger statement
    kind = _handler_type(analysis, event.function, node.args[0].value)
    if kind is None:
        return None
    variable = _loop_variable(event)
    return f"not any(isinstance({variable}, {kind}) for {variable} in {_receiver(analysis, call)}.handlers)"


def _add_handler_calls(analysis):
    """Receivers of every ``addHandler`` call of Lambda code, at import and on the invocation path."""
    calls = [call for _, _, call in analysis.calls_at_import()]
    calls += [call for _, _, _, call in reached_calls(analysis)]
    return [_receiver(analysis, call) for call in calls if method_of(call) == "addHandler" and call.is_call]


def _fix(analysis, event, receivers):
    """The guard, safe only when the call runs on every invocation and is the
    only handler added to that logger (a guard by type would also keep out
    another handler of the same type, or a subclass, added elsewhere)."""
    guard = _guard(analysis, event)
    if guard is None:
        return None
    reason = None
    if event.conditional:
        reason = "the call runs only on some invocations, and the handler one adds stays for the next"
    elif receivers.count(_receiver(analysis, event.call)) > 1:
        reason = "other handlers are added to the same logger, and one of the same type would keep this one out"
    applicability, note = ("unsafe", f" (unsafe: {reason})") if reason else ("safe", "")
    message = f"Add the handler only when the logger does not have one of its type yet{note}"
    return Fix(applicability, message, (WrapInIf(event.function.module, event.call.statement, guard),))


def check(analysis):
    found = events_by_call(
        analysis,
        lambda info, receiver, call: "add" if method_of(call) == "addHandler" and call.is_call else None,
        lambda event, events: not any(
            sets_up_once(analysis, guard, _receiver(analysis, event.call)) for guard in event.guards
        ),
    )
    receivers = _add_handler_calls(analysis) if found else []
    for event, handlers in found:
        call = event.call
        module = event.function.module
        when = "on invocations that reach it" if event.conditional else "on every invocation"
        message = (
            f"logging handler added to '{_receiver(analysis, call)}' in {event.function.display}() {when}, "
            f"reached from {reached_from(analysis, handlers, event.function, module)}: every run adds another "
            "handler, so each log line is printed once more per earlier run"
        )
        yield Finding(CODE, call.statement, message, tuple(handlers), _fix(analysis, event, receivers), module)


RULE = Rule(
    code=CODE,
    name="logging-handler-per-invocation",
    summary="`logger.addHandler(...)` that runs on every invocation",
    why=(
        "Loggers live for the whole execution environment. A handler added inside the handler is added\n"
        "again on every warm invocation: after N invocations every log line is printed N times, and the\n"
        "handlers (and any files or sockets they hold) pile up in memory."
    ),
    bad='''
import logging
import sys

logger = logging.getLogger("app")

def lambda_handler(event, context):
    logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.warning("processing %s", event["id"])
''',
    good='''
import logging
import sys

logger = logging.getLogger("app")

def lambda_handler(event, context):
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.warning("processing %s", event["id"])
''',
    fix="wrap the call in `if not any(isinstance(h, T) for h in logger.handlers):` so it runs once per "
    "process, with another variable than `h` when the function uses that name (the generator would hide it: "
    "`type(h)` would test each installed handler against itself); moving the setup to module level is the "
    "cleaner change when it needs no per-request input",
    safety="safe: only the duplicate handlers disappear; unsafe when the call runs only on some invocations "
    "(behind an `if`, after an early `return`: the handler one invocation adds stays for later ones that would "
    "not have added it) or other handlers are added to the same logger (one of the same type would keep this one "
    "out); no fix when the handler comes from a factory function or the call is part of a larger statement",
    check=check,
)
