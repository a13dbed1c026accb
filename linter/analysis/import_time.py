"""What code run at import does to module-level state.

A reset must give state back what a cold start has; that is what its
assignment says only if nothing run at import changes it afterwards: a loop
filling it, a decorator registering routes, a second assignment, a function
called at module level, in this module or another one of the project.  Only
what really runs at import is followed: module-level code, the functions it
calls, decorators, and what a decorator factory returns (``@route("/x")``
calls ``route`` and then the ``register`` it returns), what Python calls
when it makes a class (its bases' ``__init_subclass__``, its metaclass, the
``__set_name__`` of the descriptors its body binds), not a wrapper a
decorator merely returns.
"""
from __future__ import annotations

from functools import cached_property
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from linter.analysis.arguments import PARTIAL
from linter.analysis.names import Context, Names, written_through
from linter.analysis.project import ClassRef, ProjectModel
from linter.analysis.states import StateKey, States
from linter.parsing.syntax import child_nodes, decorating_callable, dotted_name
from linter.summary.scanner import MODULE_CODE, CallRef, FunctionInfo, FunctionKey, RefPath, path_of, suite_statements


class ImportTime:
    def __init__(self, project: ProjectModel, names: Names, states: States):
        self.project = project
        self.names = names
        self.states = states
        self._by_module: Dict[str, Dict[StateKey, cst.CSTNode]] = {}
        self._runs: Dict[str, List[Tuple[FunctionInfo, Optional[StateKey]]]] = {}
        self._bases: Dict[ClassRef, _Bases] = {}  # _along_bases's answers

    def changed_at_import(self, state: StateKey) -> bool:
        """Whether code run at import changes ``state`` after creating it:
        the code of its own module, or of a module that imports it."""
        return self.change_at_import(state) is not None

    def change_at_import(self, state: StateKey) -> Optional[cst.CSTNode]:
        """The statement of code run at import that first changes ``state``
        after creating it, or None: in its own module, else in the first (by
        name) of the other modules whose import-time code does; to reach it,
        they import it, directly or through others (``csv_plugin.py`` imports
        ``base.py``, whose ``Plugin`` registers each subclass in a list of
        ``registry.py``)."""
        own = self._changes(state[0]).get(state)
        if own is not None:
            return own
        return next((self._changes(name)[state] for name in self._changed_in.get(state, ()) if name != state[0]), None)

    @cached_property
    def _changed_in(self) -> Dict[StateKey, List[str]]:
        """The modules whose import-time code changes each state, by name:
        found once for the unit (asking every importer of each state's module
        took time and memory growing with the square of an import cycle's length)."""
        found: Dict[StateKey, List[str]] = {}
        for name in sorted(self.project.modules):
            for state in self._changes(name):
                found.setdefault(state, []).append(name)
        return found

    def _run(self, module_name: str) -> List[Tuple[FunctionInfo, Optional[StateKey]]]:
        """The code a module runs when it is imported: its module-level code,
        its decorators, and the functions these call (across modules)."""
        if module_name in self._runs:
            return self._runs[module_name]
        module = self.project.modules[module_name]
        found: List[Tuple[FunctionInfo, Optional[StateKey]]] = []
        pending: List[Tuple[FunctionInfo, Optional[StateKey]]] = [(module.import_time, None)]
        seen: Set[Context] = set()

        def run(contexts) -> None:
            for context in contexts:
                info = self.project.function(context[0])
                if context not in seen and info is not None:
                    seen.add(context)
                    pending.append((info, context[1]))

        run(self._decorators_run_at_import(module))
        run(self._class_hooks_run_at_import(module))
        while pending:
            info, receiver = pending.pop()
            found.append((info, receiver))
            run(callee for step in info.all_steps() for call in step.calls if call.called
                for callee in self.names.resolve_callee(info, receiver, call.path))
        self._runs[module_name] = found
        return found

    def _changes(self, module_name: str) -> Dict[StateKey, cst.CSTNode]:
        """State a module's import-time code changes after creating it, with
        the statement that first does.  Module-level code that so much as
        names the state after creating it counts (an alias that is then
        appended to, ``X.sort()``, ``buffer.seek(0, 2)``, a dict holding it):
        the contents a reset should restore are then not what the assignment
        says."""
        if module_name in self._by_module:
            return self._by_module[module_name]
        found: Dict[StateKey, cst.CSTNode] = {}
        model = self.project.modules[module_name]
        # ``WRITER = csv.writer(BUFFER)`` and ``audit = partial(record, TRAIL)`` name the state, change nothing
        holders = {id(b.node) for b in model.bindings.values() if _holds_for_later(model, b.value)}
        run = self._run(module_name)
        run_keys = {info.key for info, _ in run}
        for info, receiver in run:
            for step in info.all_steps():
                items = [*step.mutations, *step.resets]
                if info.key[1] == MODULE_CODE:
                    items += step.calls
                for item in items:
                    if id(item.statement) in holders and not (isinstance(item, CallRef) and item.called):
                        continue
                    path = item.path
                    if isinstance(item, CallRef) and item.called and path.attrs:
                        path = RefPath(path.root, path.attrs[:-1])  # ``X.sort()`` names X
                    for state, _ in self.names.resolve_states(info, receiver, path):
                        passers = self.names.arguments.passers_of(info, path, state) if self.names.arguments else None
                        if passers is not None and not passers & run_keys:
                            continue  # given to the parameter by calls that do not run at import
                        if item.statement is not self.states[state].node:
                            found.setdefault(state, item.statement)
        self._by_module[module_name] = found
        return found

    def runs_at_import(self, context: Context) -> bool:
        """Whether the function of ``context`` runs when its project is imported."""
        return any(
            (info.key, receiver) == context for module in self.project.modules for info, receiver in self._run(module)
        )

    def calls_at_import(self) -> List[Tuple[FunctionInfo, Optional[StateKey], CallRef]]:
        """Every call made while the project's modules are imported."""
        return [
            (info, receiver, call)
            for module in self.project.modules
            for info, receiver in self._run(module)
            for step in info.all_steps()
            for call in step.calls
            if call.called
        ]

    def _decorators_run_at_import(self, module) -> List[Context]:
        """Decorators of module-level functions, classes and their methods
        (a class body runs at import), and the functions a decorator factory
        defines (one of them is what it returns)."""
        found: List[Context] = []
        classes = [c.node for c in module.classes.values()]
        methods = [node for c in classes for node in suite_statements(c.body) if type(node) is cst.FunctionDef]
        for node in [*module.top_level_functions.values(), *classes, *methods]:
            for decorator in node.decorators:
                path = path_of(decorating_callable(decorator))
                for context in self.names.module_callee(module.name, path) if path is not None else ():
                    found.append(context)
                    factory = self.project.function(context[0])
                    if isinstance(decorator.decorator, cst.Call) and factory is not None:
                        found.extend((nested, None) for nested in factory.nested.values())
        return found

    def _class_hooks_run_at_import(self, module) -> List[Context]:
        """What making the module's classes calls besides their bodies and
        decorators: Python calls, for ``class CsvPlugin(Plugin): ...``, the
        ``__init_subclass__`` of its bases (not its own), its metaclass's
        ``__prepare__``, ``__new__`` and ``__init__`` (given with
        ``metaclass=``, or a base's), and the ``__set_name__`` of each
        object its body binds (a descriptor: ``sku = Field()``).  Only
        project classes are followed; any one along the bases that defines
        a hook counts (it may call the others through ``super()``)."""
        found: List[Context] = []
        for node in module.classes_made_at_import:
            bases = [self.project.class_ref(module.name, _base_name(arg.value)) for arg in node.bases]
            along = [self._along_bases(base) for base in bases if base is not None]
            found.extend((hook, None) for hooks, _ in along for hook in hooks)
            for where, definition in [(module.name, node), *(site for _, sites in along for site in sites)]:
                for keyword in definition.keywords:
                    if _is_metaclass(keyword):
                        found.extend(self._metaclass_hooks(where, keyword.value))
            for value in _class_body_values(node):
                found.extend(self._set_name_hooks(module, value))
        return found

    def _along_bases(self, ref: ClassRef) -> _Bases:
        """The ``__init_subclass__`` methods of ``ref`` and its project bases,
        and those of them given ``metaclass=``, once per class from its
        bases' (:meth:`~linter.analysis.project.ProjectModel.fold_bases`)."""
        return self.project.fold_bases(ref, self._bases, _bases_step)

    def _metaclass_hooks(self, module: str, expression: cst.BaseExpression) -> List[Context]:
        """What a metaclass runs when a class is made: a project class's
        ``__prepare__``/``__new__``/``__init__``, or a function given as
        ``metaclass=`` (called with the name, bases and namespace)."""
        ref = self.project.class_ref(module, dotted_name(expression))
        if ref is None:
            path = path_of(expression)
            return self.names.module_callee(module, path) if path is not None else []
        return [(info.methods[hook], None) for _, info, _ in self.project.class_chain(ref)
                for hook in _METACLASS_HOOKS if hook in info.methods]

    def _set_name_hooks(self, module, value: cst.CSTNode) -> List[Context]:
        """``__set_name__`` of the objects a class-body value may bind: any
        project class defining it that the value names (``Field()``,
        ``Field(str).required()``), or a module-level object of one."""
        found: List[Context] = []
        pending = [value]
        while pending:
            node = pending.pop()
            name = dotted_name(node)
            if name is None:
                pending.extend(child_nodes(node))
                continue
            ref = self.project.class_ref(module.name, name)
            receiver = None
            binding = module.bindings.get(name)
            if ref is None and binding is not None and binding.key in self.states.instance_of:
                ref, receiver = self.states.instance_of[binding.key], binding.key
            key = self.project.method(ref, _SET_NAME) if ref is not None else None
            if key is not None:
                found.append((key, receiver))
        return found


