"""The modules analysed together, and how their names reach each other.

A :class:`ProjectModel` holds the model of every module of a run's unit of
work (a file and the project modules it imports, or a whole project), and
answers the structural questions that cross modules: which module an import
names, which class a base-class name or a constructor call means, and where a
method is defined along a class's bases.
"""
from __future__ import annotations

from typing import Dict, Iterator, Optional, Set, Tuple

import libcst as cst

from linter.parsing.syntax import dotted_name
from linter.project.layout import Layout
from linter.summary.model import ClassInfo, ModuleModel
from linter.summary.scanner import FunctionInfo, FunctionKey

ClassRef = Tuple[str, str]  # (module, class name)
MAX_REEXPORTS = 8  # ``from .state import SEEN`` in a package's __init__, chained


class ProjectModel:
    def __init__(self, modules: Dict[str, ModuleModel], layout: Optional[Layout] = None):
        self.modules = modules
        self.layout = layout

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

    def follow_import(self, module: str, name: str, attrs: Tuple[str, ...] = ()):
        """Where ``name`` (with ``attrs`` after it), imported in ``module``,
        leads: (module, name, attrs) in the project module that defines it, or
        None when it is not imported from the project."""
        for _ in range(MAX_REEXPORTS):
            imported = self.modules[module].imports.get(name)
            if imported is None:
                return None
            resolved = self.resolve(module, ".".join((imported, *attrs)))
            if resolved is None or not resolved[1]:
                return None
            module, (name, *rest) = resolved[0], resolved[1]
            attrs = tuple(rest)
            if name not in self.modules[module].imports:
                return module, name, attrs
        return None

    def imported_modules(self, module: str) -> Set[str]:
        """The project modules ``module`` imports directly."""
        found = set()
        for imported in self.modules[module].imports.values():
            resolved = self.resolve(module, imported)
            if resolved is not None and resolved[0] != module:
                found.add(resolved[0])
        return found

    def imports_transitively(self, importer: str, imported: str) -> bool:
        """Whether loading ``importer`` loads ``imported`` (through any chain of project imports)."""
        seen, pending = set(), [importer]
        while pending:
            current = pending.pop()
            for target in self.imported_modules(current):
                if target == imported:
                    return True
                if target not in seen:
                    seen.add(target)
                    pending.append(target)
        return False

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
        """The class and its bases, nearest first: (ref, info, whether all of
        the class's own bases are project classes or ``object``)."""
        seen: Set[ClassRef] = set()
        pending = [ref]
        while pending:
            current = pending.pop(0)
            info = self.class_info(current)
            if info is None or current in seen:
                continue
            seen.add(current)
            bases = [self.class_ref(current[0], base) for base in info.bases]
            known = all(base is not None or name == "object" for base, name in zip(bases, info.bases))
            yield current, info, known
            pending.extend(base for base in bases if base is not None)

    def method(self, ref: Optional[ClassRef], name: str) -> Optional[FunctionKey]:
        """Method lookup along the bases that are project classes."""
        for _, info, _ in self.class_chain(ref):
            if name in info.methods:
                return info.methods[name]
        return None

    def constructed_class(self, module: str, value) -> Optional[ClassRef]:
        """The project class a module-level ``X = SomeClass(...)`` instantiates."""
        if not isinstance(value, cst.Call):
            return None
        return self.class_ref(module, dotted_name(value.func))
