"""LAM306: Powertools metrics added per invocation and never flushed by the handler."""
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
from linter.output.diagnostics import Fix
from linter.analysis.rule import Finding, Rule, handler_phrase
from rules._libraries import POWERTOOLS_METRICS

CODE = "LAM306"
ADD_METHODS = frozenset({"add_metric", "add_dimension", "add_metadata"})


def _classifier(analysis, binding):
    def classify(info, receiver, call):
        if receiver_binding(analysis, info, receiver, call) is not binding:
            return None
        method = method_of(call)
        return {"flush_metrics": "flush", "clear_metrics": "clear"}.get(method, "add" if method in ADD_METHODS else None)

    return classify


def _metrics_pile_up(events) -> bool:
    """Metrics are added, and neither flushed nor cleared in a ``finally:``
    nor cleared before the first is added.  A flush at the end of the
    handler, outside ``finally:``, is skipped by an exception, and the failed
    invocation's metrics go out with the next one."""
    adds = [index for index, event in enumerate(events) if event.kind == "add"]
    if not adds:
        return False
    return not any(
        not event.conditional and (event.in_finally or (event.kind == "clear" and index < adds[0]))
        for index, event in enumerate(events) if event.kind in ("flush", "clear")
    )


def check(analysis):
    for binding in module_bindings_made_by(analysis, POWERTOOLS_METRICS):
        name, leaking, note = binding.display, [], None
        for handler in analysis.handlers:
            if any(d.binding is binding and d.method == "log_metrics" for d in handler_decorators(analysis, handler)):
                continue
            events = handler_trace(analysis, handler, _classifier(analysis, binding))
            if _metrics_pile_up(events):
                if not leaking:
                    note = ignored_reset_note(analysis, events, {"flush", "clear"})
                leaking.append(handler)
        if not leaking:
            continue
        flush = "flush them" if note is None else f"flush them on every invocation ({note})"
        message = (
            f"Powertools metrics '{name}' are added on the invocation path, but "
            f"{handler_phrase(leaking, binding.module)} "
            f"{'is' if len(leaking) == 1 else 'are'} not decorated with @{name}.log_metrics and "
            f"{'does' if len(leaking) == 1 else 'do'} not {flush}: they pile up across invocations and are "
            f"published late, in another invocation's batch, or never (@{name}.log_metrics publishes each "
            "invocation's metrics when it ends)"
        )
        inserted = insert_in_handlers(analysis, leaking, binding.key, lambda spelled: (f"{spelled}.clear_metrics()",))
        fix = None
        if inserted.problem is None:
            unsafe = inserted.cyclic or called_at_import(analysis, binding, ADD_METHODS)
            where = inserted.place(leaking, binding.module)
            fix = Fix("unsafe" if unsafe else "safe", f"Clear the metrics of '{name}' at the start of {where}",
                      inserted.edits)
        yield Finding(CODE, binding.node, message, tuple(leaking), fix, binding.module)


RULE = Rule(
    code=CODE,
    name="powertools-metrics-not-flushed",
    summary="Powertools `Metrics.add_metric`/`add_dimension`/`add_metadata` without `@metrics.log_metrics` or a flush",
    why=(
        "A Powertools Metrics object collects metrics in memory and publishes them when flushed; the\n"
        "`log_metrics` decorator flushes at the end of every invocation. Without it, metrics from several\n"
        "invocations pile up and are published together in a later invocation (with its dimensions), or\n"
        "never, when the environment is recycled first. The fix clears them at the start of every\n"
        "invocation, which is what a cold start has; decorating the handler with `@metrics.log_metrics`\n"
        "is the idiomatic change when the metrics are meant to be published every invocation."
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

def lambda_handler(event, context):
    metrics.clear_metrics()
    metrics.add_metric(name="OrderPlaced", unit=MetricUnit.Count, value=1)
    return event["id"]
''',
    fix="insert `metrics.clear_metrics()` as the first statement of each handler that adds metrics "
    "(`@metrics.log_metrics` is the fuller change: it also publishes each invocation's metrics when it ends)",
    safety="safe: an invocation starts with no metrics, as on a cold start, and publishes what it did before; "
    "unsafe when metrics, dimensions or metadata are also added at module level (clearing drops them)",
    check=check,
    libraries=("aws_lambda_powertools",),
)
