"""warmstate's rules, one module each.

``REGISTRY`` names each rule's code and module, in the order rules are
listed; ``CODES`` is what the configuration and ``--select`` are checked
against.  ``ALL_RULES`` and ``RULES_BY_CODE`` import the modules on first
use: rules import LibCST (a fifth of a second), which a run whose results
are all cached never needs.
"""
from importlib import import_module

REGISTRY = (
    ("LAM101", "unbounded_container"),
    ("LAM102", "unreset_buffer"),
    ("LAM103", "mutable_class_attribute"),
    ("LAM104", "mutable_default_argument"),
    ("LAM105", "global_accumulator"),
    ("LAM106", "sticky_value"),
    ("LAM107", "import_time_clock"),
    ("LAM108", "accumulator_objects"),
    ("LAM201", "unbounded_cache"),
    ("LAM202", "unbounded_memo"),
    ("LAM203", "cached_method_per_invocation"),
    ("LAM401", "environment_write"),
    ("LAM402", "tmp_files_left_behind"),
    ("LAM403", "unfinished_background_work"),
    ("LAM301", "logging_handler_per_invocation"),
    ("LAM302", "ineffective_basic_config"),
    ("LAM303", "powertools_appended_keys"),
    ("LAM304", "powertools_log_buffer"),
    ("LAM305", "structlog_contextvars"),
    ("LAM306", "powertools_metrics_not_flushed"),
    ("LAM307", "sentry_scope_leak"),
    ("LAM308", "otel_context_not_detached"),
)
CODES = tuple(code for code, _ in REGISTRY)


def __getattr__(name: str):
    if name == "ALL_RULES":
        value = tuple(import_module(f"rules.{module}").RULE for _, module in REGISTRY)
    elif name == "RULES_BY_CODE":
        value = {rule.code: rule for rule in __getattr__("ALL_RULES")}
    else:
        raise AttributeError(f"module 'rules' has no attribute {name!r}")
    globals()[name] = value
    return value
