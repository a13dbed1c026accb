"""Which values on the invocation path derive from the request.

A handler's event and context parameters are the sources.  A local name is
tainted when a value it is assigned from (or iterates, or is bound by
``with ... as``) reads a tainted name; taint flows into a helper's parameter
when the helper is called with a tainted argument.  The analysis is
flow-insensitive (a name tainted anywhere in a function is tainted
everywhere in it) and runs only when a rule asks, so modules without caches
or environment writes never pay for it.

Module-level configuration and environment values are not tainted: they are
the same for every request.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional

import libcst as cst

from linter.analysis.api import Analysis
from linter.summary.scanner import FunctionInfo, FunctionKey
from linter.parsing.syntax import child_nodes


def names_read(node: cst.CSTNode) -> FrozenSet[str]:
    """Names an expression reads (not attribute names, not keyword names)."""
    found = set()
    pending = [node]
    while pending:
        current = pending.pop()
        kind = type(current)
        if kind is cst.Name:
            found.add(current.value)
        elif kind is cst.Attribute:
            pending.append(current.value)
        elif kind is cst.Arg:
            pending.append(current.value)
        else:
            pending.extend(child_nodes(current))
    return frozenset(found)


class Taint:
    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self._tainted: Dict[FunctionKey, FrozenSet[str]] = {}
        self._propagate()

    def _local_closure(self, info: FunctionInfo, seeds: FrozenSet[str]) -> FrozenSet[str]:
        tainted = set(seeds)
        changed = True
        while changed:
            changed = False
            for target, source in info.flows:
                if names_read(source) & tainted:
                    new = names_read(target) - tainted
                    if new:
                        tainted |= new
                        changed = True
        return frozenset(tainted)

    def _propagate(self) -> None:
        pending = []
        for handler in self.analysis.handlers:
            for (key, _), always in self.analysis.path.entries(handler):
                info = self.analysis.function(key)
                # a handler's (event, context), after self; a route's parameters come from the request
                params = info.params[1:] if info.receiver_name else info.params
                pending.append((info.key, frozenset(params[:2] if always else params)))
        while pending:
            key, seeds = pending.pop()
            info = self.analysis.function(key)
            if info is None:
                continue
            known = self._tainted.get(key, frozenset())
            if seeds <= known and key in self._tainted:
                continue
            tainted = self._local_closure(info, known | seeds)
            self._tainted[key] = tainted
            for step in info.all_steps():
                for call in step.calls:
                    if not call.called or type(call.node) is not cst.Call:
                        continue
                    for callee_key, _ in self.analysis.path.targets(info, None, call):
                        callee = self.analysis.function(callee_key)
                        params = self._tainted_params(callee, call.node, tainted) if callee else frozenset()
                        if params:
                            pending.append((callee_key, params))
            for nested in info.nested.values():  # closures see the enclosing function's taint
                pending.append((nested, tainted))

    @staticmethod
    def _tainted_params(callee: FunctionInfo, call: cst.Call, tainted: FrozenSet[str]) -> FrozenSet[str]:
        params = callee.params[1:] if callee.receiver_name else callee.params
        found = set()
        for index, arg in enumerate(call.args):
            if not names_read(arg.value) & tainted:
                continue
            if arg.keyword is not None:
                found.add(arg.keyword.value)
            elif index < len(params) and not arg.star:
                found.add(params[index])
        return frozenset(found)

    def tainted_names(self, key: FunctionKey) -> FrozenSet[str]:
        return self._tainted.get(key, frozenset())

    def is_tainted(self, info: FunctionInfo, node: Optional[cst.CSTNode]) -> bool:
        return node is not None and bool(names_read(node) & self.tainted_names(info.key))
