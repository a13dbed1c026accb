"""LAM104: a mutable default argument mutated by a function on the invocation path."""
from __future__ import annotations

import builtins
from typing import Optional, Set

import libcst as cst

from linter.analysis.clocks import names_read
from linter.output.diagnostics import Fix
from linter.parsing.syntax import child_nodes
from linter.summary.scanner import RefPath
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


def why_read_otherwise(analysis, module, expression, function=None, class_info=None) -> Optional[str]:
    """Why ``expression`` would not give what it gives now if a fix moved it
    into the body of ``function`` (or, with no function, into a new one such
    as a ``lambda``), to be evaluated there when that runs; None when every
    name it reads names the same object then.

    A default is evaluated once, where the ``def`` is, and a module-level
    value where the module binds it.  In a function body, a name can be a
    parameter or local variable of that function, a class attribute of the
    class body ``class_info`` the expression is written in is out of sight,
    and a variable of an enclosing function or a module-level name is read
    with the value it has at that later time.  Names a comprehension or a
    ``lambda`` inside the expression binds for itself mean the same anywhere."""
    model = analysis.module(module)
    own = _bound_inside(expression)
    for name in (name for name in names_read(expression) if name not in own):
        scope = analysis.scope_of(function, name) if function is not None else None
        if scope is function and scope is not None:
            kind = "parameter" if name in function.params else "local variable"
            return f"'{name}' would be the {kind} of {function.display}() of that name"
        if scope is not None:
            return f"'{name}' would have its value at the time of the call, and {scope.display}() can rebind it"
        if class_info is not None and (name in class_info.attributes or name in class_info.methods):
            return f"'{name}' is an attribute of class {class_info.name}, which a function does not see by its bare name"
        if not model.defines(name):
            if hasattr(builtins, name) or name.startswith("__"):
                continue
            return f"'{name}' is not bound in the module, and what it names cannot be checked"
        if _changes_later(analysis, module, name):
            return f"'{name}' would have its value at the time of the call, and the module rebinds or changes it"
    return None


def _bound_inside(expression) -> Set[str]:
    """The names of a comprehension's targets and a lambda's parameters within ``expression``."""
    bound, stack = set(), [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.CompFor):
            stack.append(node.target)
            bound.update(names_read(node.target))
        elif isinstance(node, cst.Param):
            bound.add(node.name.value)
        stack.extend(child_nodes(node))
    return bound


def _changes_later(analysis, module, name) -> bool:
    """Whether module-level ``name`` can hold another value than the one an
    expression read at import: bound more than once or changed in place by
    module-level code (before or after the reading, which is not told apart),
    rebound by a function under ``global``, or changed on the invocation path."""
    model = analysis.module(module)
    bound, changed = int(name in model.imports), name in model.redefined
    for step in model.import_time.all_steps():
        bound += sum(reset.path == RefPath(name) for reset in step.resets)
        changed = changed or any(mutation.path.root == name for mutation in step.mutations)
    key = (module, name)
    return (
        changed
        or bound > 1
        or any(name in info.globals for info in model.functions.values())
        or any(mutation.state == key for mutation in analysis.state_mutations)
    )


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
