"""LAM308: an OpenTelemetry context attached without a detach in ``finally:``."""
from __future__ import annotations

from linter.analysis.calls import events_by_call, qualified_callee
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM308"
ATTACH = "opentelemetry.context.attach"
DETACH = "opentelemetry.context.detach"


def _detached_in_finally(events) -> bool:
    return any(event.kind == "detach" and event.in_finally and not event.conditional for event in events)


def check(analysis):
    found = events_by_call(
        analysis,
        lambda info, receiver, call: {ATTACH: "attach", DETACH: "detach"}.get(qualified_callee(analysis, info, call, (ATTACH, DETACH))),
        lambda event, events: event.kind == "attach" and not _detached_in_finally(events),
    )
    for event, handlers in found:
        module = event.function.module
        message = (
            f"OpenTelemetry context attached in {event.function.display}() (reached from "
            f"{reached_from(analysis, handlers, event.function, module)}) is not detached in a `finally:`: it "
            "stays current on the runtime's thread, so the next invocation's spans and baggage inherit it; keep "
            "the token and call `context.detach(token)` in a `finally:`"
        )
        yield Finding(CODE, event.call.statement, message, tuple(handlers), None, module)


RULE = Rule(
    code=CODE,
    name="otel-context-not-detached",
    summary="OpenTelemetry `context.attach(...)` without `context.detach(token)` in a `finally:`",
    why=(
        "`context.attach` makes a context current for the thread until it is detached. The Lambda runtime\n"
        "reuses the thread for every invocation, so a context attached and not detached (an exception\n"
        "skips a detach that is not in `finally:`) leaks its baggage and parent span into the next request."
    ),
    bad='''
from opentelemetry import baggage, context

def lambda_handler(event, context_):
    context.attach(baggage.set_baggage("tenant", event["tenant"]))
    return baggage.get_baggage("tenant")
''',
    good='''
from opentelemetry import baggage, context

def lambda_handler(event, context_):
    token = context.attach(baggage.set_baggage("tenant", event["tenant"]))
    try:
        return baggage.get_baggage("tenant")
    finally:
        context.detach(token)
''',
    fix="none; keep the token from `attach` and call `context.detach(token)` in a `finally:`",
    safety="none (no automatic fix)",
    check=check,
    libraries=("opentelemetry",),
)
