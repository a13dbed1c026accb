"""LAM305: structlog context variables bound per invocation and never cleared."""
from __future__ import annotations

from linter.analysis.calls import ignored_reset_note, qualified_callee, trace
from linter.output.diagnostics import Fix
from linter.fixing.edits import PrependStatements
from linter.analysis.rule import Finding, Rule, handler_phrase

CODE = "LAM305"
MODULE = "structlog.contextvars"
BIND = f"{MODULE}.bind_contextvars"
CLEAR = f"{MODULE}.clear_contextvars"


def _classify(analysis):
    def classify(info, receiver, call):
        name = qualified_callee(analysis, info, call, (BIND, CLEAR))
        return "bind" if name == BIND else "clear" if name == CLEAR else None

    return classify


def _clear_spelling(analysis):
    """``clear_contextvars()`` spelled with the module's own imports, or None."""
    spellings = {CLEAR: "{}()", MODULE: "{}.clear_contextvars()", "structlog": "{}.contextvars.clear_contextvars()"}
    for target, template in spellings.items():
        for local, imported in analysis.model.imports.items():
            if imported == target:
                return template.format(local)
    return None


def check(analysis):
    leaking, first, note = [], None, None
    for handler in analysis.handlers:
        events = trace(analysis, ((handler.name,), None), _classify(analysis))
        binds = [index for index, event in enumerate(events) if event.kind == "bind"]
        if not binds:
            continue
        cleared = any(
            event.kind == "clear" and not event.conditional and (index < binds[0] or event.in_finally)
            for index, event in enumerate(events)
        )
        if not cleared:
            if not leaking:
                first, note = events[binds[0]], ignored_reset_note(analysis, events, {"clear"})
            leaking.append(handler.name)
    if not leaking:
        return
    cleared = "are never cleared" if note is None else f"are not cleared on every invocation ({note})"
    message = (
        f"structlog context variables bound in {first.function.display}() "
        f"(line {analysis.line(first.call.statement)}) {cleared} by {handler_phrase(leaking)}: "
        "the runtime calls the handler on the same thread every time, so the next invocation logs them too"
    )
    spelling = _clear_spelling(analysis)
    fix = None
    if spelling is not None:
        edits = tuple(PrependStatements((handler,), (spelling,)) for handler in leaking)
        fix = Fix("safe", f"Insert `{spelling}` at the start of {handler_phrase(leaking)}", edits)
    yield Finding(CODE, first.call.statement, message, leaking[0], fix)


RULE = Rule(
    code=CODE,
    name="structlog-contextvars",
    summary="`structlog.contextvars.bind_contextvars(...)` without `clear_contextvars()` at the start of the invocation",
    why=(
        "Context variables belong to the thread (or task) that set them. The Lambda runtime calls the\n"
        "handler on the same thread for every invocation, so values bound for one request are still bound\n"
        "for the next, and appear in its log lines unless it binds the same keys again."
    ),
    bad='''
import structlog
from structlog.contextvars import bind_contextvars

log = structlog.get_logger()

def lambda_handler(event, context):
    if "user" in event:
        bind_contextvars(user=event["user"])
    log.info("processing")
''',
    good='''
import structlog
from structlog.contextvars import bind_contextvars

log = structlog.get_logger()

def lambda_handler(event, context):
    structlog.contextvars.clear_contextvars()
    if "user" in event:
        bind_contextvars(user=event["user"])
    log.info("processing")
''',
    fix="insert `structlog.contextvars.clear_contextvars()` (spelled as the module imports it) as the first "
    "statement of each handler",
    safety="safe: the handler binds what it needs after the clear",
    check=check,
)
