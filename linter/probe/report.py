"""Compare a warm run with cold runs, invocation by invocation, and say what
differs in words: the return value (or the exception), the lines printed or
logged, and each piece of state the fingerprint holds, with the module and
line that define it and the rule that finds it statically."""
from __future__ import annotations

import ast
import difflib
import json
import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

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


@dataclass
class Difference:
    invocation: int  # 0-based
    what: str  # "return value", "output", or the state's key
    warm: object
    cold: object
    kind: str = ""
    file: Optional[str] = None
    name: Optional[str] = None
    line: Optional[int] = None
    rules: List[str] = field(default_factory=list)


def outcome(record: dict) -> object:
    if record.get("exited") is not None:
        return {"exited with": record["exited"]}
    if record.get("raised") is not None:
        return {"raised": record["raised"]}
    return record["result"]


def differences(warm: List[dict], cold: List[dict]) -> List[Difference]:
    """What differs between the warm run's invocation n+1 and the cold run of the same event (``cold[n]``)."""
    found = []
    for number, (warm_record, cold_record) in enumerate(zip(warm[1:], cold), start=1):
        if outcome(warm_record) != outcome(cold_record):
            found.append(Difference(number, "return value", outcome(warm_record), outcome(cold_record)))
        if warm_record["output"] != cold_record["output"]:
            found.append(Difference(number, "output", warm_record["output"], cold_record["output"]))
        warm_state, cold_state = warm_record["state"], cold_record["state"]
        for key in sorted(set(warm_state) | set(cold_state)):
            entry = warm_state.get(key) or cold_state[key]
            warm_value = warm_state[key]["value"] if key in warm_state else None
            cold_value = cold_state[key]["value"] if key in cold_state else None
            if warm_value != cold_value:
                found.append(Difference(number, key, warm_value, cold_value, entry["kind"], entry["file"],
                                        entry["name"]))
    return found


def locate(found: Iterable[Difference], diagnostics: Iterable) -> None:
    """Fill in where each piece of state is defined and which rules find it."""
    diagnostics = list(diagnostics)
    for difference in found:
        if difference.file and difference.name:
            difference.line = definition_line(difference.file, difference.name)
        difference.rules = sorted({d.code for d in diagnostics if _finds(d, difference)})


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


def definition_line(path: str, name: str) -> Optional[int]:
    """The line of the module-level statement that defines ``name`` (``Class.attribute`` in its class)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None
    body, line = tree.body, None
    for part in name.split("."):
        found = next((statement for statement in body if part in _defined_names(statement)), None)
        if found is None:
            return line
        body, line = getattr(found, "body", []), found.lineno
    return line


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
            if difference.what in described:
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
