"""LAM302: ``logging.basicConfig(...)`` in Lambda code, where it does nothing."""
from __future__ import annotations

from linter.calls import qualified_callee
from linter.diagnostics import Fix
from linter.edits import ReplaceNode
from linter.rule import Finding, Rule

CODE = "LAM302"
BASIC_CONFIG = "logging.basicConfig"


def _calls(analysis):
    """Every ``logging.basicConfig`` call: module level and in any function."""
    model = analysis.model
    for call, statement in model.module_calls:
        func = call.func
        last = func.attr.value if type(func).__name__ == "Attribute" else getattr(func, "value", None)
        if last == "basicConfig" and model.qualify(func) == BASIC_CONFIG:
            yield call, statement, None
    for info in model.functions.values():
        for step in info.all_steps():
            for ref in step.calls:
                if ref.called and qualified_callee(analysis, info, ref, {BASIC_CONFIG}) == BASIC_CONFIG:
                    yield ref.node, ref.statement, info


def _fix(analysis, call):
    """``logging.getLogger().setLevel(LEVEL)`` when ``level=`` is all it passes."""
    if len(call.args) != 1 or call.args[0].keyword is None or call.args[0].keyword.value != "level":
        return None
    logging_names = [name for name, target in analysis.model.imports.items() if target == "logging"]
    if not logging_names:
        return None
    replacement = f"{logging_names[0]}.getLogger().setLevel({analysis.source(call.args[0].value)})"
    return Fix("safe", f"Replace with `{replacement}`", (ReplaceNode(call, replacement),))


def check(analysis):
    if not analysis.handlers:
        return
    for call, statement, info in _calls(analysis):
        where = "at module level" if info is None else f"in {info.display}()"
        message = (
            f"logging.basicConfig() {where} does nothing on Lambda: the runtime has already given the root "
            "logger a handler, so the level and format asked for never apply"
        )
        yield Finding(CODE, statement, message, analysis.handlers[0].name, _fix(analysis, call))


RULE = Rule(
    code=CODE,
    name="ineffective-basic-config",
    summary="`logging.basicConfig(...)` in Lambda code, where the runtime's root handler makes it a no-op",
    why=(
        "`basicConfig` only configures the root logger when it has no handlers. The Lambda Python runtime\n"
        "attaches one before your module is imported, so the call silently does nothing: the level stays\n"
        "WARNING and INFO lines never appear. `force=True` would remove the runtime's handler, and with it\n"
        "the request id on every line, so the fix never inserts it."
    ),
    bad='''
import logging

logging.basicConfig(level=logging.INFO)

def lambda_handler(event, context):
    logging.info("processing %s", event["id"])
''',
    good='''
import logging

logging.getLogger().setLevel(logging.INFO)

def lambda_handler(event, context):
    logging.info("processing %s", event["id"])
''',
    fix="replace with `logging.getLogger().setLevel(LEVEL)` when only `level=` is passed; otherwise no fix",
    safety="safe: the level the code asked for starts to apply",
    check=check,
)
