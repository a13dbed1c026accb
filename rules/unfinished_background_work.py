"""LAM403: background work started by a handler and not finished before it returns.

A *work item* is a thread or timer that gets started, a job handed to an
executor's ``submit``, or an ``asyncio`` task.  From the expression that makes
it, the rule follows where the value goes inside the function that makes it
(flow-insensitively, like :mod:`linter.analysis.taint`): into names it is assigned to,
lists and dicts it is put in (``futures.append(f)``, ``futures[key] = f``, a
comprehension, ``{pool.submit(...): x for x in xs}``), the views and copies
of those (``futures.values()``, ``.items()``, ``.keys()``, ``list(...)``,
``sorted(...)``) and loop variables iterating them.  The work is finished when
one of those values is joined, waited for or awaited; it is left alone (not
flagged) when it escapes to code the rule cannot see: a return value, an
attribute, an argument of an unknown function.

An executor's ``map`` submits all its work at once and hands back an iterator
of results: the work is waited for only if that iterator is read, so a
``pool.map(...)`` whose result is thrown away (a statement of its own) is
flagged, unless the executor's ``with`` or ``shutdown()`` waits for it.
"""
from __future__ import annotations

from linter.analysis.calls import method_of, qualified_callee, reached_calls, receiver_binding
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM403"
THREADS = frozenset({"threading.Thread", "threading.Timer"})
EXECUTORS = frozenset({"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor"})
TASKS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})

# f.result(), t.join(); cancel(): a watchdog Timer cancelled before returning
FINISHING_METHODS = frozenset({"result", "exception", "join", "cancel"})
WAITERS = frozenset({"concurrent.futures.wait", "concurrent.futures.as_completed", "asyncio.run"})
RUNNER_METHODS = frozenset({"run_until_complete"})  # loop.run_until_complete(asyncio.gather(*tasks))
# Calls whose result still holds the work: awaiting or iterating it is waiting for the work.
PASS_THROUGH = frozenset({
    "asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield", "asyncio.as_completed",
    "asyncio.wrap_future", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed", "iter",
    "enumerate", "zip",
})
KEEPING_METHODS = frozenset({"append", "appendleft", "add", "extend", "insert"})  # futures.append(f)
# Views of a dict holding the work (`fs[x] = pool.submit(...)`, `{pool.submit(...): x}`): iterating one is
# iterating the work.
VIEW_METHODS = frozenset({"values", "items", "keys"})
# Calls that only look at the work (`len(futures)`, `logger.info("%s", futures)`).
LOOKING = frozenset({"len", "print", "str", "repr", "bool", "id", "isinstance", "type", "hash"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})

MADE_BY_CALL = THREADS | TASKS
FINISHED, ESCAPES, DROPPED, HELD, STARTED = "finished", "escapes", "dropped", "held", "started"


def _passing_through_types():
    """Nodes whose value still holds a work item found inside them: ``[f, g]``,
    ``(t for t in ...)``, ``{f: x for ...}``, ``a if c else b``."""
    import libcst as cst

    return (
        cst.Element, cst.StarredElement, cst.List, cst.Tuple, cst.Set, cst.Dict, cst.DictElement,
        cst.StarredDictElement, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.IfExp,
        cst.BooleanOperation,
    )


def _holders(targets):
    """(HELD, names) for assignment targets (``fs``, ``a, b``, ``futures[key]``);
    ESCAPES for an attribute (``self.worker``): another method may finish it."""
    import libcst as cst

    names, pending = set(), list(targets)
    while pending:
        target = pending.pop()
        if type(target) is cst.Name:
            names.add(target.value)
        elif type(target) in (cst.Tuple, cst.List):
            pending.extend(element.value for element in target.elements)
        elif type(target) in (cst.StarredElement, cst.Subscript):
            pending.append(target.value)
        else:
            return ESCAPES, None
    return HELD, frozenset(names)


