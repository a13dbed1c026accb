"""Whether an expression gives the same value when a fix moves it elsewhere.

A default argument is evaluated once, where its ``def`` is; a module-level
value where the module binds it.  Fixes that move such an expression into a
function body (the ``None``-default rewrite, a clock read again in the
handler, a model field's ``lambda``) evaluate it later, in another scope:
the same spelling may then name another object.
"""
from __future__ import annotations

import builtins
from typing import Optional, Set

import libcst as cst

from linter.analysis.clocks import names_read
from linter.parsing.syntax import child_nodes
from linter.summary.scanner import RefPath


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
        if changes_later(analysis, module, name):
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


def changes_later(analysis, module, name) -> bool:
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
