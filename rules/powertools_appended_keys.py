"""LAM303: Powertools Logger keys appended per invocation and never cleared."""
from __future__ import annotations

from linter.analysis.calls import (
    called_at_import,
    handler_decorators,
    handler_trace,
    ignored_reset_note,
    method_of,
    module_bindings_made_by,
    receiver_binding,
)
from linter.analysis.fixes import insert_in_handlers
from linter.fixing.edits import ReplaceNode
from linter.output.diagnostics import Fix
from linter.analysis.rule import Finding, Rule, reached_from
from rules._libraries import LOG_METHODS, POWERTOOLS_LOGGER

CODE = "LAM303"
KEY_METHODS = frozenset({"append_keys", "set_correlation_id"})


def is_true(node) -> bool:
    return node is not None and type(node).__name__ == "Name" and node.value == "True"


def _classifier(analysis, binding):
    def classify(info, receiver, call):
        if receiver_binding(analysis, info, receiver, call) is not binding:
            return None
        method = method_of(call)
        if method in KEY_METHODS:
            return "append"
        if method == "clear_state":
            return "clear"
        if method in LOG_METHODS:
            return "log"
        if method == "get_current_keys":
            return "read"
        return None

    return classify


def _why_it_leaks(events, log_event: bool):
    """Why a previous invocation's keys can be logged, or None when they cannot."""
    appends = [index for index, event in enumerate(events) if event.kind == "append"]
    if not appends:
        return None
    before_anything = events[: min(i for i, e in enumerate(events) if e.kind in ("append", "log", "read"))]
    if any(e.kind == "clear" and not e.conditional for e in before_anything):
        return None
    if any(e.kind == "clear" and e.in_finally and not e.conditional for e in events):
        return None
    if any(events[i].conditional for i in appends):
        return "the keys are appended only on some invocations"
    if any(e.kind == "read" for e in events):
        return "the keys are read back with get_current_keys()"
    if log_event:
        return "the event is logged (log_event=True) before the keys are appended"
    if any(e.kind == "log" for e in events[: appends[-1]]):
        return "something is logged before the keys are appended"
    return None


def _fix(analysis, binding, leaks):
    """``clear_state=True`` on the handler's ``inject_lambda_context``, or
    ``logger.clear_state()`` first (spelled, and imported, as the handler's
    module needs); unsafe when keys are also appended at import."""
    edits = []
    for handler, injects, *_ in leaks:
        if injects:
            expression = injects[0].decorator.decorator
            replacement = analysis.call_with_keyword(expression, "clear_state", "True")
            edits.append(ReplaceNode(handler.module, expression, replacement))
        else:
            inserted = insert_in_handlers(analysis, [handler], binding.key, lambda name: (f"{name}.clear_state()",))
            if inserted.problem is not None:
                return None
            edits.extend(inserted.edits)
    applicability = "unsafe" if called_at_import(analysis, binding, {"append_keys"}) else "safe"
    return Fix(applicability, f"Clear the keys of '{binding.display}' at the start of every invocation", tuple(edits))


def check(analysis):
    for binding in module_bindings_made_by(analysis, POWERTOOLS_LOGGER):
        leaks = []
        for handler in analysis.handlers:
            injects = [
                d for d in handler_decorators(analysis, handler)
                if d.binding is binding and d.method == "inject_lambda_context"
            ]
            if any(is_true(d.keyword("clear_state")) for d in injects):
                continue
            events = handler_trace(analysis, handler, _classifier(analysis, binding))
            reason = _why_it_leaks(events, any(is_true(d.keyword("log_event")) for d in injects))
            if reason is not None:
                appends = [e for e in events if e.kind == "append"]
                first = next((e for e in appends if e.conditional), appends[0])  # the one that leaks, if any
                leaks.append((handler, injects, first, reason, ignored_reset_note(analysis, events, {"clear"})))
        if not leaks:
            continue
        handlers = [handler for handler, *_ in leaks]
        _, _, first, reason, note = leaks[0]
        module = first.function.module
        clear = "clear them" if note is None else f"clear them on every invocation ({note})"
        message = (
            f"Powertools logger '{binding.display}' keeps keys appended in {first.function.display}() "
            f"(line {analysis.line(first.call.statement, first.function)}) between invocations: {reason}, and "
            f"{reached_from(analysis, handlers, first.function, module)} {'does' if len(handlers) == 1 else 'do'} "
            f"not {clear}, so a later caller's lines can carry an earlier caller's keys"
        )
        yield Finding(CODE, first.call.statement, message, tuple(handlers), _fix(analysis, binding, leaks), module)


RULE = Rule(
    code=CODE,
    name="powertools-appended-keys",
    summary="Powertools `Logger.append_keys`/`set_correlation_id` per invocation without clearing the keys",
    why=(
        "Keys appended to a Powertools Logger stay on it for the life of the execution environment. When\n"
        "they are appended only on some invocations, or after something is logged, a warm invocation logs\n"
        "the previous caller's keys (a user id, a tenant) next to its own request. An unconditional\n"
        "`append_keys` that runs before anything is logged only overwrites its keys and is not flagged."
    ),
    bad='''
from aws_lambda_powertools import Logger

logger = Logger()

@logger.inject_lambda_context
def lambda_handler(event, context):
    if "user" in event:
        logger.append_keys(user=event["user"])
    logger.info("processing")
''',
    good='''
from aws_lambda_powertools import Logger

logger = Logger()

@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    if "user" in event:
        logger.append_keys(user=event["user"])
    logger.info("processing")
''',
    fix="add `clear_state=True` to the handler's `inject_lambda_context`; without that decorator, insert "
    "`logger.clear_state()` as the handler's first statement",
    safety="safe; unsafe when keys are also appended at module level (clearing removes them too)",
    check=check,
    libraries=("aws_lambda_powertools",),
)
