"""The modules analysed together, and how their names reach each other.

A :class:`ProjectModel` holds the model of every module of a run's unit of
work (a file and the project modules it imports, or a whole project), and
answers the structural questions that cross modules: which module an import
names, which class a base-class name or a constructor call means, and where a
method is defined along a class's bases.
"""
from __future__ import annotations

import builtins
from functools import cached_property
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple, TypeVar

import libcst as cst

from linter.parsing.syntax import child_nodes, dotted_name
from linter.project.layout import Layout
from linter.summary.model import ClassInfo, ModuleModel
from linter.summary.scanner import FunctionInfo, FunctionKey

ClassRef = Tuple[str, str]  # (module, class name)
ClassStep = Tuple[ClassInfo, bool, List[ClassRef]]  # ProjectModel.class_step
T = TypeVar("T")
_BUILTINS = frozenset(dir(builtins))
# Packages whose base classes give each instance its own copy of class-level defaults.
COPYING_FRAMEWORKS = frozenset({
    "pydantic", "pydantic_settings", "sqlmodel", "sqlalchemy", "django", "msgspec", "marshmallow", "attr", "attrs",
    "mongoengine", "peewee", "pynamodb", "tortoise", "beanie", "odmantic", "ormar", "piccolo", "dataclasses_json",
    "enum", "traitlets", "param", "schematics",
})
MAX_REEXPORTS = 8  # ``from .state import SEEN`` in a package's __init__, chained


