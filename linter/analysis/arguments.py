"""Module-level state handed to a function as an argument is still module state.

``record(SEEN, item)`` with ``def record(store, item): store.append(item)``
grows ``SEEN``; so does ``functools.partial(record, SEEN)``; and
``process(REPOSITORY)`` with ``def process(repo): repo.add(x)`` runs the
method of the module-level object.  For every parameter of the Lambda code's
functions, this collects the states call sites pass to it (through chains of
calls too), so a reference to the parameter resolves to them.

It looks at the modules the handlers' modules import (directly or not) and
iterates to a fixed point; a parameter that several call sites give
different states holds all of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst

from linter.summary.scanner import FunctionInfo, FunctionKey, path_of

if TYPE_CHECKING:
    from linter.analysis.names import Names
    from linter.analysis.project import ProjectModel
    from linter.analysis.states import StateKey

PARTIAL = frozenset({"functools.partial"})
MAX_PASSES = 8


class Arguments:
    def __init__(self, project: ProjectModel, names: Names, modules: Iterable[str]):
        self.project = project
        self.names = names
        self.modules = list(modules)
        # (function, parameter) -> {state: the functions whose calls pass it}
        self.bound: Dict[Tuple[FunctionKey, str], Dict[StateKey, Set[FunctionKey]]] = {}
        self._computing = self._computed = False

    def states_of(self, function: FunctionKey, parameter: str) -> Set[StateKey]:
        """The states call sites pass to ``parameter`` of ``function``."""
        return set(self._bound(function, parameter))

    def passers_of(self, info: FunctionInfo, path, state: StateKey) -> Optional[Set[FunctionKey]]:
        """The functions whose calls give ``state`` (or the object it belongs
        to) to the parameter ``path`` starts with; None when ``path`` is not
        such a parameter of ``info``."""
        if path.root not in info.params or self.names.scope_of(info, path.root) is not info:
            return None
        bound = self._bound(info.key, path.root)
        passed = [given for given in bound if state[: len(given)] == given]
        return {caller for given in passed for caller in bound[given]} if passed else None

    def _bound(self, function: FunctionKey, parameter: str) -> Dict[StateKey, Set[FunctionKey]]:
        if not self._computed and not self._computing:
            self._compute()
        return self.bound.get((function, parameter), {})

    def _compute(self) -> None:
        self._computing = True
        functions = [
            info
            for name in self.modules
            for info in [self.project.modules[name].import_time, *self.project.modules[name].functions.values()]
        ]
        for _ in range(MAX_PASSES):
            if not any([self._pass(info) for info in functions]):
                break
        self._computing, self._computed = False, True

    def _pass(self, info: FunctionInfo) -> bool:
        changed = False
        for step in info.all_steps():
            for call in step.calls:
                if not (call.called and call.is_call) or not any(self._may_carry_state(info, arg) for arg in call.node.args):
                    continue  # no argument that could be module state: nothing to bind
                for key, args, partial in self._targets(info, call):
                    callee = self.project.function(key)
                    if callee is not None:
                        # a partial's arguments reach the function whenever anyone calls the partial
                        changed |= self._bind(info, callee, args, callee.key if partial else info.key)
        return changed

    def _may_carry_state(self, info: FunctionInfo, arg: cst.Arg) -> bool:
        """Whether an argument can hold module state: a module-level or
        imported name, a local alias of one, or a parameter already given some."""
        path = path_of(arg.value)
        if path is None:
            return False
        scope = self.names.scope_of(info, path.root)
        if scope is None or path.root in scope.aliases:
            return True
        return path.root in scope.params and bool(self.bound.get((scope.key, path.root)))

    def _targets(self, info: FunctionInfo, call) -> List[Tuple[FunctionKey, List[cst.Arg], bool]]:
        """The functions a call runs, each with the arguments its parameters get
        and whether they are bound by ``partial`` (``partial(record, SEEN)``
        gives ``record`` the arguments after the first, for later calls)."""
        node = call.node
        if self.names.qualify(info, node.func) in PARTIAL and node.args:
            first = path_of(node.args[0].value)
            callees = self.names.resolve_callee(info, None, first) if first is not None else []
            return [(key, list(node.args[1:]), True) for key, _ in callees]
        return [(key, list(node.args), False) for key, _ in self.names.resolve_callee(info, None, call.path)]

    def _bind(self, caller: FunctionInfo, callee: FunctionInfo, args: List[cst.Arg], passer: FunctionKey) -> bool:
        params = callee.params[1:] if callee.receiver_name else callee.params
        changed = False
        for index, arg in enumerate(args):
            if arg.star:
                break
            param = arg.keyword.value if arg.keyword is not None else (params[index] if index < len(params) else None)
            path = path_of(arg.value)
            if param is None or path is None:
                continue
            known = self.bound.setdefault((callee.key, param), {})
            states = [state for state, _ in self.names.resolve_states(caller, None, path)]
            states += [state for state in [self.names.module_object(caller, path)] if state is not None]
            for state in states:
                if passer not in known.setdefault(state, set()):
                    known[state].add(passer)
                    changed = True
        return changed


def passed_object_method(names: Names, arguments: Optional[Arguments], scope: FunctionInfo, root: str,
                         attrs: Tuple[str, ...]):
    """Methods a call on a parameter runs when call sites pass module-level objects to it."""
    if arguments is None or root not in scope.params or len(attrs) != 1:
        return []
    found = []
    for state in sorted(arguments.states_of(scope.key, root)):
        if names.states.is_object(state):
            key = names.project.method(names.states.instance_of[state], attrs[0])
            if key is not None:
                found.append((key, state))
    return found
