"""The module model: one pass over a parsed module, queried by every rule.

What it records is deliberately raw: references are kept as ``RefPath``s
relative to the function they occur in (a local alias, ``self.items``, a
module-level name).  Turning them into module-level state, and deciding which
functions a handler reaches, is :mod:`linter.invocation`'s job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from linter.kinds import BUFFER_TYPES, CONTAINER_TYPES
from linter.syntax import (
    child_nodes,
    dotted_name,
    is_constant,
    is_empty_literal,
    is_full_slice,
    references_name,
    subscript_keys,
)

FunctionKey = Tuple[str, ...]

# Methods that grow a sequence, set or buffer, with the verb a message uses.
_GROWTH_VERBS = {
    "append": "appended to",
    "appendleft": "appended to",
    "extend": "extended",
    "extendleft": "extended",
    "insert": "inserted into",
    "add": "added to",
    "write": "written to",
    "writelines": "written to",
}
_KEYED_VERBS = {"update": "updated", "setdefault": "given keys by setdefault()",
                "__setitem__": "assigned an item"}
_LOOKUP_METHODS = frozenset({"get", "tell", "__contains__"})
_EMPTY_MODULE = cst.Module(body=[])  # renders detached nodes such as operators


@dataclass(frozen=True)
class RefPath:
    """``root.attr1.attr2`` optionally followed by subscripts (``element``)."""

    root: str
    attrs: Tuple[str, ...] = ()
    element: bool = False
    const_keys: bool = True


@dataclass
class Mutation:
    path: RefPath
    verb: str
    node: cst.CSTNode
    grows_mapping: bool = True
    rebind: bool = False  # ``global X`` then ``X = X + ...`` / ``X += ...``
    augmented: bool = False


@dataclass
class Reset:
    path: RefPath
    kind: str  # "clear" (also rebinding), "seek0", "truncate"
    unconditional: bool


@dataclass
class CallRef:
    path: RefPath
    called: bool  # False: a function passed along (callback, thread target)
    unconditional: bool


@dataclass
class Step:
    """One statement of a function body at its top level, in order."""

    mutations: List[Mutation] = field(default_factory=list)
    resets: List[Reset] = field(default_factory=list)
    calls: List[CallRef] = field(default_factory=list)


@dataclass
class FunctionInfo:
    key: FunctionKey
    node: cst.FunctionDef
    parent: Optional[FunctionKey]
    class_name: Optional[str] = None
    receiver_name: Optional[str] = None  # ``self`` or ``cls`` of a method
    params: List[str] = field(default_factory=list)
    defaults: List[Tuple[str, cst.BaseExpression]] = field(default_factory=list)
    globals: Set[str] = field(default_factory=set)
    locals: Set[str] = field(default_factory=set)
    aliases: Dict[str, RefPath] = field(default_factory=dict)
    local_instances: Dict[str, str] = field(default_factory=dict)
    nested: Dict[str, FunctionKey] = field(default_factory=dict)
    called_names: Set[str] = field(default_factory=set)
    steps: List[Step] = field(default_factory=list)
    finally_steps: List[Step] = field(default_factory=list)
    lookups: List[RefPath] = field(default_factory=list)

    @property
    def display(self) -> str:
        return ".".join(self.key)

    def is_local(self, name: str) -> bool:
        return name not in self.globals and (name in self.locals or name in self.params)

    def all_steps(self) -> List[Step]:
        return self.steps + self.finally_steps


@dataclass
class Binding:
    """A value created at module level or in a class body."""

    key: Tuple[str, ...]
    kind: str
    node: cst.CSTNode  # where the finding is reported
    value: Optional[cst.BaseExpression]
    class_name: Optional[str] = None  # for instances of classes in this module

    @property
    def display(self) -> str:
        return ".".join(self.key)


@dataclass
class ClassInfo:
    name: str
    node: cst.ClassDef
    bases: List[str]
    attributes: Dict[str, Binding] = field(default_factory=dict)
    instance_attributes: Dict[str, Binding] = field(default_factory=dict)
    assigned_on_self: Set[str] = field(default_factory=set)
    methods: Dict[str, FunctionKey] = field(default_factory=dict)


@dataclass
class ModuleModel:
    module: cst.Module
    imports: Dict[str, str] = field(default_factory=dict)
    bindings: Dict[str, Binding] = field(default_factory=dict)
    classes: Dict[str, ClassInfo] = field(default_factory=dict)
    functions: Dict[FunctionKey, FunctionInfo] = field(default_factory=dict)
    top_level_functions: Dict[str, cst.FunctionDef] = field(default_factory=dict)

    def qualify(self, node: cst.CSTNode) -> Optional[str]:
        """Fully qualified dotted name of ``node`` through the module's imports."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.imports:
            head = self.imports[head]
        elif head in self.bindings or head in self.top_level_functions or head in self.classes:
            return None
        return f"{head}.{rest}" if rest else head

    def value_kind(self, value: Optional[cst.BaseExpression]) -> Tuple[str, Optional[str]]:
        """Classify a value: (kind, class name for instances of local classes)."""
        if value is None:
            return "other", None
        if isinstance(value, (cst.List, cst.ListComp)):
            return "list", None
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return "dict", None
        if isinstance(value, (cst.Set, cst.SetComp)):
            return "set", None
        if is_constant(value) or is_empty_literal(value):
            return "value", None
        if not isinstance(value, cst.Call):
            return "other", None
        callee = dotted_name(value.func)
        if callee in self.classes:
            return "instance", callee
        qualified = self.qualify(value.func)
        if qualified in BUFFER_TYPES:
            return BUFFER_TYPES[qualified], None
        if qualified in CONTAINER_TYPES:
            kind = CONTAINER_TYPES[qualified]
            if kind == "deque" and _deque_is_bounded(value):
                return "bounded", None
            return kind, None
        return "other", None

    def function(self, key: FunctionKey) -> Optional[FunctionInfo]:
        return self.functions.get(key)

    def method(self, class_name: str, name: str) -> Optional[FunctionKey]:
        """Method lookup through base classes defined in this module."""
        seen: Set[str] = set()
        pending = [class_name]
        while pending:
            current = pending.pop(0)
            if current in seen or current not in self.classes:
                continue
            seen.add(current)
            info = self.classes[current]
            if name in info.methods:
                return info.methods[name]
            pending.extend(info.bases)
        return None


