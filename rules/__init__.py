"""warmstate's rules, one module each; ``ALL_RULES`` is the registry."""
from rules import (
    accumulator_objects,
    import_time_clock,
    cached_method_per_invocation,
    environment_write,
    global_accumulator,
    ineffective_basic_config,
    logging_handler_per_invocation,
    mutable_class_attribute,
    mutable_default_argument,
    otel_context_not_detached,
    powertools_appended_keys,
    powertools_log_buffer,
    powertools_metrics_not_flushed,
    sentry_scope_leak,
    sticky_value,
    structlog_contextvars,
    tmp_files_left_behind,
    unbounded_cache,
    unbounded_container,
    unbounded_memo,
    unfinished_background_work,
    unreset_buffer,
)

ALL_RULES = tuple(
    module.RULE
    for module in (
        unbounded_container,
        unreset_buffer,
        mutable_class_attribute,
        mutable_default_argument,
        global_accumulator,
        sticky_value,
        import_time_clock,
        accumulator_objects,
        unbounded_cache,
        unbounded_memo,
        cached_method_per_invocation,
        environment_write,
        tmp_files_left_behind,
        unfinished_background_work,
        logging_handler_per_invocation,
        ineffective_basic_config,
        powertools_appended_keys,
        powertools_log_buffer,
        structlog_contextvars,
        powertools_metrics_not_flushed,
        sentry_scope_leak,
        otel_context_not_detached,
    )
)
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