# (the ``__init_subclass__`` methods along a class's bases, its own included;
# the (module, class) of those given ``metaclass=``)
_Bases = Tuple[Tuple[FunctionKey, ...], Tuple[Tuple[str, cst.ClassDef], ...]]
_SUBCLASS_HOOK = "__init_subclass__"
_METACLASS_HOOKS = ("__prepare__", "__new__", "__init__")
_SET_NAME = "__set_name__"


def _bases_step(ref: ClassRef, step, bases: List[_Bases]) -> _Bases:
    if step is None:
        return (), ()
    info = step[0]
    hooks = [info.methods[_SUBCLASS_HOOK]] if _SUBCLASS_HOOK in info.methods else []
    sites = [(ref[0], info.node)] if any(_is_metaclass(keyword) for keyword in info.node.keywords) else []
    for base_hooks, base_sites in bases:
        hooks.extend(base_hooks)
        sites.extend(base_sites)
    return tuple(dict.fromkeys(hooks)), tuple(dict.fromkeys(sites))


def _is_metaclass(keyword: cst.Arg) -> bool:
    return keyword.keyword is not None and keyword.keyword.value == "metaclass"


def _base_name(base: cst.BaseExpression) -> Optional[str]:
    """The class a base names: ``Plugin``, ``plugins.Plugin``, ``Plugin[Order]`` (a generic)."""
    return dotted_name(base.value if type(base) is cst.Subscript else base)


def _class_body_values(node: cst.ClassDef) -> List[cst.CSTNode]:
    """What a class body binds in its namespace, as written: assigned values
    and decorators (``@Route("/orders")`` may make a descriptor)."""
    found: List[cst.CSTNode] = []
    for statement in suite_statements(node.body):
        if type(statement) in (cst.FunctionDef, cst.ClassDef):
            found.extend(decorator.decorator for decorator in statement.decorators)
        for small in statement.body if type(statement) is cst.SimpleStatementLine else ():
            if type(small) in (cst.Assign, cst.AnnAssign) and small.value is not None:
                found.append(small.value)
    return found


def _holds_for_later(model, value) -> bool:
    """A module-level value that keeps state to change later, not now: a csv
    writer over a buffer, a ``functools.partial`` over a function."""
    return written_through(model, value) is not None or (
        isinstance(value, cst.Call) and model.qualify(value.func) in PARTIAL
    )