class _Body:
    """One walk of a function (nested functions included): each node's parent,
    where each name is read, which expressions flow into which targets, and the
    scanner's record of each call."""

    def __init__(self, analysis, info):
        import libcst as cst
        from linter.parsing.syntax import child_nodes

        self.analysis, self.info = analysis, info
        self.parents, self.names, self.flows, self.calls = {}, {}, {}, {}
        infos = [info]
        while infos:
            current = infos.pop()
            for target, source in current.flows:
                self.flows.setdefault(id(source), []).append(target)
            for step in current.all_steps():
                for call in step.calls:
                    if call.node is not None:
                        self.calls.setdefault(id(call.node), call)
            infos.extend(filter(None, map(analysis.function, current.nested.values())))
        pending = [info.node.body]
        while pending:
            node = pending.pop()
            kind = type(node)
            if kind is cst.Name:
                self.names.setdefault(node.value, []).append(node)
                continue
            if kind in (cst.Import, cst.ImportFrom):
                continue
            children = (node.value,) if kind in (cst.Attribute, cst.Arg) else child_nodes(node)
            for child in children:  # not an attribute's or a keyword's name: those are not reads
                self.parents[id(child)] = node
                pending.append(child)

    def _fate(self, node):
        """Where the value of ``node`` goes next: (FINISHED|ESCAPES|DROPPED, None),
        (HELD, names now holding it) or (STARTED, the ``start()`` call)."""
        import libcst as cst

        passing_through = _passing_through_types()
        while True:
            parent = self.parents.get(id(node))
            kind = type(parent)
            if kind in passing_through or (kind is cst.Subscript and parent.value is node):
                node = parent
            elif kind is cst.Await:
                return FINISHED, None
            elif kind is cst.Attribute:  # f.result(), t.join(), t.start(), fs.values()
                call = self.parents.get(id(parent))
                if type(call) is not cst.Call or call.func is not parent:
                    return DROPPED, None
                method = parent.attr.value
                if method in FINISHING_METHODS:
                    return FINISHED, None
                if method == "start":
                    return STARTED, call
                if method not in VIEW_METHODS:
                    return DROPPED, None
                node = call
            elif kind is cst.Arg:
                call = self.parents[id(parent)]
                if type(call) is not cst.Call:  # a class's base
                    return DROPPED, None
                name = self.analysis.qualify(self.info, call.func)
                method = call.func.attr.value if type(call.func) is cst.Attribute else None
                if name in PASS_THROUGH:
                    node = call
                elif name in WAITERS or method in RUNNER_METHODS:
                    return FINISHED, None
                elif method in KEEPING_METHODS:
                    return _holders([call.func.value])
                elif name in LOOKING or method in LOG_METHODS:
                    return DROPPED, None
                else:
                    return ESCAPES, None  # handed to code that may wait for it
            elif kind in (cst.Return, cst.Yield, cst.Lambda):
                return ESCAPES, None
            elif kind is cst.Index:  # a key: ``futures[pool.submit(...)] = record``
                subscript = self.parents.get(id(self.parents.get(id(parent))))
                stored = type(self.parents.get(id(subscript))) is cst.AssignTarget
                return _holders([subscript]) if stored else (DROPPED, None)
            elif id(node) in self.flows:  # assigned, iterated by ``for`` or a comprehension
                return _holders(self.flows[id(node)])
            else:
                return DROPPED, None

    def follow(self, creation):
        """Every fate of the work ``creation`` makes, through the names that hold
        it, and the calls that start it (for threads)."""
        fates, starts, seen, pending = set(), [], set(), [creation]
        while pending:
            fate, found = self._fate(pending.pop())
            fates.add(fate)
            if fate == HELD:
                for name in found - seen:
                    seen.add(name)
                    pending.extend(self.names.get(name, ()))
            elif fate == STARTED:
                starts.append(found)
        return fates, starts

    def executor_waits(self, call):
        """Whether the executor ``call`` submits to is left by its ``with`` or
        shut down with ``wait=True`` in this function."""
        import libcst as cst
        from linter.parsing.syntax import dotted_name

        executor = dotted_name(call.node.func.value)
        for item in call.withs:
            if executor is not None and dotted_name(item) == executor:  # `with POOL:`
                return True
            if type(item) is cst.Call and self.analysis.qualify(self.info, item.func) in EXECUTORS:
                return True  # leaving the executor's `with` waits for its work
        for other in self.calls.values():
            node = other.node
            if executor is not None and method_of(other) == "shutdown" and type(node) is cst.Call:
                if dotted_name(node.func.value) == executor and not _no_wait(node):
                    return True  # pool.shutdown() / pool.shutdown(wait=True)
        return False


