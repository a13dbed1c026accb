"""LAM301: a logging handler added on every invocation."""
from __future__ import annotations

from linter.analysis.calls import events_by_call, method_of
from linter.output.diagnostics import Fix
from linter.fixing.edits import WrapInIf
from linter.analysis.guards import sets_up_once
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM301"


def _guard(analysis, call):
    """``if not any(isinstance(h, T) for h in logger.handlers):`` for the call,
    or None when the call is not a plain ``receiver.addHandler(argument)``."""
    node = call.node
    if node is None or call.statement is None or len(node.args) != 1 or node.args[0].keyword is not None:
        return None
    if analysis.source(call.statement) != analysis.source(node):
        return None  # the call is part of a larger statement
    receiver = analysis.source(node.func.value)
    argument = node.args[0].value
    made_here = type(argument).__name__ == "Call"
    kind = analysis.source(argument.func) if made_here else f"type({analysis.source(argument)})"
    return f"not any(isinstance(h, {kind}) for h in {receiver}.handlers)"


def check(analysis):
    found = events_by_call(
        analysis,
        lambda info, receiver, call: "add" if method_of(call) == "addHandler" else None,
        lambda event, events: not any(sets_up_once(analysis, guard) for guard in event.guards),
    )
    for event, handlers in found:
        call = event.call
        module = event.function.module
        where = f"{event.function.display}()"
        message = (
            f"logging handler added to '{analysis.source(call.node.func.value)}' in {where} on every invocation, "
            f"reached from {reached_from(analysis, handlers, event.function, module)}: each warm invocation adds "
            "another, so every line is printed once more per invocation"
        )
        guard = _guard(analysis, call)
        fix = None
        if guard is not None:
            applicability, note = "safe", ""
            if event.conditional:  # the handler one invocation adds stays for the next, which would not add it
                applicability, note = "unsafe", " (unsafe: the call runs only on some invocations)"
            fix = Fix(applicability, f"Add the handler only when the logger does not have one of its type yet{note}",
                      (WrapInIf(module, call.statement, guard),))
        yield Finding(CODE, call.statement, message, handlers[0].name, fix, module)


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
    "process (moving the setup to module level is the cleaner change when it needs no per-request input)",
    safety="safe: only the duplicate handlers disappear; unsafe when the call runs only on some invocations "
    "(behind an `if`, after an early `return`): the handler one invocation adds stays for later ones that would "
    "not have added it; a call that is part of a larger statement gets no fix",
    check=check,
)
