"""Apply :mod:`linter.fixing.edits` to a LibCST module.

Only the functions an edit names are rebuilt; every other node is reused, so
the generated code is byte-identical outside the edited functions.
"""
from __future__ import annotations

import itertools
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node

from linter.fixing.edits import (
    AddDecorator, AddImport, AddMiddleware, PrependStatements, ReplaceDefault, ReplaceNode, RestoreEnvironment,
    WrapAdapter, WrapInIf,
)
from linter.parsing.parse import unvalidated
from linter.parsing.syntax import contains, docstring_count

FunctionKey = Tuple[str, ...]
_LEVELS = re.compile(r"^(?:    )+", re.MULTILINE)


def find_function(module: cst.Module, key: FunctionKey) -> Optional[cst.FunctionDef]:
    """The definition a module-qualified function key names in ``module``."""
    path = _function_path(module, key)
    return path[-1] if path is not None else None


def _function_path(module: cst.Module, key: FunctionKey) -> Optional[Tuple[cst.CSTNode, ...]]:
    """The nodes from ``module`` down to the definition ``key`` names (the
    last one, which Python keeps and the model analysed), looking inside
    ``if``/``try``/``with`` blocks as the model does: a handler defined under
    ``if`` is fixed too.  None when there is no such function."""
    path: Tuple[cst.CSTNode, ...] = ()
    block: cst.CSTNode = module
    for name in key[1:]:
        found = None
        for statement, enclosing in _definitions(block.body, (*path, block)):
            if statement.name.value == name:
                found = (*enclosing, statement)
        if found is None:
            return None
        path, block = found, found[-1].body
    return path if isinstance(path[-1], cst.FunctionDef) else None


def _definitions(body, enclosing: Tuple[cst.CSTNode, ...]):
    """Function and class definitions of a block, in source order, including
    those nested in its compound statements (not in other definitions), each
    with the nodes enclosing it (``enclosing`` and the blocks in between)."""
    for statement in body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield statement, enclosing
        elif isinstance(statement, cst.If):
            inside = (*enclosing, statement)
            yield from _definitions(statement.body.body, (*inside, statement.body))
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                yield from _definitions([orelse], inside)
            elif orelse is not None:
                yield from _definitions(orelse.body.body, (*inside, orelse, orelse.body))
        elif isinstance(statement, (cst.Try, cst.TryStar, cst.With)):
            inside = (*enclosing, statement)
            yield from _definitions(statement.body.body, (*inside, statement.body))
            for handler in getattr(statement, "handlers", ()):
                yield from _definitions(handler.body.body, (*inside, handler, handler.body))


def _rebuilt(path: Tuple[cst.CSTNode, ...], replacement: cst.CSTNode) -> cst.CSTNode:
    """The root of ``path`` with its last node replaced, rebuilding only the
    nodes on the path: LibCST's ``deep_replace`` visits the whole tree (a
    fifth of a second on a thousand-line module), and every node off the
    path stays the very same object, which lets :mod:`linter.fixing.text_edits`
    find what an edit changed by identity."""
    for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
        replacement = _with_child(parent, child, replacement)
    return replacement


def _with_child(parent: cst.CSTNode, child: cst.CSTNode, replacement: cst.CSTNode) -> cst.CSTNode:
    for name in parent.__dataclass_fields__:
        value = getattr(parent, name)
        if value is child:
            return parent.with_changes(**{name: replacement})
        if isinstance(value, (list, tuple)) and any(item is child for item in value):
            return parent.with_changes(**{name: [replacement if item is child else item for item in value]})
    raise LookupError(f"{type(child).__name__} is not a child of {type(parent).__name__}")


