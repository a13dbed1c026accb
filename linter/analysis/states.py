"""Module-level state: what can outlive an invocation, keyed by ``StateKey``.

Five kinds of state are known, in every module of the project:

- a name bound at module level: ``("lib/audit.py", "SEEN")``;
- an attribute of a module-level object, as its class's ``__init__`` creates
  it: ``("app.py", "RECORDER", "rows")`` (the class may be imported from
  another module of the project);
- a mutable attribute of a class body, shared by every instance:
  ``("app.py", "Batch", "items")``;
- an attribute given to a top-level function at module level
  (``lambda_handler.calls = 0``): ``("app.py", "lambda_handler", "calls")``;
- a variable of a closure made at import (``lambda_handler = make_handler()``)
  that an inner function rebinds under ``nonlocal``:
  ``("app.py", "make_handler", "<locals>", "count")``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from linter.analysis.project import ClassRef, ProjectModel
from linter.summary.kinds import CLOSURE, MUTABLE_KINDS
from linter.summary.model import Binding

StateKey = Tuple[str, ...]


class States:
    def __init__(self, project: ProjectModel):
        self.project = project
        self.bindings: Dict[StateKey, Binding] = {}
        self.instance_of: Dict[StateKey, ClassRef] = {}  # module-level objects of project classes
        self._plain: Dict[ClassRef, bool] = {}  # _plain_class's answers
        for module in project.modules.values():
            self._collect(module)

    def __contains__(self, key: StateKey) -> bool:
        return key in self.bindings

    def __getitem__(self, key: StateKey) -> Binding:
        return self.bindings[key]

    def get(self, key: StateKey) -> Optional[Binding]:
        return self.bindings.get(key)

    def _collect(self, module) -> None:
        for binding in module.function_attributes.values():
            self.bindings[binding.key] = binding
        for binding in self._closure_variables(module):
            self.bindings[binding.key] = binding
        for binding in module.bindings.values():
            self.bindings[binding.key] = binding
            ref = self.project.constructed_class(module.name, binding.value)
            if ref is None:
                continue
            self.instance_of[binding.key] = ref
            fields = {attr for _, info, _ in self.project.class_chain(ref) for attr in info.attributes}
            for attr, attribute in self._instance_attributes(ref).items():
                key = binding.key + (attr,)
                value = _given_value(binding.value, attr, attribute.value, attr in fields)
                self.bindings[key] = Binding(key, attribute.kind, binding.node, value, binding.class_name)
        for class_info in module.classes.values():
            ref = (module.name, class_info.name)
            if self._plain_class(ref):
                for attribute in class_info.attributes.values():
                    if attribute.kind in MUTABLE_KINDS:
                        self.bindings[attribute.key] = attribute

    def _closure_variables(self, module):
        """Variables of a closure made at import (``lambda_handler =
        make_handler()``) that its inner functions rebind under ``nonlocal``:
        they live as long as the module-level object the call made."""
        factories = {binding.value.func.value for binding in module.bindings.values()
                     if isinstance(binding.value, cst.Call) and isinstance(binding.value.func, cst.Name)
                     and binding.value.func.value in module.top_level_functions}
        for factory in sorted(factories):
            info = module.functions[(module.name, factory)]
            rebound = {name for key in info.nested.values() for name in module.functions[key].nonlocals}
            for target, value in info.flows:
                if isinstance(target, cst.Name) and target.value in rebound:
                    rebound.discard(target.value)
                    kind, _ = module.value_kind(value)
                    key = (module.name, factory, CLOSURE, target.value)
                    yield Binding(key, kind, _assignment_of(module.top_level_functions[factory], target), value)

    def is_closure_variable(self, key: StateKey) -> bool:
        return len(key) == 4 and key[2] == CLOSURE

    def _plain_class(self, ref: ClassRef) -> bool:
        """A class whose attributes Python shares between instances as written.

        Model frameworks' base classes (pydantic's BaseModel, ORMs, msgspec)
        and class decorators (attrs, dataclasses) commonly copy mutable
        defaults per instance, so their class attributes are not treated as
        shared state; the standard library's bases (``ABC``, ``Exception``)
        do not, so theirs are.

        Worked out once per class from its bases' answers
        (:meth:`~linter.analysis.project.ProjectModel.fold_bases`)."""
        return self.project.fold_bases(ref, self._plain, _plain_step)

    def _instance_attributes(self, ref: ClassRef) -> Dict[str, Binding]:
        found: Dict[str, Binding] = {}
        for (module, _), info, _ in self.project.class_chain(ref):
            self.project.modules[module].scan_functions()
            for attr, binding in info.instance_attributes.items():
                found.setdefault(attr, binding)
        return found

    def class_attribute(self, ref: Optional[ClassRef], attr: str, via_instance: bool) -> Optional[StateKey]:
        """The shared class attribute ``attr`` means, if it is mutable state;
        None when reached through an instance that assigns its own."""
        chain = list(self.project.class_chain(ref))
        for (module, _), _, _ in chain:
            self.project.modules[module].scan_functions()
        if via_instance and any(attr in info.assigned_on_self for _, info, _ in chain):
            return None
        for (module, name), _, _ in chain:
            if (module, name, attr) in self.bindings:
                return (module, name, attr)
        return None

    def is_object(self, key: StateKey) -> bool:
        """A module-level object of a project class (its attributes are state too)."""
        return key in self.instance_of

    def is_function_attribute(self, key: StateKey) -> bool:
        """An attribute of a top-level function (``lambda_handler.calls``)."""
        return len(key) == 3 and key[1] in self.project.modules[key[0]].top_level_functions

    def owner(self, key: StateKey) -> str:
        """"module" (a module-level name), "instance" (an attribute of a
        module-level object) or "class" (a class attribute)."""
        if len(key) == 2:
            return "module"
        return "class" if key[1] in self.project.modules[key[0]].classes else "instance"


def _assignment_of(function: cst.FunctionDef, target: cst.Name) -> cst.CSTNode:
    """The statement of ``function``'s body that assigns ``target`` (where a
    finding about the variable is reported), or the function itself."""
    for line in function.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.Assign) and any(t.target is target for t in small.targets):
                return small
            if isinstance(small, cst.AnnAssign) and small.target is target:
                return small
    return function


def _given_value(call, attr: str, default, is_field: bool):
    """What an attribute of a module-level object starts as: the argument its
    constructor call gives it by name (``Stats(failures=["header"])``);
    unknown (None) for a class-level field (a dataclass's) when positional
    or ``**`` arguments may give it; else the class's own value (the field's
    factory, ``self.x = []`` in ``__init__``)."""
    if not isinstance(call, cst.Call):
        return default
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == attr:
            return arg.value
    if is_field and any(arg.keyword is None for arg in call.args):
        return None
    return default


def _plain_step(ref: ClassRef, step, bases_plain: List[bool]) -> bool:
    """A class is plain when no base of its own may copy attributes, it has
    no decorator, and its project bases are plain (a class outside the project is)."""
    if step is None:
        return True
    info, copying, _ = step
    return not copying and not info.node.decorators and all(bases_plain)