def _no_wait(shutdown):
    """``shutdown(wait=False)`` or ``shutdown(False)``."""
    import libcst as cst

    for index, arg in enumerate(shutdown.args):
        if (arg.keyword is not None and arg.keyword.value == "wait") or (arg.keyword is None and index == 0):
            return type(arg.value) is cst.Name and arg.value.value == "False"
    return False


def _unfinished(analysis, info, receiver, bodies, call):
    """(reason, statement to report) if the work ``call`` makes may outlive the invocation."""
    method = method_of(call)
    if method == "map":
        return _discarded_map(analysis, info, receiver, bodies, call)
    submitted = method == "submit"
    name = None if submitted else qualified_callee(analysis, info, call, named=MADE_BY_CALL)
    if not submitted and name not in THREADS and name not in TASKS:
        return None
    body = _body(analysis, bodies, info)
    fates, starts = body.follow(call.node)
    if FINISHED in fates or ESCAPES in fates:
        return None
    if name in THREADS:
        if not starts:
            return None  # not started here
        start = body.calls.get(id(starts[0]))
        return "a thread is started and never joined", start.statement if start else call.statement
    if submitted:
        if body.executor_waits(call):
            return None
        return "submitted work's result is never waited for", call.statement
    return "a task is created and never awaited", call.statement


def _discarded_map(analysis, info, receiver, bodies, call):
    """``pool.map(send, items)`` as a statement of its own.  An executor's
    ``map`` submits every item at once and returns an iterator of results;
    reading it (``list(...)``, a ``for`` loop) waits for the work, but
    discarding it leaves the work running.  Only a result thrown away on the
    spot is flagged: once it is named, what reads it is not followed."""
    import libcst as cst

    if not call.is_call or not _made_by_executor(analysis, info, receiver, call):
        return None
    body = _body(analysis, bodies, info)
    if type(body.parents.get(id(call.node))) is not cst.Expr or body.executor_waits(call):
        return None
    return "work handed to an executor's map() is never waited for (its results are discarded)", call.statement


def _made_by_executor(analysis, info, receiver, call) -> bool:
    """Whether ``call`` is a method of an executor: a module-level one
    (``POOL = ThreadPoolExecutor()``, here or imported) or a local one
    (``pool = ThreadPoolExecutor()``, ``with ThreadPoolExecutor() as pool:``).
    A ``map`` of anything else (``multiprocessing.Pool.map`` returns a list)
    starts nothing that outlives it."""
    import libcst as cst

    binding = receiver_binding(analysis, info, receiver, call)
    if binding is not None:
        return analysis.module(binding.module).constructor(binding) in EXECUTORS
    path = call.path
    scope = analysis.scope_of(info, path.root) if len(path.attrs) == 1 and not path.element else None
    return scope is not None and any(
        type(target) is cst.Name and target.value == path.root
        and type(source) is cst.Call and analysis.qualify(scope, source.func) in EXECUTORS
        for target, source in scope.flows
    )


def _body(analysis, bodies, info):
    """The walk of ``info``'s body, made once per function."""
    body = bodies.get(info.key)
    if body is None:
        body = bodies[info.key] = _Body(analysis, info)
    return body


def check(analysis):
    bodies, reported = {}, set()
    for info, receiver, handlers, call in reached_calls(analysis):
        found = _unfinished(analysis, info, receiver, bodies, call)
        if found is None or id(found[1]) in reported:
            continue
        reason, statement = found
        reported.add(id(statement))
        message = (
            f"{reason} in {info.display}() (reached from {reached_from(analysis, handlers, info, info.module)}): "
            "Lambda freezes the environment when the handler returns, so the work resumes during a later "
            "caller's invocation, or never; join, wait for or await it before returning"
        )
        yield Finding(CODE, statement, message, tuple(handlers), None, info.module)

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
