"""LAM403: background work started by a handler and not finished before it returns."""
from __future__ import annotations

from linter.calls import method_of, qualified_callee, reached_calls
from linter.rule import Finding, Rule, handler_phrase

CODE = "LAM403"
THREADS = frozenset({"threading.Thread", "threading.Timer"})
EXECUTORS = frozenset({"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor"})
TASKS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})


def _assigned_name(statement):
    """``x`` for ``x = <call>``, else None (the result is discarded or nested)."""
    if type(statement).__name__ == "Assign" and len(statement.targets) == 1:
        target = statement.targets[0].target
        if type(target).__name__ == "Name":
            return target.value
    return None


def _uses_of(info, name):
    """Calls in ``info`` that read ``name`` (``t.join()``, ``wait([f])``)."""
    from linter.taint import names_read

    return [
        call for step in info.all_steps() for call in step.calls
        if call.node is not None and (call.path.root == name or name in names_read(call.node))
    ]


def _awaited(info, name) -> bool:
    """Whether ``await`` anywhere in the function reads ``name``."""
    from linter.syntax import child_nodes
    from linter.taint import names_read

    pending = [info.node.body]
    while pending:
        node = pending.pop()
        if type(node).__name__ == "Await" and name in names_read(node.expression):
            return True
        pending.extend(child_nodes(node))
    return False


def _unfinished(analysis, info, call):
    """A reason the work may outlive the invocation, or None."""
    model = analysis.model
    name = qualified_callee(analysis, info, call)
    node = call.node
    if method_of(call) == "start" and type(node.func.value).__name__ == "Call":
        if model.qualify(node.func.value.func) in THREADS:
            return "a thread is started and never joined"
    if method_of(call) == "start" and type(node.func.value).__name__ == "Name":
        thread = node.func.value.value
        made = [s for t, s in info.flows if type(t).__name__ == "Name" and t.value == thread]
        if any(type(s).__name__ == "Call" and model.qualify(s.func) in THREADS for s in made):
            if not any(method_of(c) == "join" and c.path.root == thread for c in _uses_of(info, thread)):
                return "a thread is started and never joined"
    if method_of(call) == "submit":
        if any(type(w).__name__ == "Call" and model.qualify(w.func) in EXECUTORS for w in call.withs):
            return None  # leaving the executor's `with` waits for its work
        future = _assigned_name(call.statement)
        if future is None or len(_uses_of(info, future)) <= 1:
            return "submitted work's result is never waited for"
    if name in TASKS:
        task = _assigned_name(call.statement)
        if task is None or not (_awaited(info, task) or len(_uses_of(info, task)) > 1):
            return "a task is created and never awaited"
    return None


def check(analysis):
    for info, _, handlers, call in reached_calls(analysis):
        reason = _unfinished(analysis, info, call)
        if reason is not None:
            message = (
                f"{reason} in {info.display}() (reached from {handler_phrase(handlers)}): Lambda freezes "
                "the environment when the handler returns, so the work resumes during a later caller's "
                "invocation, or never; join, wait for or await it before returning"
            )
            yield Finding(CODE, call.statement, message, handlers[0], None)

RULE = Rule(
    code=CODE,
    name="unfinished-background-work",
    summary="`Thread(...).start()`, `executor.submit(...)` or `asyncio.create_task(...)` not joined/awaited before the handler returns",
    why=(
        "Lambda freezes the execution environment as soon as the handler returns. A thread, submitted\n"
        "job or task still running is suspended mid-flight and resumes during the next invocation (with\n"
        "the next caller's data around it), or never, when the environment is recycled: its side effects\n"
        "land in the wrong invocation or are lost."
    ),
    bad='''
import threading

def _audit(event):
    print("audit", event["id"])

def lambda_handler(event, context):
    threading.Thread(target=_audit, args=(event,)).start()
    return event["id"]
''',
    good='''
import threading

def _audit(event):
    print("audit", event["id"])

def lambda_handler(event, context):
    worker = threading.Thread(target=_audit, args=(event,))
    worker.start()
    worker.join()
    return event["id"]
''',
    fix="none; join the thread, call `result()` on the future (or submit inside `with Executor() as pool:`), "
    "or await the task before returning",
    safety="none (no automatic fix)",
    check=check,
)
