"""LAM105: a module-level name accumulated under ``global`` and never reset."""
from __future__ import annotations

from linter.output.diagnostics import Fix
from linter.fixing.edits import PrependStatements
from linter.summary.kinds import CONTAINER_KINDS
from linter.analysis.leaks import find_leaks, leak_message, owner
from linter.analysis.rule import Finding, Rule, handler_phrase
from rules.unbounded_container import NEVER_RESET, is_complete_reset

CODE = "LAM105"


def counts(binding, item) -> bool:
    """``X = X + ...`` always; ``X += ...`` unless X is a container (LAM101's)."""
    mutation = item.mutation
    return mutation.rebind and not (mutation.augmented and binding.kind in CONTAINER_KINDS)


def _fix(analysis, leak):
    """(fix, problem): rebind the name to its import-time value, when the
    source shows it.  Only a handler of the state's own module can rebind it
    under ``global``; a name of another module gets no fix."""
    from linter.analysis.restore import initial_value_source, why_not_restorable

    name = leak.state.display
    initial = initial_value_source(analysis, leak.state)
    handlers = leak.handlers
    if initial is None:
        return None, why_not_restorable(analysis, leak.state)
    if any(h.module != leak.state.module or not h.has_body for h in handlers):
        return None, "only a handler function of its own module can rebind it"
    if any(analysis.function(h.key).is_local(name) for h in handlers):
        return None, "a handler has a local variable of the same name"
    edits = []
    for handler in handlers:
        declared = name in analysis.function(handler.key).globals
        statements = (f"{name} = {initial}",) if declared else (f"global {name}", f"{name} = {initial}")
        edits.append(PrependStatements(handler.key, statements))
    applicability = "unsafe" if analysis.looked_up(leak.state.key) else "safe"
    message = f"Reset `{name} = {initial}` at the start of {handler_phrase(handlers)}"
    return Fix(applicability, message, tuple(edits)), None


def check(analysis):
    leaks = find_leaks(
        analysis,
        wants_state=lambda key, b: owner(analysis, key) == "module" and not analysis.states.is_object(key),
        counts=counts,
        is_complete_reset=is_complete_reset,
    )
    for leak in leaks:
        message = leak_message(analysis, leak, f"module-level name '{leak.state.display}'", NEVER_RESET, is_complete_reset)
        fix, problem = _fix(analysis, leak)
        if problem is not None:
            message += f" (no automatic fix: {problem})"
        yield Finding(CODE, leak.state.node, message, tuple(leak.handlers), fix, leak.state.module)


RULE = Rule(
    code=CODE,
    name="global-accumulator",
    summary="module-level name rebound under `global` by accumulation (`total += x`) and never reset",
    why=(
        "`global total; total += amount` keeps adding to the value the previous invocation left behind:\n"
        "the second caller is told the sum of both requests. Lazy initialisation\n"
        "(`if _conn is None: _conn = connect()`) and flags set to a constant are not accumulation and are\n"
        "not flagged."
    ),
    bad='''
total = 0

def lambda_handler(event, context):
    global total
    for item in event["items"]:
        total += item["amount"]
    return {"total": total}
''',
    good='''
total = 0

def lambda_handler(event, context):
    global total
    total = 0
    for item in event["items"]:
        total += item["amount"]
    return {"total": total}
''',
    fix="insert `global NAME` (unless declared) and `NAME = <initial value>` at the start of each handler; "
    "no fix when the initial value is not a literal or module-level code changes it",
    safety="safe; unsafe when the invocation path compares the value (a counter or threshold a later "
    "invocation may rely on)",
    check=check,
)
