"""LAM108: a module-level instance of an accumulating type (a PrettyTable, a
type the project declares) added to on the invocation path and never emptied."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Tuple

from linter.analysis.calls import reached_calls
from linter.analysis.fixes import insert_in_handlers
from linter.analysis.rule import Finding, Rule, reached_from, where_in
from linter.output.diagnostics import Fix
from linter.project.accumulators import Accumulator
from linter.summary.scanner import RefPath

CODE = "LAM108"
_TABLE = dict(adds=("add_row", "add_rows", "add_column"), reset="clear_rows", full_reset="clear",
              needs_full=("add_column",))
KNOWN = (
    Accumulator("prettytable.PrettyTable", **_TABLE),
    Accumulator("prettytable.prettytable.PrettyTable", **_TABLE),
)


@dataclass(frozen=True)
class Addition:
    function: object  # FunctionInfo
    receiver: object
    call: object  # CallRef
    handlers: Tuple[object, ...]

    @property
    def method(self) -> str:
        return self.call.path.attrs[-1]


def _instances(analysis) -> Iterator[Tuple[object, Accumulator]]:
    """(binding, type) for each module-level instance of an accumulating type."""
    types: Dict[str, Accumulator] = {spec.type: spec for spec in (*KNOWN, *analysis.accumulators)}
    for binding in analysis.module_bindings():
        func = getattr(binding.value, "func", None)  # a constructor call
        if func is not None and len(binding.key) == 2:
            spec = types.get(analysis.qualify(binding.module, func) or "")
            if spec is not None:
                yield binding, spec


def _target(analysis, info, receiver, call):
    """The state a method call (``TABLE.add_row``) acts on."""
    path = call.path
    if not path.attrs:
        return None
    found = analysis.resolve_state(info, receiver, RefPath(path.root, path.attrs[:-1]))
    return found[0] if found else None


def _additions(analysis, binding, spec) -> List[Addition]:
    return [
        Addition(info, receiver, call, handlers)
        for info, receiver, handlers, call in reached_calls(analysis)
        if call.path.attrs and call.path.attrs[-1] in spec.adds
        and _target(analysis, info, receiver, call) == binding.key
    ]


def _emptied_first(analysis, handler, binding, spec, additions) -> bool:
    """Whether ``handler`` empties the object on every invocation before it
    adds to it: the reset method called where every invocation passes, or
    the name rebound to a new object under ``global``."""
    if "clear" in analysis.reset_kinds(handler, binding.key):
        return True
    needed = spec.full_reset if any(a.method in spec.needs_full for a in additions) else None
    resets = {method for method in (spec.reset, spec.full_reset) if method} if needed is None else {needed}
    always = analysis.always_run(handler)
    for info, receiver, handlers, call in reached_calls(analysis):
        if handler not in handlers or not call.always or (info.key, receiver) not in always:
            continue
        if call.path.attrs and call.path.attrs[-1] in resets and _target(analysis, info, receiver, call) == binding.key:
            line = analysis.line(call.statement, info)
            if all(a.function.key != info.key or line < analysis.line(a.call.statement, a.function) for a in additions):
                return True
    return False


def _fix(analysis, binding, spec, additions, handlers):
    """(fix, problem): call the type's reset method at the start of each handler."""
    full = any(a.method in spec.needs_full for a in additions)
    method = spec.full_reset if full else spec.reset
    if method is None:
        return None, f"no method is known that empties it; declare one as `{spec.type}:...=method`"
    filled = [call for info, receiver, call in analysis.calls_at_import()
              if call.path.attrs and call.path.attrs[-1] in spec.adds
              and _target(analysis, info, receiver, call) == binding.key]
    if filled:
        line = analysis.line(filled[0].statement)
        return None, f"code run at import adds to it (line {line}), and `{method}()` would remove that too"
    inserted = insert_in_handlers(analysis, handlers, binding.key, lambda name: (f"{name}.{method}()",))
    if inserted.problem is not None:
        return None, inserted.problem
    # ``clear()`` also drops the columns a constructor gave it
    unsafe = inserted.cyclic or (full and method != spec.reset and bool(getattr(binding.value, "args", ())))
    where = inserted.place(handlers, binding.module)
    return Fix("unsafe" if unsafe else "safe", f"Insert `{'; '.join(inserted.shown)}` at the start of {where}",
               inserted.edits), None


def _short(spec: Accumulator) -> str:
    return spec.type.rsplit(".", 1)[-1]


def check(analysis):
    for binding, spec in _instances(analysis):
        additions = _additions(analysis, binding, spec)
        if not additions:
            continue
        reaching = list(dict.fromkeys(h for a in additions for h in a.handlers))
        leaking = tuple(h for h in reaching if not _emptied_first(analysis, h, binding, spec, additions))
        if not leaking:
            continue
        first = min(additions, key=lambda a: (a.function.module, analysis.line(a.call.statement, a.function)))
        message = (
            f"module-level {_short(spec)} '{binding.display}' is added to by {first.method}() in "
            f"{where_in(analysis, first.call.statement, first.function, binding.module)}, reached from "
            f"{reached_from(analysis, leaking, first.function, binding.module, first.receiver)}, and never emptied "
            "between invocations: each invocation shows again what earlier ones added"
        )
        fix, problem = _fix(analysis, binding, spec, additions, leaking)
        if problem is not None:
            message += f" (no automatic fix: {problem})"
        yield Finding(CODE, binding.node, message, leaking, fix, binding.module)


RULE = Rule(
    code=CODE,
    name="accumulator-object",
    summary="module-level PrettyTable (or a declared accumulating type) added to on the invocation path and never emptied",
    why=(
        "A text table built at module level keeps its rows: the second report a warm environment\n"
        "sends holds the first one's rows as well, and so on until the environment is recycled.\n"
        "The same holds for any object that collects what its methods are given; declare your own\n"
        "in `[tool.warmstate] accumulators` (`\"pkg.module.Class:add,push=clear\"`)."
    ),
    bad='''
from prettytable import PrettyTable

REPORT = PrettyTable(["Account", "Key id", "Age (days)"])

def lambda_handler(event, context):
    for key in event["keys"]:
        REPORT.add_row([key["account"], key["id"], key["age"]])
    return REPORT.get_string()
''',
    good='''
from prettytable import PrettyTable

REPORT = PrettyTable(["Account", "Key id", "Age (days)"])

def lambda_handler(event, context):
    REPORT.clear_rows()
    for key in event["keys"]:
        REPORT.add_row([key["account"], key["id"], key["age"]])
    return REPORT.get_string()
''',
    fix="insert the type's reset at the start of each handler: `NAME.clear_rows()` for a PrettyTable, "
    "`NAME.clear()` when columns are added per call, the method a declaration names (`=clear`); no fix "
    "when none is known or code run at import adds to it",
    safety="safe; unsafe when `clear()` would also drop columns the constructor gave the table",
    check=check,
)
