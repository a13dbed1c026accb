"""LAM307: Sentry scope data set per invocation without Lambda isolation.

Sentry keeps tags, the user, contexts and extras on scopes that live as long
as the process.  Two scopes matter (sentry-sdk 2.x):

* the *isolation scope*: what ``sentry_sdk.set_tag(...)`` and the other
  top-level setters write, what ``configure_scope()`` yields and what
  ``get_isolation_scope()`` returns;
* the *current scope*: what ``get_current_scope()`` returns.

Both are written here as well through the scope object (``scope.set_tag``,
``scope.user = ...``), called on the getter directly
(``sentry_sdk.get_current_scope().set_tag(...)``) or on a local name it was
assigned to (``scope = sentry_sdk.get_isolation_scope()``,
``with sentry_sdk.configure_scope() as scope:``).

A write is isolated when the scope written was forked for the invocation:
``AwsLambdaIntegration`` and ``with isolation_scope():`` fork both scopes,
``with push_scope():`` forks the isolation scope, and ``with new_scope():``
only the current scope, so ``sentry_sdk.set_tag`` inside ``new_scope()``
still writes the process's isolation scope.  For a scope object, what counts
is where it was taken: a scope fetched before ``with isolation_scope():`` is
the outer one, whatever is done with it inside.
"""
from __future__ import annotations

from linter.analysis.calls import events_by_call, method_of, qualified_callee
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM307"
ISOLATION, CURRENT = "isolation scope", "current scope"
SCOPE_METHODS = ("set_tag", "set_tags", "set_user", "set_context", "set_extra")
SCOPE_ATTRIBUTES = frozenset({"user"})  # ``scope.user = {...}``, the sentry-sdk 1.x idiom


def _spellings(name):
    """``sentry_sdk.X`` as it is exported and where it is defined."""
    return (f"sentry_sdk.{name}", f"sentry_sdk.api.{name}", f"sentry_sdk.scope.{name}")


SETTERS = frozenset(spelling for name in SCOPE_METHODS for spelling in _spellings(name))
GETTERS = {  # calls returning (or yielding) a process-wide scope, and which one
    spelling: scope
    for name, scope in (
        ("configure_scope", ISOLATION),
        ("get_isolation_scope", ISOLATION),
        ("Scope.get_isolation_scope", ISOLATION),
        ("get_current_scope", CURRENT),
        ("Scope.get_current_scope", CURRENT),
    )
    for spelling in _spellings(name)
}
ISOLATING = {  # context managers that fork scopes, and which ones
    spelling: scopes
    for name, scopes in (
        ("isolation_scope", {ISOLATION, CURRENT}),
        ("push_scope", {ISOLATION}),
        ("new_scope", {CURRENT}),
    )
    for spelling in _spellings(name)
}
INTEGRATION = "sentry_sdk.integrations.aws_lambda.AwsLambdaIntegration"


def _isolated_by_integration(analysis) -> bool:
    """``AwsLambdaIntegration()`` made at module level of any Lambda module."""
    for name in analysis.lambda_modules():
        for call, _ in analysis.module(name).module_calls:
            if analysis.qualify(name, call.func) == INTEGRATION:
                return True
    return False


def _classify(analysis, info, call):
    """The scope a call writes to (a top-level setter), or that a getter
    returns when the function writes to it; None for anything else."""
    if qualified_callee(analysis, info, call, SETTERS) in SETTERS:
        return ISOLATION
    scope = GETTERS.get(qualified_callee(analysis, info, call, GETTERS))
    if scope is not None and _writes(analysis, info, call.node):
        return scope
    return None


def _writes(analysis, info, getter):
    """(statement, what is written) for each write to the scope the call
    ``getter`` returns: a setter called on it (``getter().set_tag(...)``) or
    on a name it is assigned to, or one of its attributes assigned, in the
    function that calls it."""
    import libcst as cst

    names = {target.value for target, source in info.flows if source is getter and isinstance(target, cst.Name)}

    def is_scope(node) -> bool:
        return node is getter or (isinstance(node, cst.Name) and node.value in names)

    found = []
    for step in info.all_steps():
        for call in step.calls:
            func = call.node.func if call.is_call else None
            if isinstance(func, cst.Attribute) and method_of(call) in SCOPE_METHODS and is_scope(func.value):
                found.append((call.statement, f"{analysis.source(func)}()"))
    for target, _ in info.flows:
        if isinstance(target, cst.Attribute) and target.attr.value in SCOPE_ATTRIBUTES and is_scope(target.value):
            found.append((_assignment_to(info, target), f"{analysis.source(target)} = ..."))
    return found


def _assignment_to(info, target):
    """The statement assigning to ``target`` (findings are reported at statements)."""
    import libcst as cst
    from linter.parsing.syntax import child_nodes

    pending = [info.node.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Assign) and any(item.target is target for item in node.targets):
            return node
        if isinstance(node, (cst.AnnAssign, cst.AugAssign)) and node.target is target:
            return node
        pending.extend(child_nodes(node))
    raise LookupError("an assignment target outside its function")


def _isolating(analysis, event, scope):
    """Whether a context manager around the event forks ``scope`` for it."""
    import libcst as cst

    return any(
        isinstance(w, cst.Call) and scope in ISOLATING.get(analysis.qualify(analysis.function(key), w.func), ())
        for key, w in event.withs
    )


def _not_forking_note(analysis, event):
    """A context manager around the write that forks only the other scope
    (``new_scope()`` around an isolation-scope write): a note for the reader
    who sees the ``with`` and wonders why it does not count."""
    import libcst as cst

    for key, w in event.withs:
        if isinstance(w, cst.Call) and ISOLATING.get(analysis.qualify(analysis.function(key), w.func)):
            return f" (`{analysis.source(w.func)}()` does not fork the {event.kind})"
    return ""


def _reported(analysis, event):
    """(statement, what is written, where the scope comes from) for each write
    an event stands for: a top-level setter is one, a getter stands for the
    writes to its scope."""
    info, call = event.function, event.call
    if qualified_callee(analysis, info, call, SETTERS) in SETTERS:
        return [(call.statement, f"{analysis.source(call.node.func)}()", "")]
    taken = f" (taken by `{analysis.source(call.node)}` on line {analysis.line(call.statement, info)})"
    return [
        (statement, what, "" if statement is call.statement else taken)
        for statement, what in _writes(analysis, info, call.node)
    ]


def check(analysis):
    if _isolated_by_integration(analysis):
        return
    found = events_by_call(
        analysis,
        lambda info, receiver, call: _classify(analysis, info, call),
        lambda event, events: not _isolating(analysis, event, event.kind),
    )
    reported = set()  # two getters in one function may name the same scope
    for event, handlers in found:
        info = event.function
        module = info.module
        for statement, what, taken in _reported(analysis, event):
            if id(statement) in reported:
                continue
            reported.add(id(statement))
            message = (
                f"{what} in {info.display}() sets data on Sentry's {event.kind}{taken}, which outlives the invocation "
                f"(reached from {reached_from(analysis, handlers, info, module)}){_not_forking_note(analysis, event)}: "
                "without AwsLambdaIntegration in sentry_sdk.init() or `with sentry_sdk.isolation_scope():`, the "
                "next caller's errors carry it; add `integrations=[AwsLambdaIntegration()]` or wrap the work in "
                "an isolation scope"
            )
            yield Finding(CODE, statement, message, tuple(handlers), None, module)


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
    libraries=("sentry_sdk",),
)
