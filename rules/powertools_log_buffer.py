"""LAM304: a Powertools Logger with log buffering whose buffer outlives the invocation.

Powertools 3.8, the first version with log buffering, kept the buffered
records of earlier invocations (up to the buffer's size) unless each
invocation flushed or cleared the buffer; 3.9 clears it whenever a new
invocation buffers a record.  So this only fires for projects that declare a
Powertools version before 3.9 (requirements files, pyproject.toml): on later
versions the finding would be one a reader can refute.
"""
from __future__ import annotations

from linter.analysis.calls import handler_decorators, handler_trace, method_of, module_bindings_made_by, receiver_binding
from linter.analysis.fixes import insert_in_handlers
from linter.output.diagnostics import Fix
from linter.analysis.rule import Finding, Rule, handler_phrase
from rules._libraries import LOG_METHODS, POWERTOOLS_LOGGER

CODE = "LAM304"
BUFFER_RESETS = frozenset({"flush_buffer", "clear_buffer"})
DISTRIBUTION = "aws-lambda-powertools"
WITH_THE_BUG = ("3.8.0", "3.8.1")
WITHOUT_IT = ("3.9.0", "3.10.0", "3.20.0", "3.40.0", "4.0.0")  # probes: any of these allowed means a fixed one may run


def _declared_with_the_bug(analysis):
    """The project's declaration of Powertools that only allows versions with the bug, or None."""
    for declared in analysis.declared_versions(DISTRIBUTION):
        allows = declared.specifier.contains
        if any(allows(v) for v in WITH_THE_BUG) and not any(allows(v) for v in WITHOUT_IT):
            return declared
    return None


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
    declared = _declared_with_the_bug(analysis)
    if declared is None:
        return
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
        one = len(leaking) == 1
        message = (
            f"Powertools logger '{name}' buffers log records, {declared.where} declares {declared.text} (before "
            "3.9, whose buffer keeps earlier invocations' records until they are flushed or cleared), and "
            f"{handler_phrase(leaking, binding.module)} neither {'uses' if one else 'use'} "
            f"@{name}.inject_lambda_context nor {'flushes or clears' if one else 'flush or clear'} the buffer on "
            "every path: records of an invocation that did not flush stay in memory and go out with a later one "
            "(Powertools 3.9 and later clear them; so does "
            f"@{name}.inject_lambda_context(flush_buffer_on_uncaught_error=True))"
        )
        inserted = insert_in_handlers(analysis, leaking, binding.key, lambda spelled: (f"{spelled}.clear_buffer()",))
        fix = None
        if inserted.problem is None:
            applicability = "unsafe" if inserted.cyclic else "safe"
            where = inserted.place(leaking, binding.module)
            fix = Fix(applicability, f"Clear the buffer of '{name}' at the start of {where}", inserted.edits)
        yield Finding(CODE, binding.node, message, tuple(leaking), fix, binding.module)


RULE = Rule(
    code=CODE,
    name="powertools-log-buffer",
    summary="Powertools `Logger(buffer_config=...)` whose buffer is not flushed or cleared every invocation, "
    "with Powertools before 3.9 declared",
    why=(
        "With log buffering, debug records wait in memory until a flush. Powertools 3.8, the first version\n"
        "with buffering, flushed and cleared the buffer per invocation only inside `inject_lambda_context`\n"
        "or `flush_buffer()`: records of an invocation that did not flush stayed in the buffer for later\n"
        "ones. Powertools 3.9 fixed it by clearing the buffer when a new invocation buffers a record, so\n"
        "the rule only fires when the project's requirements (requirements*.txt, pyproject.toml) pin a\n"
        "version before 3.9."
    ),
    example_requirements=("aws-lambda-powertools==3.8.0",),
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
    libraries=("aws_lambda_powertools",),
)
