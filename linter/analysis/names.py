"""What a name in a function refers to: a local, module-level state (of this
module or, through imports, of another module of the project), a function,
a method, or a library object.

References arrive as ``RefPath``s in the terms of the function they are
written in; local aliases (``cache = _CACHE``), ``self``, nested functions,
instances created in the function, module-level objects and imports are
followed until the reference is state (a ``StateKey``) or code (a
``Context``: a function, and the module-level object a method runs on).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from linter.analysis.project import ClassRef, ProjectModel
from linter.analysis.states import StateKey, States
from linter.summary.kinds import CLOSURE
from linter.parsing.syntax import dotted_name
from linter.analysis.arguments import PARTIAL, passed_object_method
from linter.summary.scanner import CSV_WRITERS, FunctionInfo, FunctionKey, RefPath, path_of

Context = Tuple[FunctionKey, Optional[StateKey]]  # function, module-level object it runs on
Where = object  # a FunctionInfo, or a module's name for module-level code
MAX_ALIAS_HOPS = 8


class Names:
    def __init__(self, project: ProjectModel, states: States):
        self.project = project
        self.states = states
        self.arguments = None  # linter.analysis.arguments.Arguments: state passed to parameters
        self._rebound_names: dict = {}

    # -- scopes ----------------------------------------------------------------
    def scope_of(self, info: Optional[FunctionInfo], name: str) -> Optional[FunctionInfo]:
        """The function whose local ``name`` is, or None for a module-level name."""
        current = info
        while current is not None:
            if name in current.globals:
                return None
            if current.is_local(name) or (name == current.receiver_name and name not in current.nonlocals):
                return current
            current = self.project.function(current.parent)
        return None

    def qualify(self, where: Where, node: cst.CSTNode) -> Optional[str]:
        """Dotted name of ``node`` through the imports visible where it occurs
        (the function's own, its enclosing functions', then the module's);
        None for a name that is local or defined in this module."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        info = where if isinstance(where, FunctionInfo) else None
        scope = self.scope_of(info, head) if info is not None else None
        if scope is None:
            module = info.module if info is not None else where
            return self.project.modules[module].qualify(node)
        full = scope.imports.get(head)
        if full is None:
            return None
        return f"{full}.{rest}" if rest else full

    def imported_name(self, where: Where, name: str) -> str:
        """What a bare name stands for after imports (``bind`` -> ``…bind_contextvars``), cheaply."""
        imported = self.import_of(where, name)
        if imported is not None:
            return imported
        module = where.module if isinstance(where, FunctionInfo) else where
        local = isinstance(where, FunctionInfo) and self.scope_of(where, name) is not None
        model = self.project.modules[module]
        return (None if local or name not in model.bindings else model.qualify_name(name)) or name

    def import_of(self, where: Where, name: str) -> Optional[str]:
        """The dotted name an import binds ``name`` to where it is used (in the
        function, an enclosing one, or the module), or None."""
        scope = where if isinstance(where, FunctionInfo) else None
        while scope is not None:
            if name in scope.imports:
                return scope.imports[name]
            if scope.is_local(name):
                return None
            scope = self.project.function(scope.parent)
        module = where.module if isinstance(where, FunctionInfo) else where
        return self.project.modules[module].imports.get(name)

    # -- state ---------------------------------------------------------------
    def resolve_state(self, info: FunctionInfo, receiver: Optional[StateKey], path: RefPath):
        """(state key, resolved path) for a reference inside ``info``, or None."""
        found = self.resolve_states(info, receiver, path)
        return found[0] if found else None

    def resolve_states(self, info: FunctionInfo, receiver: Optional[StateKey], path: RefPath) -> list:
        """Every (state key, resolved path) a reference may mean: one, or
        several for a parameter that call sites pass different state to."""
        for _ in range(MAX_ALIAS_HOPS):
            scope = self.scope_of(info, path.root)
            if scope is None:
                return [found for found in [self.module_state(info.module, path)] if found]
            if path.root in scope.imports:  # ``from lib import audit`` in the function
                followed = self.project.follow_import(info.module, path.root, path.attrs, scope.imports[path.root])
                found = followed and self.module_state(followed[0], RefPath(followed[1], followed[2], path.element,
                                                                             path.const_keys))
                return [found] if found else []
            if path.root == scope.receiver_name:
                return [found for found in [self._receiver_state(scope, receiver, path)] if found]
            closure = scope.key + (CLOSURE, path.root)
            if scope is not info and closure in self.states:  # ``nonlocal count`` in a closure made at import
                return [(closure, path)]
            alias = scope.aliases.get(path.root)
            if alias is None:
                found = self._instance_state(scope, path)
                return [found] if found else self._passed_states(scope, path)
            if alias.element and path.attrs:
                return []
            path = RefPath(
                alias.root,
                alias.attrs + path.attrs,
                alias.element or path.element,
                alias.const_keys and path.const_keys,
            )
            info = scope
        return []

    def module_object(self, info: FunctionInfo, path: RefPath) -> Optional[StateKey]:
        """The module-level object of a project class a bare name refers to
        (here or imported), as a key whose attributes are state."""
        if path.attrs or path.element or self.scope_of(info, path.root) is not None:
            return None
        module, name = info.module, path.root
        if name not in self.project.modules[module].bindings:
            followed = self.project.follow_import(module, name)
            if followed is None or followed[2]:
                return None
            module, name = followed[0], followed[1]
        key = (module, name)
        return key if self.states.is_object(key) else None

    def _passed_states(self, scope: FunctionInfo, path: RefPath) -> list:
        """States a parameter holds because call sites pass them to it."""
        if self.arguments is None or path.root not in scope.params:
            return []
        found = []
        for state in sorted(self.arguments.states_of(scope.key, path.root)):
            if not path.attrs:
                found.append((state, path))
            elif len(path.attrs) == 1 and self.states.is_object(state):
                key = self.states.class_attribute(self.states.instance_of[state], path.attrs[0], via_instance=True)
                key = key or (state + path.attrs if state + path.attrs in self.states else None)
                if key is not None:
                    found.append((key, path))
        return found

    def module_state(self, module: str, path: RefPath, hops: int = MAX_ALIAS_HOPS):
        """(state key, path) for a module-level reference in ``module``,
        following imports into other modules of the project, and module-level
        aliases (``seen = SEEN``, ``seen = store.SEEN``: the same object)."""
        model = self.project.modules[module]
        root, attrs = path.root, path.attrs
        if root in model.classes:
            if len(attrs) != 1:
                return None
            key = self.states.class_attribute((module, root), attrs[0], via_instance=False)
            return (key, path) if key else None
        if root in model.top_level_functions:  # ``lambda_handler.calls``
            key = (module, root, *attrs)
            return (key, path) if len(attrs) == 1 and key in self.states else None
        binding = model.bindings.get(root)
        if binding is None:
            followed = self.project.follow_import(module, root, attrs)
            if followed is None:
                return None
            target, name, rest = followed
            return self.module_state(target, RefPath(name, rest, path.element, path.const_keys), hops)
        alias = module_alias(binding.value) if hops and root not in self._rebound(module) else None
        if alias is not None:
            return self.module_state(module, RefPath(alias.root, alias.attrs + attrs, path.element, path.const_keys),
                                     hops - 1)
        written = written_through(model, binding.value)
        if written is not None and not attrs:  # ``WRITER = csv.writer(BUFFER)``: its rows go to BUFFER
            return self.module_state(module, RefPath(written.root, written.attrs, path.element, path.const_keys))
        if self.states.is_object(binding.key):
            if len(attrs) != 1:
                return None
            key = self.states.class_attribute(self.states.instance_of[binding.key], attrs[0], via_instance=True)
            if key is None and binding.key + attrs in self.states:
                key = binding.key + attrs
            return (key, path) if key else None
        return (binding.key, path) if not attrs else None

    def _rebound(self, module: str) -> set:
        """Names the module's functions rebind (``global seen``): such a name
        is not always the object its module-level assignment names."""
        if module not in self._rebound_names:
            functions = self.project.modules[module].functions.values()
            self._rebound_names[module] = {name for info in functions for name in info.globals}
        return self._rebound_names[module]

    def _receiver_state(self, scope: FunctionInfo, receiver: Optional[StateKey], path: RefPath):
        if len(path.attrs) != 1:
            return None
        attr = path.attrs[0]
        key = self.states.class_attribute(self.class_of(scope), attr, via_instance=True)
        if key is None and receiver is not None and receiver + (attr,) in self.states:
            key = receiver + (attr,)
        return (key, path) if key else None

    def _instance_state(self, scope: FunctionInfo, path: RefPath):
        """``batch.items`` after ``batch = Batch()`` in the function: the class
        attribute every instance shares (unless the class gives each its own)."""
        if len(path.attrs) != 1 or path.root not in scope.local_instances:
            return None
        ref = self.made_class(scope, scope.local_instances[path.root])
        key = self.states.class_attribute(ref, path.attrs[0], via_instance=True) if ref is not None else None
        return (key, path) if key else None

    @staticmethod
    def class_of(info: FunctionInfo) -> Optional[ClassRef]:
        return (info.module, info.class_name) if info.class_name else None

    # -- code ----------------------------------------------------------------
    def resolve_callee(self, info: FunctionInfo, receiver: Optional[StateKey], path: RefPath) -> List[Context]:
        if path.root[-1:] == ")":  # ``Batch().add(x)``: a method of the object a call makes (scanner ``_made_by``)
            ref = self.made_class(info, path.root[:-2]) if len(path.attrs) == 1 and not path.element else None
            key = self.project.method(ref, path.attrs[0]) if ref is not None else None
            return [(key, None)] if key else []
        for _ in range(MAX_ALIAS_HOPS):
            if path.element:
                return []
            scope = self.scope_of(info, path.root)
            if scope is None:
                return self.module_callee(info.module, path)
            root, attrs = path.root, path.attrs
            if root in scope.imports:  # imported in the function
                followed = self.project.follow_import(info.module, root, attrs, scope.imports[root])
                return self.module_callee(followed[0], RefPath(followed[1], followed[2])) if followed else []
            if root == scope.receiver_name:
                key = self.project.method(self.class_of(scope), attrs[0]) if len(attrs) == 1 else None
                return [(key, receiver)] if key else []
            if not attrs and root in scope.nested:
                return [(scope.nested[root], receiver)]
            made = scope.local_instances.get(root) if len(attrs) == 1 else None
            ref = self.made_class(scope, made) if made is not None else None
            if ref is not None:  # ``batch = Batch()`` (here or imported); ``client = boto3.client()`` goes on
                key = self.project.method(ref, attrs[0])
                return [(key, None)] if key else []
            alias = scope.aliases.get(root)
            if alias is None:
                return passed_object_method(self, self.arguments, scope, root, attrs)
            path = RefPath(alias.root, alias.attrs + attrs, alias.element)
            info = scope
        return []

    def made_class(self, info: FunctionInfo, dotted: str) -> Optional[ClassRef]:
        """The project class a call of ``dotted`` written in ``info`` makes an
        instance of (``Batch``, ``models.Batch``, defined in the module or
        imported, also by an import in the function, or a classmethod of one
        that returns ``cls(...)``: ``Repository.from_env``); None for anything
        else: a function, a library class, a local variable."""
        return self.project.class_made_by(dotted, lambda name: self._class_named(info, name))

    def _class_named(self, info: FunctionInfo, dotted: str) -> Optional[ClassRef]:
        head, _, rest = dotted.partition(".")
        scope = self.scope_of(info, head)
        if scope is None:
            return self.project.class_ref(info.module, dotted)
        imported = scope.imports.get(head)
        if imported is None:
            return None
        followed = self.project.follow_import(scope.module, head, tuple(rest.split(".")) if rest else (), imported)
        if followed is None or followed[2]:
            return None
        return (followed[0], followed[1]) if followed[1] in self.project.modules[followed[0]].classes else None

    def module_callee(self, module: str, path: RefPath) -> List[Context]:
        """The code a module-level name (and attribute) in ``module`` calls:
        a function, a class's ``__init__``, a method of a module-level object
        (or its ``__call__``), in this module or, through imports, in another
        module of the project (routes a framework dispatches to are
        :mod:`linter.analysis.dispatch`'s)."""
        model = self.project.modules[module]
        root, attrs = path.root, path.attrs
        if root in model.top_level_functions:
            return [((module, root), None)] if not attrs else []
        if root in model.classes:
            ref = (module, root)
            key = self.project.method(ref, attrs[0] if attrs else "__init__") if len(attrs) <= 1 else None
            return [(key, None)] if key else []
        binding = model.bindings.get(root)
        if binding is None:
            followed = self.project.follow_import(module, root, attrs)
            if followed is None:
                return []
            target, name, rest = followed
            return self.module_callee(target, RefPath(name, rest))
        if len(attrs) > 1:
            return []
        if self.states.is_object(binding.key):
            key = self.project.method(self.states.instance_of[binding.key], attrs[0] if attrs else "__call__")
            return [(key, binding.key)] if key else []
        partial = binding.value
        if not attrs and isinstance(partial, cst.Call) and partial.args and model.qualify(partial.func) in PARTIAL:
            wrapped = path_of(partial.args[0].value)  # ``record_seen = partial(record, SEEN)``
            return self.module_callee(module, wrapped) if wrapped is not None else []
        return []


def module_alias(value) -> Optional[RefPath]:
    """What a module-level ``name = OTHER`` or ``name = module.OTHER`` names (not a subscript: an element is not the container)."""
    path = path_of(value) if type(value) in (cst.Name, cst.Attribute) else None
    return path if path is not None and not path.element else None


def written_through(model, value) -> Optional[RefPath]:
    """The object a module-level csv writer writes to."""
    if type(value) is cst.Call and value.args and model.qualify(value.func) in CSV_WRITERS:
        return path_of(value.args[0].value)
    return None
