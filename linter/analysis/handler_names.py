"""The names that make code look like a Lambda handler, for the heuristics
over LibCST trees (:mod:`linter.analysis.handlers`) and for the tests of a
file's text that decide, before anything is parsed, which files may hold a
handler (:mod:`linter.analysis.entry_points`).  Kept apart from the
heuristics so that those tests, which every run makes, do not import LibCST:
a run whose results are all cached never needs it."""

EVENT_NAMES = frozenset({"event", "evt", "e", "_event"})
CONTEXT_NAMES = frozenset({"context", "ctx", "_context", "lambda_context"})
POWERTOOLS_DECORATORS = frozenset(
    {"inject_lambda_context", "log_metrics", "capture_lambda_handler", "event_source"}
)
HANDLER_NAMES = frozenset({"lambda_handler", "handler"})
DECORATOR_FACTORY = "lambda_handler_decorator"
# Adapters that turn a web application into a Lambda handler: they dispatch to its routes.
ADAPTERS = frozenset({"mangum.Mangum", "mangum.adapter.Mangum", "apig_wsgi.make_lambda_handler"})
CHALICE = frozenset({"chalice.Chalice", "chalice.app.Chalice"})
# Chalice decorators that make a function its own Lambda function (the others are API routes).
CHALICE_HANDLERS = frozenset({
    "lambda_function", "schedule", "on_s3_event", "on_sns_message", "on_sqs_message", "on_cw_event",
    "on_dynamodb_record", "on_kinesis_record", "on_ws_connect", "on_ws_message", "on_ws_disconnect",
})
