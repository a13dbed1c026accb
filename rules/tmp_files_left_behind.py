"""LAM402: files created under /tmp with per-call names and never removed."""
from __future__ import annotations

from linter.analysis.calls import method_of, qualified_callee, reached_calls
from linter.analysis.rule import Finding, Rule, reached_from

CODE = "LAM402"
TEMP_DIR_CALLS = frozenset({"tempfile.gettempdir"})
PATH_BUILDERS = frozenset({"tempfile.gettempdir", "os.path.join", "pathlib.Path", "str", "os.fspath"})
ALWAYS_NEW = frozenset({"tempfile.mkstemp", "tempfile.mkdtemp"})
REMOVERS = frozenset({"os.remove", "os.unlink", "shutil.rmtree", "os.rmdir"})
WRITE_MODES = ("w", "a", "x")


def _values(info, node, depth=3):
    """``node``, or what a local name in it was assigned from."""
    if type(node).__name__ == "Name" and depth:
        sources = [source for target, source in info.flows
                   if type(target).__name__ == "Name" and target.value == node.value]
        if sources:
            return [value for source in sources for value in _values(info, source, depth - 1)]
    return [node]


def _walk(node):
    from linter.parsing.syntax import child_nodes

    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(child_nodes(current))


def _as_text(value) -> str:
    """A literal's value as text: a bytes path (``open(b"/tmp/out", "wb")``) too."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _describes_tmp_path(analysis, info, node) -> bool:
    """Under /tmp (a literal, or tempfile.gettempdir()), with a name that changes per call."""
    under_tmp = changing = False
    for part in _walk(node):
        kind = type(part).__name__
        if kind == "SimpleString" and _as_text(part.evaluated_value).startswith("/tmp"):
            under_tmp = True
        elif kind == "FormattedStringText" and part.value.startswith("/tmp"):
            under_tmp = True
        elif kind == "Call":
            name = analysis.qualify(info, part.func)
            under_tmp = under_tmp or name in TEMP_DIR_CALLS
            changing = changing or name not in PATH_BUILDERS
        elif kind == "Name" and analysis.scope_of(info, part.value) is not None:
            changing = True
    return under_tmp and changing


def _creates_tmp_file(analysis, info, call) -> bool:
    node = call.node
    name = qualified_callee(analysis, info, call)
    if name in ALWAYS_NEW:
        return True
    if name == "tempfile.NamedTemporaryFile":
        return any(a.keyword is not None and a.keyword.value == "delete" and analysis.source(a.value) == "False"
                   for a in node.args)
    if name == "open":
        mode = next((a.value for i, a in enumerate(node.args)
                     if (a.keyword is None and i == 1) or (a.keyword is not None and a.keyword.value == "mode")), None)
        if mode is None or type(mode).__name__ != "SimpleString" or not any(m in mode.evaluated_value for m in WRITE_MODES):
            return False
        path = node.args[0].value if node.args else None
    elif method_of(call) in ("write_text", "write_bytes", "touch"):
        path = node.func.value
    else:
        return False
    return path is not None and any(_describes_tmp_path(analysis, info, v) for v in _values(info, path))


def _removes_in_finally(analysis, info) -> bool:
    return any(
        call.called and (qualified_callee(analysis, info, call) in REMOVERS or method_of(call) == "unlink")
        for step in info.finally_steps
        for call in step.calls
    )


def check(analysis):
    for info, _, handlers, call in reached_calls(analysis):
        if not _creates_tmp_file(analysis, info, call):
            continue
        removers = [info] + [analysis.function(h.key) for h in handlers]
        if any(_removes_in_finally(analysis, function) for function in removers):
            continue
        message = (
            f"a file with a per-call name is created under /tmp in {info.display}() (reached from "
            f"{reached_from(analysis, handlers, info, info.module)}) and not removed in a `finally:`: /tmp "
            "outlives the invocation and fills up (512 MB by default); use `with tempfile.TemporaryDirectory()`"
        )
        yield Finding(CODE, call.statement, message, tuple(handlers), None, info.module)

RULE = Rule(
    code=CODE,
    name="tmp-files-left-behind",
    summary="files created under /tmp per invocation with changing names (uuid, request data) and never removed",
    why=(
        "/tmp is part of the execution environment and survives warm invocations. A file named after the\n"
        "request, a uuid or a timestamp is a new file every time; without removal they accumulate until\n"
        "the ephemeral storage is full and a later invocation fails with 'No space left on device'. A\n"
        "fixed name overwritten each time, and tempfile's context managers, are fine."
    ),
    bad='''
import json
import uuid

def lambda_handler(event, context):
    path = f"/tmp/order-{uuid.uuid4()}.json"
    with open(path, "w") as handle:
        json.dump(event, handle)
    return path
''',
    good='''
import json
import os
import tempfile

def lambda_handler(event, context):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "order.json")
        with open(path, "w") as handle:
            json.dump(event, handle)
        return os.path.getsize(path)
''',
    fix="none; use `with tempfile.TemporaryDirectory()` (or remove the file in a `finally:`)",
    safety="none (no automatic fix)",
    check=check,
)
