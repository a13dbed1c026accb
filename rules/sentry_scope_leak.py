"""LAM307: Sentry scope data set per invocation without Lambda isolation."""
from __future__ import annotations

from linter.analysis.calls import events_by_call, qualified_callee
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM307"
SETTERS = frozenset(f"sentry_sdk.{name}" for name in ("set_tag", "set_tags", "set_user", "set_context", "set_extra"))
SCOPES = frozenset(f"sentry_sdk.{name}" for name in ("isolation_scope", "new_scope", "push_scope"))
INTEGRATION = "sentry_sdk.integrations.aws_lambda.AwsLambdaIntegration"


def _isolated_by_integration(analysis) -> bool:
    """``AwsLambdaIntegration()`` made at module level of any Lambda module."""
    for name in analysis.lambda_modules():
        for call, _ in analysis.module(name).module_calls:
            if analysis.qualify(name, call.func) == INTEGRATION:
                return True
    return False


def _inside_scope(analysis, event) -> bool:
    return any(
        type(w).__name__ == "Call" and analysis.qualify(analysis.function(key), w.func) in SCOPES
        for key, w in event.withs
    )


def check(analysis):
    if _isolated_by_integration(analysis):
        return
    found = events_by_call(
        analysis,
        lambda info, receiver, call: "set" if qualified_callee(analysis, info, call, SETTERS) in SETTERS else None,
        lambda event, events: not _inside_scope(analysis, event),
    )
    for event, handlers in found:
        setter = analysis.source(event.call.node.func)
        module = event.function.module
        message = (
            f"{setter}() in {event.function.display}() sets Sentry scope data that outlives the invocation "
            f"(reached from {reached_from(analysis, handlers, event.function, module)}): without "
            "AwsLambdaIntegration in sentry_sdk.init() or `with sentry_sdk.isolation_scope():`, the next "
            "caller's errors carry it; add `integrations=[AwsLambdaIntegration()]` or wrap the work in an "
            "isolation scope"
        )
        yield Finding(CODE, event.call.statement, message, handlers[0].name, None, module)


RULE = Rule(
    code=CODE,
    name="sentry-scope-leak",
    summary="`sentry_sdk.set_tag`/`set_user`/`set_context`/`set_extra` without AwsLambdaIntegration or an isolation scope",
    why=(
        "Sentry keeps tags, the user and contexts on a scope that lives as long as the process. The\n"
        "AwsLambdaIntegration gives every invocation its own scope; without it (or an explicit\n"
        "`isolation_scope()`), the user or tenant set for one caller is attached to the next caller's errors."
    ),
    bad='''
import sentry_sdk

sentry_sdk.init(dsn="https://key@example.ingest.sentry.io/1")

def lambda_handler(event, context):
    sentry_sdk.set_user({"id": event["user"]})
    return event["id"]
''',
    good='''
import sentry_sdk
from sentry_sdk.integrations.aws_lambda import AwsLambdaIntegration

sentry_sdk.init(dsn="https://key@example.ingest.sentry.io/1", integrations=[AwsLambdaIntegration()])

def lambda_handler(event, context):
    sentry_sdk.set_user({"id": event["user"]})
    return event["id"]
''',
    fix="none; add `AwsLambdaIntegration()` to `sentry_sdk.init(integrations=...)` or wrap the work in "
    "`with sentry_sdk.isolation_scope():`",
    safety="none (no automatic fix)",
    check=check,
)
