"""Small, fast helpers over LibCST nodes.

The model builder walks each tree exactly once.  LibCST's own visitor
machinery (and ``node.children``) is generic and slow, so this module keeps a
per-type list of the fields that can hold syntax (not whitespace or
punctuation) and iterates those directly.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Dict, Iterator, List, Optional, Tuple, Type

import libcst as cst

# Fields that only ever hold whitespace, brackets or punctuation.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma",
        "semicolon", "leading_lines", "lines_after_decorators", "header",
        "footer", "colon", "equal", "star", "dot", "operator", "whitespace",
        "trailing_whitespace", "empty_lines", "newline", "asynchronous",
    }
)
_DETACHED = cst.Module(body=[])  # renders nodes that are not part of a module
_FIELD_CACHE: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {}


def _syntax_fields(node_type: Type[cst.CSTNode]) -> Tuple[str, ...]:
    names = _FIELD_CACHE.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELD_CACHE[node_type] = names
    return names


def _is_node_type(kind: type) -> bool:
    known = _NODE_TYPE_CACHE.get(kind)
    if known is None:
        known = _NODE_TYPE_CACHE[kind] = issubclass(kind, cst.CSTNode)
    return known


_NODE_TYPE_CACHE: Dict[type, bool] = {}


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Yield the syntactic children of ``node`` in source order.

    Type checks go through a cache: ``isinstance`` against LibCST's abstract
    base classes is the single largest cost of a naive walk.
    """
    for name in _syntax_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                if _is_node_type(type(item)):
                    yield item
        elif _is_node_type(kind):
            yield value


def import_bindings(node) -> Dict[str, str]:
    """Names an ``import``/``from … import`` binds, each with the dotted name
    it stands for: ``import a.b`` binds ``a``; ``import a.b as c`` binds
    ``c`` to ``a.b``; ``from a import b as c`` binds ``c`` to ``a.b``; a
    relative ``from .a import b`` binds ``b`` to ``.a.b``.  A star import
    binds nothing that can be named."""
    bound: Dict[str, str] = {}
    if type(node) is cst.Import:
        for alias in node.names:
            full = dotted_name(alias.name)
            if alias.asname is not None:
                bound[dotted_name(alias.asname.name)] = full
            else:
                head = full.split(".")[0]
                bound[head] = head
    elif type(node) is cst.ImportFrom and type(node.names) is not cst.ImportStar:
        base = "." * len(node.relative) + (dotted_name(node.module) if node.module is not None else "")
        for alias in node.names:
            name = dotted_name(alias.name)
            prefix = base if base.endswith(".") or not base else base + "."
            bound[dotted_name(alias.asname.name) if alias.asname else name] = prefix + name
    return bound


def is_main_guard(node: cst.If) -> bool:
    """``if __name__ == "__main__":`` (either way round): code the runtime never runs."""
    test = node.test
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return False
    sides = {dotted_name(test.left), dotted_name(test.comparisons[0].comparator)}
    return "__name__" in sides


def decorating_callable(decorator: cst.Decorator) -> cst.BaseExpression:
    """What a decorator calls: ``app.get`` for ``@app.get("/x")``, ``cache`` for ``@cache``."""
    expression = decorator.decorator
    return expression.func if type(expression) is cst.Call else expression


def dotted_name(node: cst.CSTNode) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


_CONSTANT_TYPES = (
    cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float,
    cst.Imaginary,
)


def is_constant(node: cst.CSTNode) -> bool:
    """A literal whose value cannot depend on the request."""
    if isinstance(node, _CONSTANT_TYPES):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    if isinstance(node, cst.UnaryOperation):
        return is_constant(node.expression)
    if isinstance(node, cst.Tuple):
        return all(is_constant(e.value) for e in node.elements)
    return False


def contains(node: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Whether ``target`` is ``node`` or inside it."""
    pending = [node]
    while pending:
        current = pending.pop()
        if current is target:
            return True
        pending.extend(current.children)
    return False


def detached_code(node: cst.CSTNode) -> str:
    """The code of a node on its own (an operator, a target), without its module."""
    return _DETACHED.code_for_node(node)


def key_text(node: cst.CSTNode) -> str:
    """A constant key in one spelling, so that ``'host'`` and ``"host"`` are
    the same key: a string in double quotes, anything else as written."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
    return detached_code(node)


_ENVIRONMENT_READERS = frozenset({"os.getenv", "os.environ.get", "getenv", "environ.get"})


def is_configuration(node: cst.CSTNode) -> bool:
    """A key that is the same on every invocation: a literal, an UPPER_CASE
    module constant, or an environment variable (``os.environ["REGION"]``,
    ``os.getenv("REGION")``).  A mapping written only under such keys cannot
    grow with requests (a client per configured region is a lazy singleton)."""
    if is_constant(node):
        return True
    if type(node) is cst.Name:
        return node.value.isupper()
    if type(node) is cst.Attribute:
        return node.attr.value.isupper()
    if type(node) is cst.Subscript:
        return dotted_name(node.value) in ("os.environ", "environ") and all(
            is_constant(key) for key in subscript_keys(node)
        )
    if type(node) is cst.Call:
        return dotted_name(node.func) in _ENVIRONMENT_READERS and all(is_constant(arg.value) for arg in node.args)
    return False


def subscript_keys(node: cst.Subscript) -> List[cst.CSTNode]:
    keys: List[cst.CSTNode] = []
    for element in node.slice:
        if isinstance(element.slice, cst.Index):
            keys.append(element.slice.value)
        else:
            keys.append(element.slice)
    return keys


def is_full_slice(node: cst.Subscript) -> bool:
    if len(node.slice) != 1:
        return False
    part = node.slice[0].slice
    return (
        isinstance(part, cst.Slice)
        and part.lower is None
        and part.upper is None
        and part.step is None
    )


def is_empty_literal(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.List, cst.Set, cst.Tuple)):
        return not node.elements
    if isinstance(node, cst.Dict):
        return not node.elements
    return False


def references_name(node: cst.CSTNode, name: str) -> bool:
    """Whether ``name`` is read anywhere inside ``node``."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value == name:
            return True
        if isinstance(current, cst.Attribute):
            stack.append(current.value)  # the attribute name is not a read
            continue
        stack.extend(child_nodes(current))
    return False


def docstring_count(statements) -> int:
    """1 if the first statement is a docstring, else 0."""
    if statements and isinstance(statements[0], cst.SimpleStatementLine):
        first = statements[0].body
        if len(first) == 1 and isinstance(first[0], cst.Expr) and isinstance(
            first[0].value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            return 1
    return 0


class _CommentRemover(cst.CSTTransformer):
    def leave_TrailingWhitespace(self, original_node, updated_node):
        if updated_node.comment is None:
            return updated_node
        return updated_node.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)

    def leave_EmptyLine(self, original_node, updated_node):
        return cst.RemoveFromParent() if updated_node.comment is not None else updated_node


def without_comments(node: cst.CSTNode) -> cst.CSTNode:
    """``node`` without its comments: a literal copied into a reset must not
    carry the ``# noqa`` or ``# type:`` comment of the line it came from."""
    return node.visit(_CommentRemover())
