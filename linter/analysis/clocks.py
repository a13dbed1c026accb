"""Snapshots of the clock taken at import: module-level values computed from
``datetime.now()``, ``date.today()``, ``time.time()`` and the like, and clock
calls evaluated once as default values.  Lambda imports a module once per
execution environment, so such a value stays the cold start's time for every
warm invocation that reads it as "now".

Found on first use: a project without clock calls at module level pays one
scan of its module-level bindings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from linter.parsing.syntax import child_nodes
from linter.summary.scanner import RefPath

CLOCKS = frozenset({
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.localtime", "time.gmtime",
    "arrow.now", "arrow.utcnow", "pendulum.now", "pendulum.today",
})
_SKIPPED = (cst.Lambda, cst.FunctionDef, cst.ClassDef)  # code that runs later, not now


@dataclass(frozen=True)
class Snapshot:
    binding: object  # Binding
    clock_calls: Tuple[cst.Call, ...]  # its own clock calls
    depends_on: Tuple[str, ...]  # the module's other snapshots it is computed from


@dataclass(frozen=True)
class Read:
    snapshot: Snapshot
    function: object  # FunctionInfo
    receiver: object
    handlers: Tuple[object, ...]
    statement: cst.CSTNode  # the statement that reads it (where its line is)


class Clocks:
    def __init__(self, analysis):
        self.analysis = analysis
        self.snapshots: Dict[Tuple[str, ...], Snapshot] = {}
        self._modules: Set[str] = set()  # those with a snapshot
        for module in analysis.project.modules.values():
            for binding in module.bindings.values():
                self._consider(binding)

    def clock_calls(self, where, node: Optional[cst.CSTNode]) -> List[cst.Call]:
        """The clock calls ``node`` makes when it is evaluated (not those in
        a lambda inside it)."""
        found, stack = [], [node] if node is not None else []
        while stack:
            current = stack.pop()
            if isinstance(current, _SKIPPED):
                continue
            if type(current) is cst.Call and self.analysis.qualify(where, current.func) in CLOCKS:
                found.append(current)
            stack.extend(child_nodes(current))
        return found

    def _consider(self, binding) -> None:
        if len(binding.key) != 2 or binding.value is None:
            return
        calls = tuple(self.clock_calls(binding.module, binding.value))
        depends = tuple(name for name in names_read(binding.value) if (binding.module, name) in self.snapshots) \
            if binding.module in self._modules else ()
        if calls or depends:
            self.snapshots[binding.key] = Snapshot(binding, calls, depends)
            self._modules.add(binding.module)

    def reads(self) -> Iterator[Read]:
        """Where the invocation path reads a snapshot as the current time:
        every read but ``<clock now> - SNAPSHOT`` (the environment's age)."""
        if not self.snapshots:
            return
        for info, receiver, handlers in self.analysis.reached_functions:
            if info.node is None:
                continue
            for node, parent, statement in _name_reads(info.node.body):
                found = self.analysis.resolve_state(info, receiver, RefPath(node.value))
                snapshot = self.snapshots.get(found[0]) if found else None
                if snapshot is not None and not self._measures_age(info, node, parent):
                    yield Read(snapshot, info, receiver, handlers, statement)

    def _measures_age(self, info, node, parent) -> bool:
        return (type(parent) is cst.BinaryOperation and type(parent.operator) is cst.Subtract
                and parent.right is node and bool(self.clock_calls(info, parent.left)))

    def defaults(self) -> Iterator[Tuple[object, Tuple[object, ...], str, cst.CSTNode]]:
        """(function, handlers, parameter, default) for each default value of
        a function on the invocation path that reads the clock when the
        ``def`` runs; once per function, whatever object a method runs on."""
        found: Dict[tuple, Tuple[object, dict, str, cst.CSTNode]] = {}
        for info, _, handlers in self.analysis.reached_functions:
            for parameter, default in info.defaults:
                if self.clock_calls(info.module, default):
                    entry = found.setdefault((info.key, parameter), (info, {}, parameter, default))
                    entry[1].update(dict.fromkeys(handlers))
        for info, handlers, parameter, default in found.values():
            yield info, tuple(handlers), parameter, default

    def model_defaults(self, modules) -> Iterator[Tuple[str, cst.CSTNode, cst.Call, cst.Arg]]:
        """(module, statement, field call, ``default=`` argument) in the class bodies of
        ``modules`` whose default is a clock call: a model field whose default
        is the import's time (``Column(DateTime, default=datetime.utcnow())``)."""
        for name in modules:
            for class_info in self.analysis.module(name).classes.values():
                for line in class_info.node.body.body:
                    if isinstance(line, (cst.FunctionDef, cst.ClassDef)):
                        continue  # a method's calls run when it is called
                    for node, parent, statement in _nodes(line):
                        if (type(node) is cst.Arg and node.keyword is not None and node.keyword.value == "default"
                                and type(node.value) is cst.Call
                                and self.analysis.qualify(name, node.value.func) in CLOCKS):
                            yield name, statement, parent, node


def _nodes(root) -> Iterator[Tuple[cst.CSTNode, Optional[cst.CSTNode], Optional[cst.CSTNode]]]:
    """(node, parent, statement) below ``root``, not entering nested
    functions and classes; ``statement`` is the innermost one holding it."""
    stack = [(root, None, None)]
    while stack:
        current, parent, statement = stack.pop()
        yield current, parent, statement
        if isinstance(current, (cst.FunctionDef, cst.ClassDef)) and parent is not None:
            continue
        if isinstance(current, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            statement = current
        stack.extend((child, current, statement) for child in child_nodes(current))


def _name_reads(body) -> Iterator[Tuple[cst.Name, Optional[cst.CSTNode], Optional[cst.CSTNode]]]:
    for node, parent, statement in _nodes(body):
        if type(node) is cst.Name and not _is_binding_or_attribute(node, parent):
            yield node, parent, statement


def _is_binding_or_attribute(node, parent) -> bool:
    if type(parent) is cst.Attribute and parent.attr is node:
        return True
    if type(parent) is cst.Arg and parent.keyword is node:
        return True
    return type(parent) is cst.NameItem or (type(parent) is cst.AssignTarget and parent.target is node)


def names_read(node) -> List[str]:
    return list(dict.fromkeys(name.value for name, _, _ in _name_reads(node)))
