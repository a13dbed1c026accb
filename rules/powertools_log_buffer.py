"""LAM304: a Powertools Logger with log buffering whose buffer outlives the invocation."""
from __future__ import annotations

from linter.analysis.calls import handler_decorators, handler_trace, method_of, module_bindings_made_by, receiver_binding
from linter.analysis.fixes import insert_in_handlers
from linter.output.diagnostics import Fix
from linter.analysis.rule import Finding, Rule, handler_phrase
from rules._libraries import LOG_METHODS, POWERTOOLS_LOGGER

CODE = "LAM304"
BUFFER_RESETS = frozenset({"flush_buffer", "clear_buffer"})


def _buffered(binding) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == "buffer_config" for arg in binding.value.args)


def _classifier(analysis, binding):
    def classify(info, receiver, call):
        if receiver_binding(analysis, info, receiver, call) is not binding:
            return None
        method = method_of(call)
        return "reset" if method in BUFFER_RESETS else "log" if method in LOG_METHODS else None

    return classify


def _buffer_outlives_invocation(events) -> bool:
    logs = [index for index, event in enumerate(events) if event.kind == "log"]
    if not logs:
        return False
    resets = [(index, event) for index, event in enumerate(events) if event.kind == "reset" and not event.conditional]
    return not any(index < logs[0] or event.in_finally for index, event in resets)


def check(analysis):
    for binding in module_bindings_made_by(analysis, POWERTOOLS_LOGGER):
        if not _buffered(binding):
            continue
        name, leaking = binding.display, []
        for handler in analysis.handlers:
            injects = [d for d in handler_decorators(analysis, handler) if d.method == "inject_lambda_context"]
            if any(d.binding is binding for d in injects):
                continue
            if _buffer_outlives_invocation(handler_trace(analysis, handler, _classifier(analysis, binding))):
                leaking.append(handler)
        if not leaking:
            continue
        message = (
            f"Powertools logger '{name}' buffers log records, but {handler_phrase(leaking, binding.module)} neither "
            f"{'uses' if len(leaking) == 1 else 'use'} @{name}.inject_lambda_context nor flush or clear the "
            "buffer on every path: records of a failed invocation are never flushed and stay in memory for "
            "the next one (decorating the handler with "
            f"@{name}.inject_lambda_context(flush_buffer_on_uncaught_error=True) also flushes them on an error)"
        )
        inserted = insert_in_handlers(analysis, leaking, binding.key, lambda spelled: (f"{spelled}.clear_buffer()",))
        fix = None
        if inserted is not None:
            applicability = "unsafe" if inserted.cyclic else "safe"
            where = handler_phrase(leaking, binding.module)
            fix = Fix(applicability, f"Clear the buffer of '{name}' at the start of {where}", inserted.edits)
        yield Finding(CODE, binding.node, message, leaking[0].name, fix, binding.module)


RULE = Rule(
    code=CODE,
    name="powertools-log-buffer",
    summary="Powertools `Logger(buffer_config=...)` whose buffer is not flushed or cleared every invocation",
    why=(
        "With log buffering, debug records wait in memory until a flush. Powertools flushes and clears the\n"
        "buffer per invocation only inside `inject_lambda_context`; without it, records of an invocation\n"
        "that failed are never written, and they stay in the buffer for the next invocation (Powertools\n"
        "itself once shipped this bug, and fixed it by clearing the buffer at the start of every\n"
        "invocation)."
    ),
    bad='''
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.buffer import LoggerBufferConfig

logger = Logger(buffer_config=LoggerBufferConfig(max_bytes=20480))

def lambda_handler(event, context):
    logger.debug("received %s", event["id"])
    return event["id"]
''',
    good='''
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.buffer import LoggerBufferConfig

logger = Logger(buffer_config=LoggerBufferConfig(max_bytes=20480))

def lambda_handler(event, context):
    logger.clear_buffer()
    logger.debug("received %s", event["id"])
    return event["id"]
''',
    fix="insert `logger.clear_buffer()` as the first statement of each handler, as Powertools' own fix does "
    "(decorating the handler with `@logger.inject_lambda_context(flush_buffer_on_uncaught_error=True)` is the "
    "fuller change: it also flushes the buffer when the handler raises)",
    safety="safe: an invocation starts with an empty buffer, as on a cold start; its own records are flushed as before",
    check=check,
)