def _deque_is_bounded(call: cst.Call) -> bool:
    for index, arg in enumerate(call.args):
        is_maxlen = (arg.keyword is not None and arg.keyword.value == "maxlen") or (
            arg.keyword is None and index == 1
        )
        if is_maxlen:
            return not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
    return False


def _is_main_guard(node: cst.If) -> bool:
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = {dotted_name(test.left), dotted_name(test.comparisons[0].comparator)}
    return "__name__" in sides


def suite_statements(suite: cst.BaseSuite) -> List[cst.CSTNode]:
    """Statements of a block; a one-line suite yields its small statements."""
    return list(suite.body)


def path_of(node: cst.CSTNode) -> Optional[RefPath]:
    """The RefPath an expression names, or None for anything computed."""
    attrs: List[str] = []
    element = False
    const_keys = True
    while True:
        if isinstance(node, cst.Name):
            return RefPath(node.value, tuple(reversed(attrs)), element, const_keys)
        if isinstance(node, cst.Attribute):
            if element:
                return None  # ``X[k].attr``: an attribute of an element
            attrs.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Subscript):
            if attrs:
                return None
            element = True
            const_keys = const_keys and all(is_constant(k) for k in subscript_keys(node))
            node = node.value
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "setdefault"
            and node.args
            and not attrs
        ):
            element = True
            const_keys = const_keys and is_constant(node.args[0].value)
            node = node.func.value
        else:
            return None


def _constant_mapping_args(call: cst.Call) -> bool:
    """``d.update(a=1)`` / ``d.update({"a": 1})``: only constant keys."""
    for arg in call.args:
        if arg.keyword is not None:
            continue
        if arg.star:
            return False
        value = arg.value
        if not isinstance(value, cst.Dict):
            return False
        for element in value.elements:
            if not isinstance(element, cst.DictElement) or not is_constant(element.key):
                return False
    return True


