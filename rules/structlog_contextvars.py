"""LAM305: structlog context variables bound per invocation and never cleared."""
from __future__ import annotations

from linter.analysis.calls import handler_trace, ignored_reset_note, qualified_callee, qualified_calls_at_import
from linter.output.diagnostics import Fix
from linter.fixing.edits import AddImport, PrependStatements
from linter.analysis.rule import Finding, Rule, handler_phrase, reached_from

CODE = "LAM305"
MODULE = "structlog.contextvars"
BIND = f"{MODULE}.bind_contextvars"
CLEAR = f"{MODULE}.clear_contextvars"


def _classify(analysis):
    def classify(info, receiver, call):
        name = qualified_callee(analysis, info, call, (BIND, CLEAR))
        return "bind" if name == BIND else "clear" if name == CLEAR else None

    return classify


def _clear_edits(analysis, handler):
    """Insert ``clear_contextvars()`` at the start of the handler, spelled with
    its module's imports (``structlog.contextvars.clear_contextvars()``,
    ``sc.clear_contextvars()``), importing it when the module has none."""
    if not handler.has_body:
        return None
    module = analysis.module(handler.module)
    spellings = {CLEAR: "{}()", MODULE: "{}.clear_contextvars()", "structlog": "{}.contextvars.clear_contextvars()"}
    for target, template in spellings.items():
        for local, imported in module.imports.items():
            if imported == target:
                return (PrependStatements(handler.key, (template.format(local),)),)
    if "clear_contextvars" in module.bindings or "clear_contextvars" in module.top_level_functions:
        return None
    return (AddImport(handler.module, f"from {MODULE} import clear_contextvars"),
            PrependStatements(handler.key, ("clear_contextvars()",)))


def check(analysis):
    leaking, first, note = [], None, None
    for handler in analysis.handlers:
        events = handler_trace(analysis, handler, _classify(analysis))
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
            leaking.append(handler)
    if not leaking:
        return
    module = first.function.module
    cleared = "are never cleared" if note is None else f"are not cleared on every invocation ({note})"
    message = (
        f"structlog context variables bound in {first.function.display}() "
        f"(line {analysis.line(first.call.statement, first.function)}) {cleared} by "
        f"{reached_from(analysis, leaking, first.function, module)}: "
        "the runtime calls the handler on the same thread every time, so the next invocation logs them too"
    )
    edits = [_clear_edits(analysis, handler) for handler in leaking]
    fix = None
    if all(edit is not None for edit in edits):
        shown = next(e for e in edits[0] if isinstance(e, PrependStatements)).statements[0]
        applicability = "unsafe" if qualified_calls_at_import(analysis, {BIND}) else "safe"
        fix = Fix(applicability, f"Insert `{shown}` at the start of {handler_phrase(leaking, module)}",
                  tuple(e for group in edits for e in group))
    yield Finding(CODE, first.call.statement, message, tuple(leaking), fix, module)


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
    safety="safe: the handler binds what it needs after the clear; unsafe when values are also bound at import "
    "(the clear removes them too)",
    check=check,
    libraries=("structlog",),
)
