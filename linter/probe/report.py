"""Say what differs between warm and cold (:mod:`linter.probe.compare`) in
words: the return value (or the exception), the lines printed or logged, and
each piece of state, with the module and line that define it and the rule
that finds it statically."""
from __future__ import annotations

import ast
import difflib
import json
import os
from typing import Dict, Iterable, List, Optional, Tuple

from linter.probe.compare import Difference

# Rules that find state of a kind the fingerprint names without a variable.
RULES_BY_KIND = {
    "logging handlers": ("LAM301",),
    "context variable": ("LAM305", "LAM307", "LAM308"),
    "environment variable": ("LAM401", "LAM106"),
    "files left in the temporary directory": ("LAM402",),
    "threads still alive": ("LAM403",),
    "tasks of an event loop": ("LAM403",),
    "logger keys": ("LAM303",),
    "buffered log records": ("LAM304",),
    "pending metrics": ("LAM306",),
}


def locate(found: List[Difference], diagnostics: Iterable) -> List[Difference]:
    """Where each piece of state is defined and which rules find it; state
    seen under another name too (``from store import SEEN``, ``seen =
    store.SEEN``: the same contents, digest included) once, where it is defined."""
    diagnostics, creates = list(diagnostics), {}
    for difference in found:
        creates[id(difference)] = False
        if difference.file and difference.name:
            difference.line, creates[id(difference)] = _definition(difference.file, difference.name)
        difference.rules = sorted({d.code for d in diagnostics if _finds(d, difference)})
    kept, seen = [], set()
    for difference in sorted(found, key=lambda d: not creates[id(d)]):  # where it is created first
        state = (difference.invocation, difference.identity)
        if difference.identity is not None and state in seen:
            continue  # one object under another name: already described where it is created
        seen.add(state)
        kept.append(difference)
    return sorted(kept, key=found.index)


def _finds(diagnostic, difference: Difference) -> bool:
    if difference.kind in RULES_BY_KIND:
        return diagnostic.code in RULES_BY_KIND[difference.kind]
    if not difference.file or not difference.name or not _same_file(diagnostic.path, difference.file):
        return False
    names = {difference.name, difference.name.split(".")[0], difference.name.split(".")[-1]}
    return any(f"'{name}'" in diagnostic.message or f" {name}()" in diagnostic.message for name in names)


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _definition(path: str, name: str) -> Tuple[Optional[int], bool]:
    """The line of the module-level statement that defines ``name``
    (``Class.attribute`` in its class), and whether it creates the value
    there (``seen = store.SEEN`` only names another module's)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None, False
    body, found = tree.body, None
    for part in name.split("."):
        statement = next((statement for statement in body if part in _defined_names(statement)), None)
        if statement is None:
            break
        body, found = getattr(statement, "body", []), statement
    if found is None:
        return None, False
    return found.lineno, not isinstance(getattr(found, "value", None), (ast.Name, ast.Attribute))


def _defined_names(statement) -> set:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    return {target.id for target in targets if isinstance(target, ast.Name)}


def render(found: List[Difference], events: int) -> List[str]:
    """Per invocation, what differs; state already described at an earlier one in one line."""
    lines, described = [], set()
    for number in sorted({difference.invocation for difference in found}):
        lines.append(f"invocation {number + 1} of {events}:")
        for difference in (d for d in found if d.invocation == number):
            if difference.what in described and difference.kind:
                lines.append(f"  {difference.what}: warm {_value(difference.warm, difference.cold)}, "
                             f"cold {_value(difference.cold, difference.warm)}")
                continue
            described.add(difference.what)
            lines.extend("  " + line for line in _describe(difference))
    return lines


def _describe(difference: Difference) -> List[str]:
    if difference.what == "output":
        changes = difflib.unified_diff([_line(item) for item in difference.cold],
                                       [_line(item) for item in difference.warm], "cold", "warm", lineterm="", n=1)
        return ["printed or logged (- cold, + warm):", *("  " + line for line in list(changes)[2:])]
    if difference.what == "return value":
        return ["return value:", f"  warm: {_json(difference.warm)}", f"  cold: {_json(difference.cold)}"]
    where = ""
    if difference.file:
        where = f", defined at {os.path.relpath(difference.file)}" + (f":{difference.line}" if difference.line else "")
    found_by = f"; warmstate check finds it: {', '.join(difference.rules)}" if difference.rules else \
        "; no static finding names it"
    return [f"{difference.what} ({difference.kind}{where}{found_by})",
            f"  warm: {_value(difference.warm, difference.cold)}", f"  cold: {_value(difference.cold, difference.warm)}"]


def _value(value, other) -> str:
    """A state's value in words; a container's contents digest only when the sizes do not differ."""
    if value is None:
        return "absent"
    if isinstance(value, str):
        return value  # a scalar's repr, a digest
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
        size = f"{value[0]} item{'s' if value[0] != 1 else ''}"
        same_size = isinstance(other, list) and other[:1] == value[:1]
        return f"{size}, contents {value[1]}" if same_size else size
    return _json(value)


def _json(value) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _line(item) -> str:
    return item if isinstance(item, str) else json.dumps(item, sort_keys=True)


def state_files(found: Iterable[Difference]) -> Dict[str, None]:
    """The files that define the differing state (what a static check looks at)."""
    return {difference.file: None for difference in found if difference.file}