class ProjectModel:
    def __init__(self, modules: Dict[str, ModuleModel], layout: Optional[Layout] = None, requirements=None):
        self.modules = modules
        self.layout = layout
        self.requirements: Dict[str, list] = requirements or {}  # distribution -> declarations (linter.project.requirements)
        self._imported: Dict[str, Set[str]] = {}  # module -> the project modules it imports directly
        self._importers: Dict[str, Set[str]] = {}  # module -> the modules whose loading loads it

    def module(self, name: str) -> ModuleModel:
        return self.modules[name]

    def function(self, key: Optional[FunctionKey]) -> Optional[FunctionInfo]:
        if not key or key[0] not in self.modules:
            return None
        return self.modules[key[0]].functions.get(key)

    # -- imports -------------------------------------------------------------
    def resolve(self, module: str, dotted: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """(module, names after it) for the dotted name an import in ``module``
        binds, when it names a module of this project; None otherwise."""
        if self.layout is None:
            return None
        resolved = self.layout.resolve(module, dotted)
        if resolved is None or resolved[0] not in self.modules:
            return None
        return resolved

    def follow_import(self, module: str, name: str, attrs: Tuple[str, ...] = (), imported: Optional[str] = None):
        """Where ``name`` (with ``attrs`` after it), imported in ``module``,
        leads: (module, name, attrs) in the project module that defines it, or
        None when it is not imported from the project.  ``imported`` is what
        the name was imported as when the import is not at module level (one
        in a function)."""
        for _ in range(MAX_REEXPORTS):
            imported = imported or self.modules[module].imports.get(name)
            if imported is None:
                return None
            resolved = self.resolve(module, ".".join((imported, *attrs)))
            imported = None
            if resolved is None or not resolved[1]:
                return None
            module, (name, *rest) = resolved[0], resolved[1]
            attrs = tuple(rest)
            if name not in self.modules[module].imports:
                return module, name, attrs
        return None

    def imported_modules(self, module: str) -> Set[str]:
        """The project modules ``module`` imports directly."""
        if module not in self._imported:
            found = set()
            for imported in self.modules[module].imports.values():
                resolved = self.resolve(module, imported)
                if resolved is not None and resolved[0] != module:
                    found.add(resolved[0])
            self._imported[module] = found
        return self._imported[module]

    def imports_transitively(self, importer: str, imported: str) -> bool:
        """Whether loading ``importer`` loads ``imported`` (through any chain of project imports)."""
        return importer in self.importers_of(imported)

    def importers_of(self, imported: str) -> Set[str]:
        """The modules whose loading loads ``imported`` (itself too, in a
        cycle), found once per module asked about: searching from each
        importer instead took time growing with the square of an import
        cycle's length."""
        if imported not in self._importers:
            found: Set[str] = set()
            pending = [imported]
            while pending:
                fresh = self._direct_importers.get(pending.pop(), set()) - found
                found |= fresh
                pending.extend(fresh)
            self._importers[imported] = found
        return self._importers[imported]

    @cached_property
    def _direct_importers(self) -> Dict[str, Set[str]]:
        found: Dict[str, Set[str]] = {}
        for importer in self.modules:
            for imported in self.imported_modules(importer):
                found.setdefault(imported, set()).add(importer)
        return found

    # -- classes -------------------------------------------------------------
    def class_ref(self, module: str, dotted: Optional[str]) -> Optional[ClassRef]:
        """The project class ``dotted`` means in ``module``: defined there, or imported."""
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        if not rest and head in self.modules[module].classes:
            return module, head
        followed = self.follow_import(module, head, tuple(rest.split(".")) if rest else ())
        if followed is None or followed[2]:
            return None
        target, name, _ = followed
        return (target, name) if name in self.modules[target].classes else None

    def class_info(self, ref: Optional[ClassRef]) -> Optional[ClassInfo]:
        if ref is None or ref[0] not in self.modules:
            return None
        return self.modules[ref[0]].classes.get(ref[1])

    def class_chain(self, ref: Optional[ClassRef]) -> Iterator[Tuple[ClassRef, ClassInfo, bool]]:
        """The class and its bases, nearest first: (ref, info, whether one of
        the class's own bases may copy mutable class attributes per instance,
        as model frameworks do)."""
        seen: Set[ClassRef] = set()
        pending = [ref]
        while pending:
            current = pending.pop(0)
            step = self.class_step(current) if current not in seen else None
            if step is None:
                continue
            seen.add(current)
            info, copying, bases = step
            yield current, info, copying
            pending.extend(bases)

    def class_step(self, ref: Optional[ClassRef]) -> Optional[ClassStep]:
        """A project class's own part of its chain: its info, whether one of
        its bases may copy mutable class attributes per instance, and its
        bases that are project classes; None for a class outside the project."""
        info = self.class_info(ref)
        if info is None:
            return None
        bases = [self.class_ref(ref[0], base) for base in info.bases]
        copying = any(base is None and self._may_copy_attributes(ref[0], name) for base, name in zip(bases, info.bases))
        return info, copying, [base for base in bases if base is not None]

    def fold_bases(self, ref: ClassRef, memo: Dict[ClassRef, T],
                   value: Callable[[ClassRef, Optional[ClassStep], List[T]], T]) -> T:
        """``value(ref, class_step(ref), [the values of its project bases])``,
        worked out into ``memo`` once per class, each from its bases' values
        (a base on the way back to the class itself, a cycle, is left out):
        walking every class's whole chain of bases took time growing with
        the square of an inheritance chain's length (10,000 classes: minutes)."""
        stack: List[Tuple[ClassRef, bool]] = [(ref, False)]
        on_path: Set[ClassRef] = set()
        while stack:
            current, expanded = stack.pop()
            if current in memo:
                continue
            step = self.class_step(current)
            bases = step[2] if step is not None else []
            if not expanded:
                on_path.add(current)
                stack.append((current, True))
                stack.extend((base, False) for base in bases if base not in memo and base not in on_path)
                continue
            on_path.discard(current)
            memo[current] = value(current, step, [memo[base] for base in bases if base in memo])
        return memo[ref]

    def _may_copy_attributes(self, module: str, base: str) -> bool:
        """A base class from outside the project that may give each instance
        its own copy of mutable class attributes: a model framework
        (pydantic, ORMs, attrs, msgspec …), or one the source does not show
        (not imported, made by a call such as ``declarative_base()``).  The
        standard library's and builtins' bases (``ABC``, ``Exception``,
        ``JSONEncoder``, ``Thread``) share them, as Python does."""
        head = base.split(".")[0]
        imported = self.modules[module].imports.get(head)
        if imported is None:
            return head not in _BUILTINS
        return imported.split(".")[0] in COPYING_FRAMEWORKS or imported.startswith(("typing.", "typing_extensions."))

    def method(self, ref: Optional[ClassRef], name: str) -> Optional[FunctionKey]:
        """Method lookup along the bases that are project classes."""
        for _, info, _ in self.class_chain(ref):
            if name in info.methods:
                return info.methods[name]
        return None

    def constructed_class(self, module: str, value) -> Optional[ClassRef]:
        """The project class a module-level ``X = SomeClass(...)`` instantiates
        (also ``handler = SomeClass(...).handle``: the object behind the method,
        and ``X = SomeClass.from_env()``, a classmethod returning ``cls(...)``)."""
        if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Call):
            value = value.value
        if not isinstance(value, cst.Call):
            return None
        made = dotted_name(value.func)
        return self.class_made_by(made, lambda name: self.class_ref(module, name)) if made is not None else None

    def class_made_by(self, dotted: str, class_named: Callable[[str], Optional[ClassRef]]) -> Optional[ClassRef]:
        """The project class a call of ``dotted`` makes an instance of: the
        class ``class_named`` finds by that name, or the class of a
        classmethod returning ``cls(...)`` (``OrderRepository.from_env``)."""
        ref = class_named(dotted)
        if ref is None and "." in dotted:
            owner, method = dotted.rsplit(".", 1)
            ref = class_named(owner)
            key = self.method(ref, method) if ref is not None else None
            if key is None or not _returns_own_instance(self.function(key)):
                return None
        return ref


def _returns_own_instance(method: Optional[FunctionInfo]) -> bool:
    """A classmethod that returns ``cls(...)`` (an alternative constructor:
    ``from_env``, ``create``), on any of its returns."""
    if method is None or method.node is None or method.receiver_name is None:
        return False
    if not any(dotted_name(decorator.decorator) == "classmethod" for decorator in method.node.decorators):
        return False
    pending = list(child_nodes(method.node.body))
    while pending:
        node = pending.pop()
        if type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        if (type(node) is cst.Return and type(node.value) is cst.Call
                and dotted_name(node.value.func) == method.receiver_name):
            return True
        pending.extend(child_nodes(node))
    return False
