"""Accumulating types: classes whose instances keep what their methods add
(a ``PrettyTable``'s rows), so a module-level instance that the invocation
path adds to shows every earlier invocation's additions again.

Teams declare their own in ``[tool.warmstate] accumulators`` as
``"package.module.Class:add,push=clear"``: the class by the dotted name it
is imported from, the methods that add, and optionally the method that
empties it (what LAM108's fix calls).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

_SPEC = re.compile(r"(?P<type>[A-Za-z_][\w.]*\.[A-Za-z_]\w*):(?P<methods>\w+(?:\s*,\s*\w+)*)(?:\s*=\s*(?P<reset>\w+))?")


class AccumulatorSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Accumulator:
    type: str  # the class, as imported: "prettytable.PrettyTable"
    adds: Tuple[str, ...]  # methods that add to it
    reset: Optional[str] = None  # the method that empties it, if any
    full_reset: Optional[str] = None  # empties more (columns too), needed when ``needs_full`` methods ran
    needs_full: Tuple[str, ...] = ()


def parse_accumulator(spec: str) -> Accumulator:
    """``"pkg.mod.Class:add,push=clear"`` → Accumulator; a clear error otherwise."""
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        raise AccumulatorSpecError(
            f"accumulator '{spec}' is not 'package.module.Class:method[,method...][=reset_method]'")
    adds = tuple(method.strip() for method in match.group("methods").split(","))
    return Accumulator(match.group("type"), adds, match.group("reset"))
