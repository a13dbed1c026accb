"""The query API rules use: one object over the project's modules, their
handlers and the invocation path, answering in module-qualified names.

Rules ask questions (which state the path mutates, where it is reset, which
calls run, what a name means) and never walk trees or read the parts below.
The parts, each with one job:

- :class:`~linter.analysis.project.ProjectModel`: the modules and how imports connect them;
- :class:`~linter.analysis.states.States`: module-level state;
- :class:`~linter.analysis.names.Names`: what a reference in a function means;
- :class:`~linter.analysis.reach.InvocationPath`: what each handler runs;
- :class:`~linter.analysis.effects.Effects`: what the path does to state;
- :class:`~linter.analysis.import_time.ImportTime`: what import-time code does to it.

Every answer is computed on first use and kept, so a rule that asks nothing
costs nothing.
"""
from __future__ import annotations

import weakref
from functools import cached_property
from typing import Callable, Dict, Hashable, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from linter.analysis.arguments import Arguments
from linter.analysis.effects import Effects, ResetSite, StateMutation
from linter.analysis.handlers import Handler
from linter.analysis.import_time import ImportTime
from linter.analysis.names import Context, Names, Where
from linter.analysis.project import ProjectModel
from linter.analysis.reach import InvocationPath
from linter.analysis.states import StateKey, States
from linter.project.accumulators import Accumulator
from linter.fixing.transform import call_with_keyword
from linter.parsing.positions import Position, PositionIndex
from linter.parsing.syntax import without_comments
from linter.summary.model import Binding, ModuleModel
from linter.summary.scanner import CallRef, FunctionInfo, FunctionKey, Guard, RefPath

__all__ = ["Analysis", "Context", "ResetSite", "StateKey", "StateMutation"]
_CHAIN_ENDS = 4  # functions a long call chain shows at each end


