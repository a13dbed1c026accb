"""LAM306: Powertools metrics added per invocation and never flushed by the handler."""
from __future__ import annotations

from linter.calls import handler_decorators, method_of, module_bindings_made_by, receiver_binding, trace
from linter.diagnostics import Fix
from linter.edits import AddDecorator
from linter.rule import Finding, Rule, handler_phrase
from rules._libraries import POWERTOOLS_METRICS

CODE = "LAM306"
ADD_METHODS = frozenset({"add_metric", "add_dimension", "add_metadata"})


def _classifier(analysis, binding):
    def classify(info, receiver, call):
        if receiver_binding(analysis, info, receiver, call) is not binding:
            return None
        method = method_of(call)
        return "add" if method in ADD_METHODS else "flush" if method == "flush_metrics" else None

    return classify


def check(analysis):
    for name, binding in module_bindings_made_by(analysis, POWERTOOLS_METRICS):
        leaking = []
        for handler in analysis.handlers:
            if any(d.binding is binding and d.method == "log_metrics" for d in handler_decorators(analysis, handler.name)):
                continue
            events = trace(analysis, ((handler.name,), None), _classifier(analysis, binding))
            adds = [event for event in events if event.kind == "add"]
            flushed = any(event.kind == "flush" and not event.conditional for event in events)
            if adds and not flushed:
                leaking.append(handler.name)
        if not leaking:
            continue
        message = (
            f"Powertools metrics '{name}' are added on the invocation path, but {handler_phrase(leaking)} "
            f"{'is' if len(leaking) == 1 else 'are'} not decorated with @{name}.log_metrics and "
            f"{'does' if len(leaking) == 1 else 'do'} not "
            "flush them: they pile up across invocations and are published late, in another invocation's "
            "batch, or never"
        )
        edits = tuple(AddDecorator((handler,), f"{name}.log_metrics") for handler in leaking)
        fix = Fix("safe", f"Decorate {handler_phrase(leaking)} with @{name}.log_metrics", edits)
        yield Finding(CODE, binding.node, message, leaking[0], fix)


RULE = Rule(
    code=CODE,
    name="powertools-metrics-not-flushed",
    summary="Powertools `Metrics.add_metric`/`add_dimension`/`add_metadata` without `@metrics.log_metrics` or a flush",
    why=(
        "A Powertools Metrics object collects metrics in memory and publishes them when flushed; the\n"
        "`log_metrics` decorator flushes at the end of every invocation. Without it, metrics from several\n"
        "invocations pile up and are published together in a later invocation (with its dimensions), or\n"
        "never, when the environment is recycled first."
    ),
    bad='''
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Shop", service="orders")

def lambda_handler(event, context):
    metrics.add_metric(name="OrderPlaced", unit=MetricUnit.Count, value=1)
    return event["id"]
''',
    good='''
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Shop", service="orders")

@metrics.log_metrics
def lambda_handler(event, context):
    metrics.add_metric(name="OrderPlaced", unit=MetricUnit.Count, value=1)
    return event["id"]
''',
    fix="decorate each handler that adds metrics with `@metrics.log_metrics`",
    safety="safe: each invocation publishes its own metrics when it ends",
    check=check,
)
