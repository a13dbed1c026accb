"""The module model: one pass over a parsed module, queried by every rule.

What it records is deliberately raw: references are kept as ``RefPath``s
relative to the function they occur in (a local alias, ``self.items``, a
module-level name).  Turning them into module-level state, following them
into other modules, and deciding which functions a handler reaches, is
:mod:`linter.analysis`'s job.

Keys are qualified by the module's name (its path in the project), so that
functions and state of every module of a project live side by side:
``("orders/app.py", "lambda_handler")``, ``("lib/audit.py", "SEEN")``,
``("lib/audit.py", "Batch", "items")``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from linter.summary.kinds import BUFFER_TYPES, CONTAINER_TYPES
from linter.summary.scanner import (
    MODULE_CODE, FunctionInfo, FunctionKey, FunctionScanner, import_branches, suite_statements,
)
from linter.parsing.syntax import child_nodes, dotted_name, import_bindings, is_constant, is_empty_literal

_SEQUENCE_KINDS = ("list", "bytearray", "deque")  # ``*`` and ``+`` give a new one
_UNION_KINDS = ("dict", "set")  # ``|`` gives a new one


@dataclass
class Binding:
    """A value created at module level or in a class body."""

    key: Tuple[str, ...]  # (module, name), (module, class, attribute), (module, object, attribute)
    kind: str
    node: cst.CSTNode  # where the finding is reported
    value: Optional[cst.BaseExpression]
    class_name: Optional[str] = None  # for instances of classes in this module

    @property
    def module(self) -> str:
        return self.key[0]

    @property
    def display(self) -> str:
        return ".".join(self.key[1:])


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
    """A module's model.  Module-level facts are built with it; function
    bodies are scanned on first use (``functions``): a module no handler
    reaches never pays for them."""

    module: cst.Module
    name: str  # the module's path in the project, the first part of every key
    imports: Dict[str, str] = field(default_factory=dict)
    bindings: Dict[str, Binding] = field(default_factory=dict)
    classes: Dict[str, ClassInfo] = field(default_factory=dict)
    top_level_functions: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    function_attributes: Dict[Tuple[str, str], Binding] = field(default_factory=dict)  # ``handler.calls = 0``
    redefined: Set[str] = field(default_factory=set)  # defined more than once (``if``/``else`` branches)
    module_statements: List[cst.BaseSmallStatement] = field(default_factory=list)  # outside functions
    _functions: Optional[Dict[FunctionKey, FunctionInfo]] = field(default=None, repr=False)

    @property
    def functions(self) -> Dict[FunctionKey, FunctionInfo]:
        """Every function and method, nested ones included, scanned on first use."""
        self.scan_functions()
        return self._functions

    def scan_functions(self) -> None:
        """Scan the function bodies (once): this also fills the classes'
        instance attributes, which ``__init__`` creates."""
        if self._functions is None:
            self._functions = {}
            _ModelBuilder(self.module, self.name, self).build_functions()

    def defines(self, name: str) -> bool:
        """Whether the module binds ``name`` at its top level."""
        return any(name in names for names in (self.imports, self.bindings, self.classes, self.top_level_functions))

    def qualify(self, node: cst.CSTNode) -> Optional[str]:
        """Fully qualified dotted name of ``node`` through the module's imports,
        and through module-level aliases of imported names
        (``bind = structlog.contextvars.bind_contextvars``)."""
        name = dotted_name(node)
        return None if name is None else self.qualify_name(name)

    def qualify_name(self, name: str, hops: int = 4) -> Optional[str]:
        head, _, rest = name.partition(".")
        if head in self.imports:
            head = self.imports[head]
        elif head in self.bindings:
            value = dotted_name(self.bindings[head].value) if hops else None
            head = self.qualify_name(value, hops - 1) if value is not None else None
            if head is None:
                return None
        elif head in self.top_level_functions or head in self.classes:
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
        if isinstance(value, cst.BinaryOperation):
            return self._operation_kind(value), None
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

    def _operation_kind(self, value: cst.BinaryOperation) -> str:
        """A container made by an operation on one: ``[None] * 3``, ``[] + DEFAULTS``,
        ``bytearray(2) * 4``, ``BASE | {"k": 1}`` (a dict or set)."""
        kinds = {self.value_kind(value.left)[0], self.value_kind(value.right)[0]}
        operator = type(value.operator)
        wanted = _SEQUENCE_KINDS if operator in (cst.Multiply, cst.Add) else _UNION_KINDS if operator is cst.BitOr else ()
        return next((kind for kind in wanted if kind in kinds), "other")

    @cached_property
    def module_calls(self) -> List[Tuple[cst.Call, cst.CSTNode]]:
        """(call, statement) for every call made at module level, found on
        first use: most modules never need them."""
        found = []
        for statement in self.module_statements:
            pending = [statement]
            while pending:
                node = pending.pop()
                if type(node) is cst.Call:
                    found.append((node, statement))
                pending.extend(child_nodes(node))
        return found

    @cached_property
    def import_time(self) -> FunctionInfo:
        """Module-level code scanned as if it were a function body: what runs
        at import (assignments, loops, calls, decorators), found on first use."""
        info = FunctionInfo((self.name, MODULE_CODE), None, None)
        info.globals = {*self.bindings, *self.top_level_functions, *self.classes, *self.imports}
        FunctionScanner(_ImportTimeBuilder(self), info).scan_import_time(self.module.body)
        return info

    @cached_property
    def classes_made_at_import(self) -> List[cst.ClassDef]:
        """Every ``class`` statement that runs when Lambda imports the module:
        at module level (under an ``if`` Lambda takes, a ``try``, ``with`` or
        loop too) and nested in such a class's body, outermost first.  Making
        a class runs more than its body: its bases' ``__init_subclass__``,
        its metaclass, its attributes' ``__set_name__``
        (:mod:`linter.analysis.import_time`)."""
        found: List[cst.ClassDef] = []
        pending = [list(self.module.body)]
        while pending:
            for statement in pending.pop(0):
                kind = type(statement)
                if kind is cst.ClassDef:
                    found.append(statement)
                    pending.append(suite_statements(statement.body))
                elif kind is cst.If:
                    pending.extend(import_branches(statement))
                elif kind in (cst.Try, cst.TryStar, cst.With, cst.For, cst.While):
                    clauses = [*getattr(statement, "handlers", ()), getattr(statement, "orelse", None),
                               getattr(statement, "finalbody", None)]
                    pending.append(suite_statements(statement.body))
                    pending.extend(suite_statements(clause.body) for clause in clauses if clause is not None)
        return found

    def constructor(self, binding: Binding) -> Optional[str]:
        """Qualified name of what made ``binding`` (``aws_lambda_powertools.Logger``)."""
        value = binding.value
        return self.qualify(value.func) if isinstance(value, cst.Call) else None

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


class _ImportTimeBuilder:
    """What the scanner needs of a builder, for module-level code: definitions
    inside module-level loops are not followed (their bodies do not run at
    import), and there is no ``self``."""

    def __init__(self, model: ModuleModel):
        self.model = model

    def add_function(self, node, key, parent, class_name) -> None:
        pass

    def note_self_assignment(self, info, attr, value, statement) -> None:
        pass


class _ModelBuilder:
    def __init__(self, module: cst.Module, name: str, model: Optional[ModuleModel] = None):
        self.model = model or ModuleModel(module, name)

    def build_module_level(self) -> ModuleModel:
        self._scan_module_block(self.model.module.body)
        return self.model

    def build_functions(self) -> None:
        module = self.model.name
        for name, node in self.model.top_level_functions.items():
            self.add_function(node, (module, name), parent=None, class_name=None)
        for class_info in self.model.classes.values():
            for method in _class_body(class_info.node):
                if isinstance(method, cst.FunctionDef):
                    key = class_info.methods[method.name.value]
                    self.add_function(method, key, parent=None, class_name=class_info.name)

    # -- module level ------------------------------------------------------
    def _scan_module_block(self, statements) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._module_small(small)
            elif isinstance(statement, cst.FunctionDef):
                if statement.name.value in self.model.top_level_functions:
                    self.model.redefined.add(statement.name.value)
                self.model.top_level_functions[statement.name.value] = statement
            elif isinstance(statement, cst.ClassDef):
                self._add_class(statement)
            elif isinstance(statement, cst.If):
                for branch in import_branches(statement):
                    self._scan_module_block(branch)
            elif isinstance(statement, (cst.Try, cst.With)):
                self._scan_module_block(suite_statements(statement.body))
                for handler in getattr(statement, "handlers", ()):
                    self._scan_module_block(suite_statements(handler.body))

    def _module_small(self, node: cst.BaseSmallStatement) -> None:
        self.model.module_statements.append(node)
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            self.model.imports.update(import_bindings(node))
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if isinstance(target, cst.Name) and target.value not in self.model.bindings:
                    kind, class_name = self.model.value_kind(node.value)
                    self.model.bindings[target.value] = Binding(
                        (self.model.name, target.value), kind, node, node.value, class_name
                    )
                elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                    self._function_attribute(target.value.value, target.attr.value, node)

    def _function_attribute(self, function: str, attr: str, node) -> None:
        """``lambda_handler.calls = 0`` after ``def lambda_handler``: state on the function object."""
        if function in self.model.top_level_functions and (function, attr) not in self.model.function_attributes:
            kind, _ = self.model.value_kind(node.value)
            key = (self.model.name, function, attr)
            self.model.function_attributes[(function, attr)] = Binding(key, kind, node, node.value)

    def _add_class(self, node: cst.ClassDef) -> None:
        bases = [dotted_name(arg.value) for arg in node.bases if dotted_name(arg.value)]
        info = ClassInfo(node.name.value, node, bases)
        self.model.classes[info.name] = info
        for statement in _class_body(node):
            if isinstance(statement, cst.FunctionDef):
                info.methods[statement.name.value] = (self.model.name, info.name, statement.name.value)
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)):
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    for target in targets:
                        if isinstance(target, cst.Name):
                            key = (self.model.name, info.name, target.value)
                            kind, _ = self.model.value_kind(small.value)
                            info.attributes[target.value] = Binding(key, kind, small, small.value)
                            factory = _field_factory(small.value, self.model)
                            if factory is not None:  # each instance gets its own: an instance attribute
                                made = _made_by(factory)
                                info.instance_attributes[target.value] = Binding(
                                    key, self.model.value_kind(made)[0], small, made
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
        self.model._functions[key] = info
        FunctionScanner(self, info).scan()

    def note_self_assignment(self, info: FunctionInfo, attr: str, value, statement) -> None:
        """``self.attr = value`` in a method: an instance attribute of its class."""
        class_info = self.model.classes.get(info.class_name or "")
        if class_info is None:
            return
        class_info.assigned_on_self.add(attr)
        if info.key[-1] == "__init__" and value is not None and attr not in class_info.instance_attributes:
            kind, _ = self.model.value_kind(value)
            key = (self.model.name, class_info.name, attr)
            class_info.instance_attributes[attr] = Binding(key, kind, statement, value)


_FIELD_FACTORIES = {
    "dataclasses.field": "default_factory",
    "attr.ib": "factory",
    "attr.attrib": "factory",
    "attrs.field": "factory",
    "attr.field": "factory",
}


def _field_factory(value, model: ModuleModel):
    """``field(default_factory=list)`` / ``attr.ib(factory=dict)``: the factory."""
    if not isinstance(value, cst.Call):
        return None
    keyword = _FIELD_FACTORIES.get(model.qualify(value.func) or "")
    return next((arg.value for arg in value.args if arg.keyword is not None and arg.keyword.value == keyword), None)


def _made_by(factory: cst.BaseExpression) -> cst.BaseExpression:
    """What a field's factory makes: ``list()`` for ``list``, the literal a
    ``lambda: ["header"]`` returns."""
    if isinstance(factory, cst.Lambda) and not factory.params.params:
        return factory.body
    return cst.Call(func=factory)


def _class_body(node: cst.ClassDef):
    return suite_statements(node.body)


def build_model(module: cst.Module, name: str) -> ModuleModel:
    """A module's model: imports, bindings, classes and top-level functions
    now, function bodies when first asked for."""
    return _ModelBuilder(module, name).build_module_level()