class Analysis:
    def __init__(self, project: ProjectModel, handlers: Sequence[Handler], positions: Dict[str, PositionIndex],
                 accumulators: Sequence[Accumulator] = ()):
        self.project = project
        self.accumulators = tuple(accumulators)  # accumulating types the project declares
        self.handlers = list(handlers)
        self.positions = positions
        self.states = States(project)
        self.names = Names(project, self.states)
        # The parts that point back do so weakly: without a cycle, reference
        # counting frees a unit's trees when its results are dropped, which a
        # collection walking millions of nodes would do otherwise (8% of a run).
        self.names.arguments = Arguments(project, weakref.proxy(self.names), self._modules_of(self.handlers))
        self.path = InvocationPath(project, self.names, self.handlers)
        self.effects = Effects(project, self.names, self.path)
        self.import_time = ImportTime(project, self.names, self.states)

    # -- the project -----------------------------------------------------------
    def module(self, name: str) -> ModuleModel:
        return self.project.modules[name]

    def function(self, key: Optional[FunctionKey]) -> Optional[FunctionInfo]:
        return self.project.function(key)

    def module_bindings(self) -> Iterator[Binding]:
        """Every module-level binding of every module."""
        for module in self.project.modules.values():
            yield from module.bindings.values()

    def lambda_modules(self) -> List[str]:
        """The modules whose code runs on Lambda: the handlers' modules and
        the project modules they import, directly or not."""
        return self._modules_of(self.handlers)

    def _modules_of(self, handlers) -> List[str]:
        found = list(dict.fromkeys(handler.module for handler in handlers))
        seen = set(found)
        for module in found:
            fresh = [m for m in sorted(self.project.imported_modules(module)) if m not in seen]
            found.extend(fresh)
            seen.update(fresh)
        return found

    def declared_versions(self, distribution: str) -> list:
        """How the project declares ``distribution`` (``Declared`` items from
        requirements files and pyproject.toml); empty when it does not."""
        return self.project.requirements.get(distribution, [])

    def owner(self, state: StateKey) -> str:
        return self.states.owner(state)

    def imports_transitively(self, importer: str, imported: str) -> bool:
        return self.project.imports_transitively(importer, imported)

    # -- names ---------------------------------------------------------------
    def scope_of(self, info: Optional[FunctionInfo], name: str) -> Optional[FunctionInfo]:
        return self.names.scope_of(info, name)

    def qualify(self, where: Where, node: cst.CSTNode) -> Optional[str]:
        return self.names.qualify(where, node)

    def imported_name(self, where: Where, name: str) -> str:
        return self.names.imported_name(where, name)

    def import_of(self, where: Where, name: str) -> Optional[str]:
        return self.names.import_of(where, name)

    def resolve_state(self, info: FunctionInfo, receiver: Optional[StateKey], path: RefPath):
        return self.names.resolve_state(info, receiver, path)

    def resolve_callee(self, info: FunctionInfo, receiver: Optional[StateKey], path: RefPath) -> List[Context]:
        return self.names.resolve_callee(info, receiver, path)

    # -- the invocation path ---------------------------------------------------
    @property
    def reached_functions(self) -> List[Tuple[FunctionInfo, Optional[StateKey], Tuple[Handler, ...]]]:
        return self.path.reached_functions

    def always_run(self, handler: Handler) -> Set[Context]:
        return self.path.always_run(handler)

    def mutation_guarded(self, item: StateMutation, kind: str, label_of: Callable[[Guard], Hashable],
                         label: Hashable) -> bool:
        """Whether ``item`` only happens behind a guard ``label_of`` gives
        ``label``: around it, or around every call on the way to it
        (:meth:`~linter.analysis.reach.InvocationPath.always_guarded`)."""
        return (any(label_of(guard) == label for guard in item.mutation.guards)
                or self.path.always_guarded(item.context, kind, label_of, label))

    def call_chain(self, handler: Handler, function: FunctionInfo, receiver: Optional[StateKey] = None) -> str:
        """``lambda_handler() → record() → _append()``, as the path first
        reached the function; a chain of more than nine functions shows its
        first and last four (``… 1,992 more …`` between them): a message is a
        line, and a cycle of 2,000 modules printed 30 MB of them."""
        names = [f"{'.'.join(key[1:])}()" for key in self.path.chain(handler, (function.key, receiver))]
        if len(names) > 2 * _CHAIN_ENDS + 1:
            names[_CHAIN_ENDS:-_CHAIN_ENDS] = [f"… {len(names) - 2 * _CHAIN_ENDS:,} more …"]
        return " → ".join(names)

    @cached_property
    def clocks(self):
        """Snapshots of the clock taken at import (:mod:`linter.analysis.clocks`), found on first use."""
        from linter.analysis.clocks import Clocks

        return Clocks(weakref.proxy(self))

    @cached_property
    def sticky(self):
        """Values written on some invocations only (:mod:`linter.analysis.sticky`), found on first use."""
        from linter.analysis.sticky import Sticky

        return Sticky(weakref.proxy(self))

    @cached_property
    def taint(self):
        """Request-derived values (:mod:`linter.analysis.taint`), computed on first use."""
        from linter.analysis.taint import Taint

        return Taint(weakref.proxy(self))

    # -- state ---------------------------------------------------------------
    @property
    def state_mutations(self) -> List[StateMutation]:
        return self.effects.state_mutations

    def looked_up(self, state: StateKey) -> bool:
        return self.effects.looked_up(state)

    def compared(self, state: StateKey) -> bool:
        return self.effects.compared(state)

    def reset_kinds(self, handler: Handler, state: StateKey) -> Set[str]:
        return self.effects.reset_kinds(handler, state)

    def reset_sites(self, state: StateKey) -> List[ResetSite]:
        """Every reset or eviction of ``state`` on the invocation path, in source order."""
        sites = self.effects.reset_sites(state)
        return sorted(sites, key=lambda site: (site.function.module, self.line(site.reset.statement, site.function)))

    def reset_kinds_anywhere(self, state: StateKey) -> Set[str]:
        """Every kind of reset or eviction of ``state`` on the invocation path,
        conditional ones included."""
        return {site.reset.kind for site in self.effects.reset_sites(state)}

    def changed_at_import(self, state: StateKey) -> bool:
        return self.import_time.changed_at_import(state)

    def change_at_import(self, state: StateKey):
        """The statement run at import that changes ``state`` after creating it, or None."""
        return self.import_time.change_at_import(state)

    def runs_at_import(self, context: Context) -> bool:
        """Whether the function of ``context`` runs while the project is imported."""
        return self.import_time.runs_at_import(context)

    def calls_at_import(self) -> List[Tuple[FunctionInfo, Optional[StateKey], "CallRef"]]:
        """(function, receiver, call) for every call made while the project is imported."""
        return self.import_time.calls_at_import()

    def on_invocation_path(self, context: Context) -> bool:
        """Whether a handler reaches the function of ``context``."""
        return context in self.path.reached_by

    # -- positions and source ------------------------------------------------
    def position(self, node: cst.CSTNode, where=None) -> Position:
        """Where ``node`` is, in the module ``where`` names (a module name, a
        FunctionInfo, a Binding) or, without it, in whichever module has it."""
        module = _module_of(where)
        if module is not None:
            return self.positions[module].position(node)
        for index in self.positions.values():
            if index.contains(node):
                return index.position(node)
        raise KeyError("node not found in any module of the analysis")

    def module_of_node(self, node: cst.CSTNode) -> str:
        for name, index in self.positions.items():
            if index.contains(node):
                return name
        raise KeyError("node not found in any module of the analysis")

    def line(self, node: cst.CSTNode, where=None) -> int:
        return self.position(node, where)[0]

    def source(self, node: cst.CSTNode) -> str:
        """The code of ``node``, without comments (it is copied into fixes and messages)."""
        module = next(iter(self.project.modules.values())).module
        code = module.code_for_node(node)
        return module.code_for_node(without_comments(node)) if "#" in code else code

    def call_with_keyword(self, expression: cst.CSTNode, keyword: str, value: str) -> str:
        return call_with_keyword(next(iter(self.project.modules.values())).module, expression, keyword, value)


def _module_of(where) -> Optional[str]:
    if where is None or isinstance(where, str):
        return where
    return where.module
