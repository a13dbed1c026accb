"""LAM107: the clock read once at import and used on the invocation path as
if it were the current time."""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Tuple

from linter.analysis.moved import why_read_otherwise
from linter.analysis.rule import Finding, Rule, handler_phrase, reached_from, where_in
from linter.fixing.edits import PrependStatements, ReplaceNode
from linter.output.diagnostics import Fix
from linter.parsing.syntax import contains

CODE = "LAM107"
_CONSEQUENCE = "so every warm invocation gets the cold start's time, and a report keeps its first day or month"
# Field functions whose ``default`` is a value, even a callable one: the clock goes to their factory keyword.
_FACTORY_KEYWORD = {
    "pydantic.Field": "default_factory", "pydantic.fields.Field": "default_factory",
    "dataclasses.field": "default_factory", "sqlmodel.Field": "default_factory", "msgspec.field": "default_factory",
    "attr.ib": "factory", "attr.attrib": "factory", "attr.field": "factory", "attrs.field": "factory",
}


def _why_not_recomputed(analysis, snapshot, reads) -> Optional[str]:
    """Why the snapshot cannot be computed again at the start of the
    handlers reaching its reads: only handlers of its own module can rebind
    it, only when every read is in that module (an importer keeps the old
    object), only from constants, imports and other snapshots, and only
    when each name the computation reads means the same at the start of the
    handler (not a local variable of the handler, nor rebound after import)."""
    module = snapshot.binding.module
    handlers = list(dict.fromkeys(h for read in reads for h in read.handlers))
    if any(read.function.module != module for read in reads):
        return "another module reads it through an import, which a rebinding would not reach"
    if any(h.module != module or not h.has_body for h in handlers):
        return "only a handler function of its own module can compute it again"
    chain = _chain(analysis.clocks, snapshot)
    blocking = _other_state(analysis, chain)
    if blocking is not None:
        return f"it is computed from '{blocking}', which is not a constant"
    names = [s.binding.display for s in chain]
    if any(analysis.function(h.key).is_local(name) for h in handlers for name in names):
        return "a handler has a local variable of the same name"
    for handler in handlers:
        info = analysis.function(handler.key)
        for problem in (why_read_otherwise(analysis, module, s.binding.value, info) for s in chain):
            if problem is not None:
                return f"computed again at the start of {info.display}(), {problem}"
    return None


def _module_fixes(analysis, by_snapshot, problems) -> Dict[str, Fix]:
    """One fix per module, shared by its findings: compute every fixable
    snapshot again, with those it is computed from, in module order, as the
    first statements of each handler reaching one (the identical edits of
    the module's findings are applied once)."""
    wanted: Dict[str, Tuple[dict, dict]] = {}  # module -> (snapshots by key, handlers)
    for key, reads in by_snapshot.items():
        if problems[key] is None:
            chained, handlers = wanted.setdefault(key[0], ({}, {}))
            chained.update((s.binding.key, s) for s in _chain(analysis.clocks, reads[0].snapshot))
            handlers.update(dict.fromkeys(h for read in reads for h in read.handlers))
    fixes = {}
    for module, (chained, handlers) in wanted.items():
        ordered = _in_module_order(analysis, chained.values())
        assignments = tuple(f"{s.binding.display} = {analysis.source(s.binding.value)}" for s in ordered)
        statements = (f"global {', '.join(s.binding.display for s in ordered)}",) + assignments
        fixes[module] = Fix(
            "unsafe", f"Compute `{'; '.join(assignments)}` again at the start of {handler_phrase(list(handlers), module)}",
            tuple(PrependStatements(h.key, statements) for h in handlers))
    return fixes


def _chain(clocks, snapshot) -> List[object]:
    """The snapshot and those it is computed from, in the order the module computes them."""
    found, stack = {}, [snapshot]
    while stack:
        current = stack.pop()
        if current.binding.key not in found:
            found[current.binding.key] = current
            stack.extend(clocks.snapshots[(current.binding.module, name)] for name in current.depends_on)
    return _in_module_order(clocks.analysis, found.values())


def _in_module_order(analysis, snapshots) -> List[object]:
    snapshots = list(snapshots)
    if not snapshots:
        return []
    order = {name: index for index, name in enumerate(analysis.module(snapshots[0].binding.module).bindings)}
    return sorted(snapshots, key=lambda s: order.get(s.binding.key[1], 0))


def _other_state(analysis, chain) -> Optional[str]:
    """A module-level name the computation reads that is neither a snapshot
    recomputed with it, nor an import, nor an UPPER_CASE setting."""
    from linter.analysis.clocks import names_read

    recomputed = {s.binding.key[1] for s in chain}
    for snapshot in chain:
        module = analysis.module(snapshot.binding.module)
        for name in names_read(snapshot.binding.value):
            if name in recomputed or name.isupper() or name in module.imports or name not in module.bindings:
                continue
            return name
    return None