def _statements(code: str, module: cst.Module) -> cst.BaseStatement:
    """A statement written with four spaces a level, parsed with the module's
    own indentation (a tab-indented module gets tabs at every level)."""
    config = module.config_for_parsing
    code = _LEVELS.sub(lambda levels: module.default_indent * (len(levels.group()) // 4), code)
    return cst.parse_statement(code + module.default_newline, config=config)


def _prepend(function: cst.FunctionDef, edits: List[PrependStatements], module: cst.Module) -> cst.FunctionDef:
    """Insert the edits' statements in order: an edit identical to another is
    inserted once, and ``global`` declarations (each once) go first."""
    sources = [source for statements in dict.fromkeys(e.statements for e in edits) for source in statements]
    declarations = list(dict.fromkeys(s for s in sources if s.startswith(_DECLARATIONS)))
    ordered = declarations + [s for s in sources if not s.startswith(_DECLARATIONS)]
    new = [_statements(source, module) for source in ordered]
    body = _as_block(function.body)
    existing, position = _head_apart(list(body.body))
    return function.with_changes(body=body.with_changes(body=existing[:position] + new + existing[position:]))


_DECLARATIONS = ("global ", "nonlocal ")


def _as_block(body: cst.BaseSuite) -> cst.IndentedBlock:
    """A function's body as an indented block.  A one-line body
    (``def handler(event, context): ITEMS.append(event)  # count``) becomes
    one indented line holding the same statements and the same comment, so
    that statements can be put before it and the comment is not lost."""
    if isinstance(body, cst.IndentedBlock):
        return body
    return cst.IndentedBlock(body=[cst.SimpleStatementLine(body=list(body.body),
                                                           trailing_whitespace=body.trailing_whitespace)])


def _head_apart(lines: List[cst.BaseStatement]) -> Tuple[List[cst.BaseStatement], int]:
    """``lines`` (a function's body) with its head on lines of its own, and
    how many lines the head takes: statements put at the start go after it.

    The head is the docstring and the ``global``/``nonlocal`` declarations
    after it.  Python takes a string sharing its line with other statements
    (``"Doc."; ITEMS.append(event)``) as the docstring, and wants ``global X``
    before any use of ``X``: a line such as ``global TOTAL; TOTAL += 1`` is
    split after its declarations, else a reset put before it would end the
    docstring or use the name before its declaration.  The rest of a split
    line keeps its comment."""
    position = 0
    while position < len(lines) and isinstance(lines[position], cst.SimpleStatementLine):
        line = lines[position]
        head = 0
        while head < len(line.body) and _in_head(line.body[head], first=position == head == 0):
            head += 1
        if head == 0:
            break
        if head < len(line.body):
            last = line.body[head - 1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            lines[position:position + 1] = [
                line.with_changes(body=[*line.body[:head - 1], last], trailing_whitespace=cst.TrailingWhitespace()),
                line.with_changes(body=line.body[head:], leading_lines=()),
            ]
            return lines, position + 1
        position += 1
    return lines, position


def _in_head(statement: cst.BaseSmallStatement, first: bool) -> bool:
    """A declaration, or (``first`` statement of the body) the docstring."""
    if isinstance(statement, (cst.Global, cst.Nonlocal)):
        return True
    return first and isinstance(statement, cst.Expr) and isinstance(
        statement.value, (cst.SimpleString, cst.ConcatenatedString))


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


class _NodeEditor(cst.CSTTransformer):
    """Replaces expressions and wraps statement lines, by node identity, in
    one walk; ``applied`` keeps the ids of the nodes it found."""

    def __init__(self, replacements: Dict[int, str], wraps: Dict[int, str]):
        super().__init__()
        self.replacements = replacements
        self.wraps = wraps
        self.applied: Set[int] = set()

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if id(original_node) in self.replacements:
            self.applied.add(id(original_node))
            return cst.parse_expression(self.replacements[id(original_node)])
        return updated_node

    def leave_SimpleStatementLine(self, original_node, updated_node):
        wrapped = [small for small in original_node.body if id(small) in self.wraps]
        if not wrapped:
            return updated_node
        self.applied.update(id(small) for small in wrapped)
        line = updated_node.with_changes(leading_lines=())
        block = cst.IndentedBlock(body=[line])
        test = cst.parse_expression(self.wraps[id(wrapped[0])])
        return cst.If(test=test, body=block, leading_lines=updated_node.leading_lines)


def _apply_node_edits(module: cst.Module, edits: List[object], unapplied: List[object]) -> cst.Module:
    replacements = {id(e.node): e.expression for e in edits if isinstance(e, ReplaceNode)}
    wraps = {id(e.statement): e.condition for e in edits if isinstance(e, WrapInIf)}
    if not (replacements or wraps):
        return module
    editor = _NodeEditor(replacements, wraps)
    module = module.visit(editor)
    unapplied.extend(
        e for e in edits if id(e.node if isinstance(e, ReplaceNode) else e.statement) not in editor.applied
    )
    return module


def _restore_environment(function: cst.FunctionDef, edits: List[RestoreEnvironment], module: cst.Module):
    """``function`` keeping each variable the edits set before the first line
    that sets one, running that line and the rest of the body in ``try:`` and
    putting every variable back in ``finally:``; and the edits whose statement
    is not in the body.

    Each variable gets its own saved value (two variables sharing one would
    each be restored to the other's value), in a name neither the module nor
    the function uses (a user's variable must not be overwritten)."""
    body, _ = _head_apart(list(_as_block(function.body).body))  # the docstring stays first
    found = {edit: next((i for i, line in enumerate(body) if contains(line, edit.statement)), None) for edit in edits}
    missing = [edit for edit, index in found.items() if index is None]
    if len(missing) == len(edits):
        return None, missing
    index = min(i for i in found.values() if i is not None)
    variables = {edit.key: edit.environ for edit in edits if edit not in missing}  # a key written twice: saved once
    used = module.code + module.code_for_node(function)
    saves, restores = [], []
    for key, environ in variables.items():
        saved = _fresh_name("_previous_value", used)
        used += f" {saved}"
        saves.append(_statements(f"{saved} = {environ}.get({key})", module))
        restores.append(f"    if {saved} is None:\n        {environ}.pop({key}, None)\n"
                        f"    else:\n        {environ}[{key}] = {saved}\n")
    guarded = _statements("try:\n    pass\nfinally:\n" + "".join(restores), module)
    rest = [body[index].with_changes(leading_lines=()), *body[index + 1:]]
    guarded = guarded.with_changes(body=guarded.body.with_changes(body=rest))
    saves[0] = saves[0].with_changes(leading_lines=body[index].leading_lines)
    block = _as_block(function.body).with_changes(body=[*body[:index], *saves, guarded])
    return function.with_changes(body=block), missing


def _fresh_name(base: str, used: str) -> str:
    """``base``, or ``base_1``, ``base_2`` ...: the first that is no word of
    ``used`` (source text: a name in a string, ``globals()["x"]``, counts)."""
    candidates = (base if n == 0 else f"{base}_{n}" for n in itertools.count())
    return next(name for name in candidates if not re.search(rf"\b{name}\b", used))


def _add_imports(module: cst.Module, statements: List[str]) -> cst.Module:
    """Add each import statement once: ``from M import N`` joins the module's
    top-level ``from M import ...`` when it has one (or one added before it); the others go after the
    last top-level import of its leading block (or after its docstring)."""
    body = list(module.body)
    present = {module.code_for_node(line).strip() for line in body if _is_import(line)}
    new = []
    for source in dict.fromkeys(statements):
        if source in present:
            continue
        statement = _statements(source, module)
        joined = _join_import(body, statement.body[0])
        if joined is not None:
            body[joined[0]] = joined[1]
            continue
        joined = _join_import(new, statement.body[0])  # two names from one module: one line
        if joined is not None:
            new[joined[0]] = joined[1]
        else:
            new.append(statement)
    if not new:
        return module.with_changes(body=body)
    position = docstring_count(body)
    after_imports = False
    for index, line in enumerate(body):
        if _is_import(line):
            position, after_imports = index + 1, True
        elif index >= position and not _is_import(line):
            break
    if after_imports:
        position = _sorted_position(body, position, new)
    following = body[position:]
    if after_imports and following and _is_import(following[0]) and following[0].leading_lines:
        new[0] = new[0].with_changes(leading_lines=following[0].leading_lines)  # first of its section now
        following[0] = following[0].with_changes(leading_lines=[])
    if not after_imports:  # the first import of the module: set apart as PEP 8 asks
        blank = cst.EmptyLine()
        new[0] = new[0].with_changes(leading_lines=[blank] if position else [])
        wanted = 2 if following and isinstance(following[0], (cst.FunctionDef, cst.ClassDef)) else 1
        if following and len(following[0].leading_lines) < wanted:
            following[0] = following[0].with_changes(leading_lines=[blank] * wanted)
    return module.with_changes(body=body[:position] + new + following)


def find_assignment(module: cst.Module, name: str) -> Optional[int]:
    """The index in ``module.body`` of the top-level ``name = <call>`` line."""
    for index, line in enumerate(module.body):
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            statement = line.body[0]
            if (isinstance(statement, cst.Assign) and len(statement.targets) == 1
                    and isinstance(statement.targets[0].target, cst.Name)
                    and statement.targets[0].target.value == name and isinstance(statement.value, cst.Call)):
                return index
    return None


def _give_a_body(module: cst.Module, edit) -> Optional[cst.Module]:
    """``module`` with the function a WrapAdapter or AddMiddleware edit
    creates, right after the line that makes the adapter or the app."""
    index = find_assignment(module, edit.app if isinstance(edit, AddMiddleware) else edit.name)
    if index is None:
        return None
    body = list(module.body)
    line = body[index]
    if isinstance(edit, WrapAdapter):
        line = line.with_changes(body=[line.body[0].with_changes(targets=[cst.AssignTarget(cst.Name(edit.adapter))])])
        source = f"def {edit.name}(event, context):\n    return {edit.adapter}(event, context)"
    else:
        source = (f"@{edit.app}.middleware(\"http\")\ndef {edit.name}(event, get_response):\n"
                  f"    return get_response(event)")
    body[index] = line
    at = index + 1
    if isinstance(edit, AddMiddleware):  # with the functions: before the first one after the app
        at = next((i for i in range(at, len(body)) if isinstance(body[i], (cst.FunctionDef, cst.ClassDef))), len(body))
    blank = cst.EmptyLine()
    function = _statements(source, module).with_changes(leading_lines=[blank, blank])
    following = body[at:]
    if following and len(following[0].leading_lines) < 2:
        following[0] = following[0].with_changes(leading_lines=[blank, blank])
    return module.with_changes(body=body[:at] + [function] + following)


def _sorted_position(body, end: int, new: List[cst.BaseStatement]) -> int:
    """Where new ``from M import N`` lines go among the last section of the
    leading imports (the lines after its last blank line), ending at ``end``:
    in module order when that section is all ``from`` lines in module order,
    as isort and ruff keep a project's own imports; else at its end."""
    start = end
    while start > 0 and _is_import(body[start - 1]):
        start -= 1
        if body[start].leading_lines:
            break
    section = [_from_module(line) for line in body[start:end]]
    added = [_from_module(line) for line in new]
    if None in section or None in added or section != sorted(section):
        return end
    return start + sum(1 for module in section if module <= min(added))


def _from_module(line: cst.CSTNode) -> Optional[str]:
    """The module a one-statement ``from M import ...`` line imports from
    (dots first, as isort sorts relative imports), or None."""
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
            and isinstance(line.body[0], cst.ImportFrom)):
        return None
    statement = line.body[0]
    dotted = "" if statement.module is None else get_full_name_for_node(statement.module)
    return "." * len(statement.relative) + (dotted or "").lower()


def _join_import(body, added: cst.BaseSmallStatement):
    """(index, new line) adding the names of ``from M import N`` to the
    module's top-level one-statement ``from M import a, b`` line; None when
    there is none to join (or it is a star import)."""
    if not isinstance(added, cst.ImportFrom) or isinstance(added.names, cst.ImportStar):
        return None
    for index, line in enumerate(body):
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            continue
        existing = line.body[0]
        if (isinstance(existing, cst.ImportFrom) and not isinstance(existing.names, cst.ImportStar)
                and existing.module is not None and existing.module.deep_equals(added.module)
                and len(existing.relative) == len(added.relative)):
            names = list(existing.names)
            known = {alias.evaluated_alias or alias.evaluated_name for alias in names}
            fresh = [alias for alias in added.names if alias.evaluated_name not in known]
            if not fresh:
                return index, line
            return index, line.with_changes(body=[existing.with_changes(names=_merged_names(names, fresh))])
    return None


def _import_order(alias: cst.ImportAlias) -> tuple:
    """isort's and ruff's default order of imported names: constants,
    classes, then the rest, each case-insensitively."""
    name = alias.evaluated_name
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _merged_names(names: List[cst.ImportAlias], fresh: List[cst.ImportAlias]) -> List[cst.ImportAlias]:
    """``names`` with ``fresh`` added: in order when they were sorted (so
    that ruff's import sorting stays satisfied), else at the end; each comma
    as the line already writes them (one name per line in parentheses)."""
    last_comma = names[-1].comma
    if len(names) > 1:
        separator = names[0].comma
    elif last_comma is not cst.MaybeSentinel.DEFAULT:
        separator = last_comma
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    ordered = names + fresh
    if [_import_order(alias) for alias in names] == sorted(_import_order(alias) for alias in names):
        ordered.sort(key=_import_order)
    return [alias.with_changes(comma=separator) for alias in ordered[:-1]] + [ordered[-1].with_changes(comma=last_comma)]


def _is_import(line: cst.CSTNode) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in line.body
    )


def apply_edits(module: cst.Module, edits: Iterable[object], unapplied: Optional[List[object]] = None) -> cst.Module:
    """A new module with ``edits`` applied.  An edit whose target is not
    there (a function or node that cannot be found) is skipped and added to
    ``unapplied``, so the fixer can say so instead of claiming a fix.
    LibCST's node checks are off meanwhile (:func:`linter.parsing.parse.unvalidated`)."""
    with unvalidated():
        return _applied(module, edits, unapplied)


def _applied(module: cst.Module, edits: Iterable[object], unapplied: Optional[List[object]]) -> cst.Module:
    unapplied = [] if unapplied is None else unapplied
    by_function: Dict[FunctionKey, List[object]] = {}
    node_edits: List[object] = []
    imports: List[str] = []
    bodies: List[object] = []  # functions to create before statements are prepended to them
    for edit in edits:
        if isinstance(edit, (ReplaceNode, WrapInIf)):
            node_edits.append(edit)
        elif isinstance(edit, AddImport):
            imports.append(edit.statement)
        elif isinstance(edit, (WrapAdapter, AddMiddleware)):
            bodies.append(edit)
        else:
            by_function.setdefault(edit.function, []).append(edit)
    module = _apply_node_edits(module, node_edits, unapplied)
    module = _add_imports(module, imports)
    for edit in dict.fromkeys(bodies):
        given = _give_a_body(module, edit)
        if given is None:
            unapplied.append(edit)
        else:
            module = given
    for key, function_edits in by_function.items():
        path = _function_path(module, key)
        if path is None:
            unapplied.extend(function_edits)
            continue
        updated = path[-1]
        for edit in function_edits:
            if isinstance(edit, ReplaceDefault):
                updated = _replace_default(updated, edit.parameter, edit.expression)
        restores = [e for e in function_edits if isinstance(e, RestoreEnvironment)]
        if restores:
            restored, missing = _restore_environment(updated, restores, module)
            unapplied.extend(missing)
            updated = restored or updated
        decorators = list(dict.fromkeys(e.decorator for e in function_edits if isinstance(e, AddDecorator)))
        if decorators:
            added = [cst.Decorator(decorator=cst.parse_expression(code)) for code in decorators]
            updated = updated.with_changes(decorators=[*added, *updated.decorators])
        prepend = [e for e in function_edits if isinstance(e, PrependStatements)]
        if prepend:
            updated = _prepend(updated, prepend, module)
        module = _rebuilt(path, updated)
    return module
