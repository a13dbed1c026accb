"""Apply :mod:`linter.edits` to a LibCST module.

Only the functions an edit names are rebuilt; every other node is reused, so
the generated code is byte-identical outside the edited functions.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

import libcst as cst

from linter.edits import AddDecorator, PrependStatements, ReplaceDefault, ReplaceNode, RestoreEnvironment, WrapInIf
from linter.syntax import docstring_count

FunctionKey = Tuple[str, ...]


def _find_function(body, path: FunctionKey) -> Optional[cst.FunctionDef]:
    """The last definition of ``path`` (the one Python keeps) in ``body``."""
    head, rest = path[0], path[1:]
    found = None
    for statement in body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == head:
            found = statement
    if found is None:
        return None
    if not rest:
        return found if isinstance(found, cst.FunctionDef) else None
    return _find_function(found.body.body, rest)


def _statements(code: str, module: cst.Module) -> cst.BaseStatement:
    config = module.config_for_parsing
    code = code.replace("\n    ", "\n" + module.default_indent)
    return cst.parse_statement(code + module.default_newline, config=config)


def _prepend(function: cst.FunctionDef, sources: List[str], module: cst.Module) -> cst.FunctionDef:
    ordered = sorted(dict.fromkeys(sources), key=lambda s: not s.startswith("global "))
    new = [_statements(source, module) for source in ordered]
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=list(body.body))])
    existing = list(body.body)
    position = docstring_count(existing)
    while position < len(existing) and _is_global(existing[position]):
        position += 1
    return function.with_changes(body=body.with_changes(body=existing[:position] + new + existing[position:]))


def _is_global(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Global) for small in statement.body
    )


def _replace_default(function: cst.FunctionDef, parameter: str, expression: str) -> cst.FunctionDef:
    value = cst.parse_expression(expression)

    def replace(params):
        return [p.with_changes(default=value) if p.name.value == parameter else p for p in params]

    params = function.params
    return function.with_changes(
        params=params.with_changes(
            posonly_params=replace(params.posonly_params),
            params=replace(params.params),
            kwonly_params=replace(params.kwonly_params),
        )
    )


def call_with_keyword(module: cst.Module, expression: cst.BaseExpression, keyword: str, value: str) -> str:
    """Source of ``expression`` called with ``keyword=value`` (added or replaced):
    ``logger.inject_lambda_context`` becomes ``logger.inject_lambda_context(clear_state=True)``."""
    new_arg = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(keyword),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if not isinstance(expression, cst.Call):
        return module.code_for_node(cst.Call(func=expression, args=[new_arg]))
    args = [arg for arg in expression.args if not (arg.keyword and arg.keyword.value == keyword)]
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return module.code_for_node(expression.with_changes(args=[*args, new_arg]))


class _LineWrapper(cst.CSTTransformer):
    def __init__(self, wraps: Dict[int, str], module: cst.Module):
        super().__init__()
        self.wraps = wraps
        self.module = module

    def leave_SimpleStatementLine(self, original_node, updated_node):
        conditions = [self.wraps[id(small)] for small in original_node.body if id(small) in self.wraps]
        if not conditions:
            return updated_node
        line = updated_node.with_changes(leading_lines=())
        block = cst.IndentedBlock(body=[line])
        return cst.If(test=cst.parse_expression(conditions[0]), body=block, leading_lines=updated_node.leading_lines)


def _apply_node_edits(module: cst.Module, edits: List[object]) -> cst.Module:
    for edit in edits:
        if isinstance(edit, ReplaceNode):
            module = module.deep_replace(edit.node, cst.parse_expression(edit.expression))
    wraps = {id(e.statement): e.condition for e in edits if isinstance(e, WrapInIf)}
    if wraps:
        module = module.visit(_LineWrapper(wraps, module))
    return module


def _restore_environment(function: cst.FunctionDef, edit: RestoreEnvironment, module: cst.Module):
    body = list(function.body.body)
    index = next(
        (i for i, line in enumerate(body) if isinstance(line, cst.SimpleStatementLine) and edit.statement in line.body),
        None,
    )
    if index is None:
        return function
    environ, key = edit.environ, edit.key
    saved = "_previous_value"
    template = (
        f"try:\n    pass\nfinally:\n    if {saved} is None:\n        {environ}.pop({key}, None)\n"
        f"    else:\n        {environ}[{key}] = {saved}\n"
    )
    guarded = _statements(template, module)
    guarded = guarded.with_changes(body=guarded.body.with_changes(body=body[index:]))
    remember = _statements(f"{saved} = {environ}.get({key})", module)
    new_body = body[:index] + [remember.with_changes(leading_lines=body[index].leading_lines), guarded]
    new_body[index + 1] = new_body[index + 1].with_changes(
        body=guarded.body.with_changes(body=[body[index].with_changes(leading_lines=()), *body[index + 1:]])
    )
    return function.with_changes(body=function.body.with_changes(body=new_body))


def apply_edits(module: cst.Module, edits: Iterable[object]) -> cst.Module:
    """A new module with ``edits`` applied (edits naming missing functions are skipped)."""
    by_function: Dict[FunctionKey, List[object]] = {}
    node_edits: List[object] = []
    for edit in edits:
        if isinstance(edit, (ReplaceNode, WrapInIf)):
            node_edits.append(edit)
        else:
            by_function.setdefault(edit.function, []).append(edit)
    module = _apply_node_edits(module, node_edits)
    for key, function_edits in by_function.items():
        original = _find_function(module.body, key)
        if original is None:
            continue
        updated = original
        for edit in function_edits:
            if isinstance(edit, ReplaceDefault):
                updated = _replace_default(updated, edit.parameter, edit.expression)
        for edit in function_edits:
            if isinstance(edit, RestoreEnvironment):
                updated = _restore_environment(updated, edit, module)
        decorators = list(dict.fromkeys(e.decorator for e in function_edits if isinstance(e, AddDecorator)))
        if decorators:
            added = [cst.Decorator(decorator=cst.parse_expression(code)) for code in decorators]
            updated = updated.with_changes(decorators=[*added, *updated.decorators])
        prepend = [s for e in function_edits if isinstance(e, PrependStatements) for s in e.statements]
        if prepend:
            updated = _prepend(updated, prepend, module)
        module = module.deep_replace(original, updated)
    return module