class _FunctionScanner:
    """Fills one FunctionInfo from its body, in one walk."""

    def __init__(self, builder: "_ModelBuilder", info: FunctionInfo):
        self.builder = builder
        self.info = info
        self.step = Step()
        self.conditional = False
        self.in_comparison = False

    # -- statements --------------------------------------------------------
    def scan(self) -> None:
        self._scan_top(suite_statements(self.info.node.body), self.info.steps)

    def _scan_top(self, statements, steps: List[Step]) -> None:
        """Scan a top-level sequence; ``with`` and ``try`` bodies stay in it."""
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._begin_step(steps)
                    self._scan_small(small)
            elif isinstance(statement, cst.With):
                self._begin_step(steps)
                self._scan_with_items(statement)
                self._scan_top(suite_statements(statement.body), steps)
            elif isinstance(statement, (cst.Try, cst.TryStar)):
                self._scan_top(suite_statements(statement.body), steps)
                self._begin_step(steps)
                self._scan_conditionally([*statement.handlers, statement.orelse])
                if statement.finalbody is not None:
                    self._scan_top(suite_statements(statement.finalbody.body), self.info.finally_steps)
            else:
                self._begin_step(steps)
                self._scan_statement(statement)

    def _begin_step(self, steps: List[Step]) -> None:
        self.step = Step()
        steps.append(self.step)

    def _scan_conditionally(self, nodes) -> None:
        saved, self.conditional = self.conditional, True
        for node in nodes:
            if node is not None:
                self._scan_statement(node)
        self.conditional = saved

    def _scan_block(self, suite: cst.BaseSuite) -> None:
        for statement in suite_statements(suite):
            self._scan_statement(statement)

    def _scan_statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._scan_small(small)
        elif isinstance(node, cst.BaseSmallStatement):
            self._scan_small(node)
        elif isinstance(node, cst.FunctionDef):
            self._scan_nested_function(node)
        elif isinstance(node, cst.ClassDef):
            self.info.locals.add(node.name.value)
        elif isinstance(node, cst.If):
            self._scan_expr(node.test)
            self._scan_conditionally([node.body, node.orelse])
        elif isinstance(node, (cst.For, cst.While)):
            if isinstance(node, cst.For):
                self._bind_target(node.target, None)
                self._scan_expr(node.iter)
            else:
                self._scan_expr(node.test)
            self._scan_conditionally([node.body, node.orelse])
        elif isinstance(node, cst.With):
            self._scan_with_items(node)
            self._scan_block(node.body)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._scan_conditionally([node.body, *node.handlers, node.orelse, node.finalbody])
        elif isinstance(node, cst.ExceptHandler):
            if node.name is not None:
                self._bind_target(node.name.name, None)
            self._scan_block(node.body)
        elif isinstance(node, (cst.Else, cst.Finally)):
            self._scan_block(node.body)
        elif isinstance(node, cst.BaseSuite):
            self._scan_block(node)
        elif isinstance(node, cst.Match):
            self._scan_expr(node.subject)
            self._scan_conditionally([case.body for case in node.cases])
        else:
            for child in child_nodes(node):
                self._scan_expr(child)

    def _scan_with_items(self, node: cst.With) -> None:
        for item in node.items:
            self._scan_expr(item.item)
            if item.asname is not None:
                self._bind_target(item.asname.name, None)

    def _scan_nested_function(self, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            self._scan_expr(decorator.decorator)
        name = node.name.value
        self.info.locals.add(name)
        key = self.info.key + (name,)
        self.info.nested[name] = key
        self.builder.add_function(node, key, parent=self.info.key, class_name=None)

    def _scan_small(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Assign):
            self._scan_expr(node.value)
            for target in node.targets:
                self._bind_target(target.target, node.value, node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self._scan_expr(node.value)
            self._bind_target(node.target, node.value, node)
        elif isinstance(node, cst.AugAssign):
            self._scan_expr(node.value)
            self._augment(node)
        elif isinstance(node, cst.Del):
            self._delete(node.target)
        elif isinstance(node, cst.Global):
            self.info.globals.update(item.name.value for item in node.names)
        elif isinstance(node, cst.Nonlocal):
            self.info.globals.update(item.name.value for item in node.names)
        elif isinstance(node, cst.Import):
            for alias in node.names:
                bound = alias.asname.name if alias.asname else alias.name
                self.info.locals.add(dotted_name(bound).split(".")[0])
        elif isinstance(node, cst.ImportFrom):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    self.info.locals.add(dotted_name(bound))
        else:
            for child in child_nodes(node):
                self._scan_expr(child)

    # -- bindings and stores -----------------------------------------------
    def _bind_target(self, target, value, statement=None) -> None:
        if isinstance(target, cst.Name):
            self._bind_name(target.value, value, statement)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, None, statement)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, statement)
        elif isinstance(target, cst.Subscript):
            self._scan_receiver(target)
            if is_full_slice(target) and value is not None and is_empty_literal(value):
                self._reset(path_of(target.value), "clear")
            else:
                self._store_item(target, "assigned an item", statement or target)
        elif isinstance(target, cst.Attribute):
            self._scan_expr(target.value)
            path = path_of(target)
            if path is None:
                return
            if path.root == self.info.receiver_name and len(path.attrs) == 1:
                self.builder.note_self_assignment(self.info, path.attrs[0], value, statement)
            if value is not None and not references_name(value, target.attr.value):
                self._reset(path, "clear")

    def _bind_name(self, name: str, value, statement) -> None:
        if name in self.info.globals:
            if value is not None and references_name(value, name):
                self._mutate(RefPath(name), "reassigned from its own value", statement, rebind=True)
            else:
                self._reset(RefPath(name), "clear")
            return
        self.info.locals.add(name)
        if value is None:
            return
        alias = path_of(value)
        if alias is not None:
            self.info.aliases[name] = alias
        elif isinstance(value, cst.Call):
            callee = dotted_name(value.func)
            if callee in self.builder.model.classes:
                self.info.local_instances[name] = callee

    def _augment(self, node: cst.AugAssign) -> None:
        target = node.target
        verb = f"updated with {_EMPTY_MODULE.code_for_node(node.operator).strip()}"
        if isinstance(target, cst.Name):
            if target.value in self.info.globals:
                self._mutate(RefPath(target.value), verb, node, rebind=True, augmented=True)
            else:
                self.info.locals.add(target.value)
        elif isinstance(target, cst.Subscript):
            self._scan_receiver(target)
            self._store_item(target, verb, node)
        elif isinstance(target, cst.Attribute):
            self._scan_expr(target.value)
            path = path_of(target)
            if path is not None:
                self._mutate(path, verb, node, augmented=True)

    def _store_item(self, target: cst.Subscript, verb: str, node) -> None:
        base = path_of(target.value)
        if base is None:
            return
        keys_constant = all(is_constant(key) for key in subscript_keys(target))
        self._mutate(base, verb, node, grows_mapping=not (base.const_keys and keys_constant))

    def _delete(self, target) -> None:
        if isinstance(target, cst.Subscript) and is_full_slice(target):
            self._reset(path_of(target.value), "clear")
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._delete(element.value)
        elif isinstance(target, cst.Name):
            self.info.locals.add(target.value)

    def _mutate(self, path, verb, node, grows_mapping=True, rebind=False, augmented=False) -> None:
        if path is not None:
            self.step.mutations.append(
                Mutation(path, verb, node, grows_mapping, rebind=rebind, augmented=augmented)
            )

    def _reset(self, path: Optional[RefPath], kind: str) -> None:
        if path is not None:
            self.step.resets.append(Reset(path, kind, unconditional=not self.conditional))

    # -- expressions -------------------------------------------------------
    def _scan_expr(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Call):
            self._scan_call(node)
        elif isinstance(node, (cst.Name, cst.Attribute)):
            path = path_of(node)
            if path is not None and len(path.attrs) <= 1:
                self.step.calls.append(CallRef(path, called=False, unconditional=False))
            if isinstance(node, cst.Attribute):
                self._scan_expr(node.value)
        elif isinstance(node, cst.Subscript):
            self._lookup(path_of(node.value))
            self._scan_children(node)
        elif isinstance(node, cst.Comparison):
            self._scan_comparison(node)
        elif isinstance(node, cst.IfExp):
            self._scan_expr(node.test)
            self._scan_conditional_exprs([node.body, node.orelse])
        elif isinstance(node, cst.BooleanOperation):
            self._scan_expr(node.left)
            self._scan_conditional_exprs([node.right])
        elif isinstance(node, (cst.Lambda, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            self._scan_conditional_exprs(list(child_nodes(node)))
        elif isinstance(node, cst.NamedExpr):
            self._scan_expr(node.value)
            self._bind_target(node.target, node.value)
        else:
            self._scan_children(node)

    def _scan_receiver(self, node: cst.CSTNode) -> None:
        """The object an operation acts on: ``X[k]`` in ``X[k].append(v)`` is
        not a lookup of ``X``."""
        if isinstance(node, cst.Subscript):
            self._scan_receiver(node.value)
            for key in subscript_keys(node):
                self._scan_expr(key)
        else:
            self._scan_expr(node)

    def _scan_children(self, node: cst.CSTNode) -> None:
        for child in child_nodes(node):
            self._scan_expr(child)

    def _scan_conditional_exprs(self, nodes) -> None:
        saved, self.conditional = self.conditional, True
        for node in nodes:
            self._scan_expr(node)
        self.conditional = saved

    def _scan_comparison(self, node: cst.Comparison) -> None:
        saved, self.in_comparison = self.in_comparison, True
        self._lookup(path_of(node.left))
        for target in node.comparisons:
            self._lookup(path_of(target.comparator))
        self._scan_children(node)
        self.in_comparison = saved

    def _lookup(self, path: Optional[RefPath]) -> None:
        if path is not None:
            self.info.lookups.append(path)

    def _scan_call(self, node: cst.Call) -> None:
        func = node.func
        callee = path_of(func)
        if callee is not None:
            self.step.calls.append(CallRef(callee, called=True, unconditional=not self.conditional))
            if not callee.attrs:
                self.info.called_names.add(callee.root)
        if isinstance(func, cst.Attribute):
            self._method_call(node, func)
            self._scan_receiver(func.value)
        elif isinstance(func, cst.Name):
            self._builtin_call(node, func.value)
        else:
            self._scan_expr(func)
        for arg in node.args:
            self._scan_expr(arg.value)

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> None:
        method = func.attr.value
        receiver = path_of(func.value)
        if receiver is None:
            return
        if method in _GROWTH_VERBS:
            self._mutate(receiver, _GROWTH_VERBS[method], node)
        elif method in _KEYED_VERBS:
            if method == "update":
                grows = not _constant_mapping_args(node)
            else:
                grows = not (node.args and is_constant(node.args[0].value))
            self._mutate(receiver, _KEYED_VERBS[method], node, grows_mapping=grows or not receiver.const_keys)
        elif method == "clear":
            self._reset(receiver, "clear")
        elif method == "seek" and _first_arg_is_zero(node):
            self._reset(receiver, "seek0")
        elif method == "truncate" and (not node.args or _first_arg_is_zero(node)):
            self._reset(receiver, "truncate")
        elif method in _LOOKUP_METHODS:
            self._lookup(receiver)

    def _builtin_call(self, node: cst.Call, name: str) -> None:
        if name == "print":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "file":
                    self._mutate(path_of(arg.value), "written to", node)
        elif name == "len" and self.in_comparison and node.args:
            self._lookup(path_of(node.args[0].value))


def _first_arg_is_zero(node: cst.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0].value, cst.Integer) and node.args[0].value.value == "0"


class _ModelBuilder:
    def __init__(self, module: cst.Module):
        self.model = ModuleModel(module)

    def build_module_level(self) -> ModuleModel:
        self._scan_module_block(self.model.module.body)
        return self.model

    def build_functions(self) -> None:
        for name, node in self.model.top_level_functions.items():
            self.add_function(node, (name,), parent=None, class_name=None)
        for class_info in self.model.classes.values():
            for method in _class_body(class_info.node):
                if isinstance(method, cst.FunctionDef):
                    key = (class_info.name, method.name.value)
                    class_info.methods[method.name.value] = key
                    self.add_function(method, key, parent=None, class_name=class_info.name)

    # -- module level ------------------------------------------------------
    def _scan_module_block(self, statements) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._module_small(small)
            elif isinstance(statement, cst.FunctionDef):
                self.model.top_level_functions[statement.name.value] = statement
            elif isinstance(statement, cst.ClassDef):
                self._add_class(statement)
            elif isinstance(statement, cst.If):
                if not _is_main_guard(statement):
                    self._scan_module_block(suite_statements(statement.body))
                    if statement.orelse is not None:
                        orelse = statement.orelse
                        inner = [orelse] if isinstance(orelse, cst.If) else suite_statements(orelse.body)
                        self._scan_module_block(inner)
            elif isinstance(statement, (cst.Try, cst.With)):
                self._scan_module_block(suite_statements(statement.body))
                for handler in getattr(statement, "handlers", ()):
                    self._scan_module_block(suite_statements(handler.body))

    def _module_small(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                if alias.asname is not None:
                    self.model.imports[dotted_name(alias.asname.name)] = full
                else:
                    head = full.split(".")[0]
                    self.model.imports[head] = head
        elif isinstance(node, cst.ImportFrom):
            if node.module is None or isinstance(node.names, cst.ImportStar) or node.relative:
                return
            base = dotted_name(node.module)
            for alias in node.names:
                name = dotted_name(alias.name)
                bound = dotted_name(alias.asname.name) if alias.asname else name
                self.model.imports[bound] = f"{base}.{name}"
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if isinstance(target, cst.Name) and target.value not in self.model.bindings:
                    kind, class_name = self.model.value_kind(node.value)
                    self.model.bindings[target.value] = Binding(
                        (target.value,), kind, node, node.value, class_name
                    )

    def _add_class(self, node: cst.ClassDef) -> None:
        bases = [dotted_name(arg.value) for arg in node.bases if dotted_name(arg.value)]
        info = ClassInfo(node.name.value, node, bases)
        self.model.classes[info.name] = info
        for statement in _class_body(node):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)):
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    for target in targets:
                        if isinstance(target, cst.Name):
                            kind, _ = self.model.value_kind(small.value)
                            info.attributes[target.value] = Binding(
                                (info.name, target.value), kind, small, small.value
                            )

    # -- functions ---------------------------------------------------------
    def add_function(self, node: cst.FunctionDef, key: FunctionKey, parent, class_name) -> None:
        info = FunctionInfo(key, node, parent, class_name)
        params = node.params
        positional = [*params.posonly_params, *params.params]
        for param in [*positional, *params.kwonly_params]:
            info.params.append(param.name.value)
            if param.default is not None:
                info.defaults.append((param.name.value, param.default))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                info.params.append(star.name.value)
        decorators = {dotted_name(d.decorator) for d in node.decorators}
        if class_name is not None and positional and "staticmethod" not in decorators:
            info.receiver_name = positional[0].name.value
        self.model.functions[key] = info
        _FunctionScanner(self, info).scan()

    def note_self_assignment(self, info: FunctionInfo, attr: str, value, statement) -> None:
        """``self.attr = value`` in a method: an instance attribute of its class."""
        class_info = self.model.classes.get(info.class_name or "")
        if class_info is None:
            return
        class_info.assigned_on_self.add(attr)
        if info.key[-1] == "__init__" and value is not None and attr not in class_info.instance_attributes:
            kind, _ = self.model.value_kind(value)
            class_info.instance_attributes[attr] = Binding((class_info.name, attr), kind, statement, value)


def _class_body(node: cst.ClassDef):
    return suite_statements(node.body)


def build_module_level(module: cst.Module) -> Tuple[ModuleModel, _ModelBuilder]:
    """First, cheap stage: imports, bindings, classes and top-level functions."""
    builder = _ModelBuilder(module)
    return builder.build_module_level(), builder


def build_functions(builder: _ModelBuilder) -> None:
    """Second stage, only for modules that have handlers: every function body."""
    builder.build_functions()