def _snapshot_findings(analysis):
    by_snapshot: Dict[Tuple[str, ...], list] = {}
    for read in analysis.clocks.reads():
        key = read.snapshot.binding.key
        stale = tuple(h for h in read.handlers if "clear" not in analysis.reset_kinds(h, key))  # not recomputed first
        if stale:
            by_snapshot.setdefault(key, []).append(replace(read, handlers=stale))
    problems = {key: _why_not_recomputed(analysis, reads[0].snapshot, reads) for key, reads in by_snapshot.items()}
    fixes = _module_fixes(analysis, by_snapshot, problems)
    for key, reads in by_snapshot.items():
        snapshot, first = reads[0].snapshot, reads[0]
        binding = snapshot.binding
        handlers = tuple(dict.fromkeys(h for read in reads for h in read.handlers))
        origin = "takes the time at import" if snapshot.clock_calls else (
            f"is computed at import from {', '.join(repr(n) for n in snapshot.depends_on)}, which took the time then")
        message = (
            f"module-level '{binding.display}' {origin}, and "
            f"{where_in(analysis, first.statement, first.function, binding.module)} reads it, "
            f"reached from {reached_from(analysis, handlers, first.function, binding.module, first.receiver)}: "
            f"Lambda imports the module once per environment, {_CONSEQUENCE}"
        )
        fix = fixes.get(binding.module) if problems[key] is None else None
        if problems[key] is not None:
            message += f" (no automatic fix: {problems[key]})"
        yield Finding(CODE, binding.node, message, handlers, fix, binding.module)


def _default_findings(analysis):
    for info, handlers, parameter, default in analysis.clocks.defaults():
        message = (
            f"the default of '{parameter}' in {info.display}() reads the clock once, when the `def` runs at import "
            f"(reached from {handler_phrase(handlers, info.module)}), {_CONSEQUENCE}; default to None and read the "
            "clock in the body"
        )
        yield Finding(CODE, default, message, handlers, None, info.module)


def _model_findings(analysis):
    for module, statement, field, argument in analysis.clocks.model_defaults(analysis.lambda_modules()):
        clock = argument.value
        called = analysis.source(clock)
        passed = analysis.source(clock.func) if not clock.args else f"lambda: {called}"
        keyword = _FACTORY_KEYWORD.get(analysis.qualify(module, field.func) or "", "default")
        problem = _why_not_in_lambda(analysis, module, statement, clock) if clock.args else None
        advice = (f"pass a function as `{keyword}` (no automatic fix: in a `lambda`, {problem})" if problem
                  else f"pass the function (`{keyword}={passed}`)")
        message = (
            f"`default={called}` is evaluated once, when the class body runs at import: every item a warm "
            f"environment creates gets the cold start's time; {advice}"
        )
        fix = None if problem else Fix(
            "unsafe", f"Pass the function: `{keyword}={passed}`",
            (ReplaceNode(module, field, _with_argument(analysis, field, argument, keyword, passed)),))
        yield Finding(CODE, statement, message, (), fix, module)


def _why_not_in_lambda(analysis, module, statement, clock) -> Optional[str]:
    """Why ``lambda: <clock call>`` would not call what the class body calls:
    a lambda does not see the class body's names, and reads module-level
    names when it is called, not when the class body runs."""
    classes = analysis.module(module).classes.values()
    owner = next((info for info in classes if contains(info.node, statement)), None)
    return why_read_otherwise(analysis, module, clock, None, owner)


def _with_argument(analysis, call, argument, keyword: str, value: str) -> str:
    """The source of ``call`` with ``argument`` replaced by ``keyword=value``."""
    import libcst as cst

    replaced = argument.with_changes(keyword=cst.Name(keyword), value=cst.parse_expression(value))
    return analysis.source(call.with_changes(args=[replaced if arg is argument else arg for arg in call.args]))


def check(analysis):
    yield from _snapshot_findings(analysis)
    yield from _default_findings(analysis)
    yield from _model_findings(analysis)


RULE = Rule(
    code=CODE,
    name="import-time-clock",
    summary="the clock read at import (`NOW = datetime.now()`, `def f(ts=time.time())`, "
    "`default=datetime.utcnow()`) and used on the invocation path as the current time",
    why=(
        "Module-level code runs once per execution environment, which serves invocations for hours:\n"
        "`REPORT_MONTH = datetime.now().strftime(\"%Y-%m\")` stays the cold start's month, a default\n"
        "`ts=time.time()` is the time the `def` ran, and a model field `default=datetime.utcnow()` stamps\n"
        "every item with the same instant. Not flagged: an import-time clock used to measure the\n"
        "environment's age (`time.time() - INIT_TIME`)."
    ),
    bad='''
from datetime import datetime, timezone

REPORT_MONTH = datetime.now(timezone.utc).strftime("%Y-%m")

def lambda_handler(event, context):
    return {"title": f"AWS costs for {REPORT_MONTH}"}
''',
    good='''
from datetime import datetime, timezone

REPORT_MONTH = datetime.now(timezone.utc).strftime("%Y-%m")

def lambda_handler(event, context):
    global REPORT_MONTH
    REPORT_MONTH = datetime.now(timezone.utc).strftime("%Y-%m")
    return {"title": f"AWS costs for {REPORT_MONTH}"}
''',
    fix="compute the value again as the first statements of each handler (`global NAME; NAME = <same expression>`, "
    "with the snapshots it is computed from); pass a model field's clock function instead of calling it "
    "(`default=datetime.utcnow`; `default_factory=` for pydantic and dataclasses, `factory=` for attrs); no fix "
    "for a default argument, for a value another module imports, one computed from other state, or one whose "
    "expression would read something else where the fix puts it (a handler's local variable named like a module "
    "it uses, a class attribute inside a `lambda`, a name rebound after import)",
    safety="unsafe: code may rely on the value staying fixed for the environment's life",
    check=check,
)
