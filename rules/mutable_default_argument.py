"""LAM104: a mutable default argument mutated by a function on the invocation path."""
from __future__ import annotations

from linter.analysis.moved import why_read_otherwise
from linter.output.diagnostics import Fix
from linter.fixing.edits import PrependStatements, ReplaceDefault
from linter.summary.kinds import MUTABLE_KINDS
from linter.analysis.rule import Finding, Rule, handler_phrase

CODE = "LAM104"


def _mutation_of(info, param):
    """The first mutation of ``param`` in ``info`` (directly or through a local alias)."""
    for step in info.all_steps():
        for mutation in step.mutations:
            root = mutation.path.root
            alias = info.aliases.get(root)
            if root == param or (alias is not None and alias.root == param):
                return mutation
    return None


def _fix(analysis, info, param, default, kind):
    """The ``None``-default rewrite, or the reason it would change what a
    call gets: the body would evaluate the default later, in its own scope."""
    class_info = analysis.module(info.module).classes.get(info.class_name) if info.parent is None else None
    problem = why_read_otherwise(analysis, info.module, default, info, class_info)
    if problem is not None:
        return None, f" (no automatic fix: the default would be computed in the body, where {problem})"
    fix = Fix(
        "unsafe",
        f"Default '{param}' to None and create a new {kind} per call",
        (
            ReplaceDefault(info.key, param, "None"),
            PrependStatements(info.key, (f"if {param} is None:\n    {param} = {analysis.source(default)}",)),
        ),
    )
    return fix, ""


def check(analysis):
    seen = set()
    for info, _, handlers in analysis.reached_functions:
        for param, default in info.defaults:
            if (info.key, param) in seen or param in info.locals:
                continue  # rebound in the body: the default is replaced, not kept
            kind, _ = analysis.module(info.module).value_kind(default)
            mutation = _mutation_of(info, param) if kind in MUTABLE_KINDS else None
            if mutation is None:
                continue
            seen.add((info.key, param))
            function = f"{info.display}()"
            message = (
                f"mutable default argument '{param}' of {function} (a {kind}) is {mutation.verb} in "
                f"{function} (line {analysis.line(mutation.statement, info)}), reached from "
                f"{handler_phrase(handlers, info.module)}, "
                "and keeps its contents between invocations"
            )
            fix, note = _fix(analysis, info, param, default, kind)
            yield Finding(CODE, default, message + note, tuple(handlers), fix, info.module)


RULE = Rule(
    code=CODE,
    name="mutable-default-argument",
    summary="mutable default argument (`acc=[]`) of a function on the invocation path that the function mutates",
    why=(
        "A default value is created once, when the `def` runs at import time. A function that appends to\n"
        "its default list keeps what every earlier call appended, across warm invocations too."
    ),
    bad='''
def collect(item, acc=[]):
    acc.append(item)
    return acc

def lambda_handler(event, context):
    return {"items": collect(event["id"])}
''',
    good='''
def collect(item, acc=None):
    if acc is None:
        acc = []
    acc.append(item)
    return acc

def lambda_handler(event, context):
    return {"items": collect(event["id"])}
''',
    fix="the `None`-default rewrite: `acc=None` plus `if acc is None: acc = []` at the top of the function",
    safety="unsafe: calls within one invocation that relied on sharing the default (a memo) change behaviour; "
    "no fix when a name the default reads would mean something else in the body: a parameter or local variable "
    "of that name (`list = ...`, `acc=[prefix]` beside a parameter `prefix`), a class attribute (the body does "
    "not see it), or a name rebound or changed after the `def` (the body would read its later value)",
    check=check,
)
