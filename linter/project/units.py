"""Which files must be analysed together, found without parsing them.

A finding in ``lib/audit.py`` may need ``app.py``, whose handler reaches it:
when only ``lib/audit.py`` is checked (pre-commit passes the changed files,
flake8 one file at a time), the files that import it, directly or not, are
analysed with it, and so are the files those import.  The import graph comes
from a textual scan of import statements (a regular expression over the
source, much cheaper than a parse); a statement the scan mistakes (``import``
at the start of a line in a string) only adds an edge, which can only make a
unit larger, never lose a finding.

Units are the connected parts of that graph: files in different units cannot
reach each other, so units can be analysed in separate processes.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, List, Set

from linter.project.layout import Layout

_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<module>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    r"|import[ \t]+(?P<modules>[^\n#;]*))",
    re.MULTILINE,
)


def imported_names(text: str) -> List[str]:
    """Dotted names a module's import statements name: ``lib.audit`` for
    ``import lib.audit``; ``lib.audit``, ``lib.audit.record`` for ``from
    lib.audit import record`` (the last may be a submodule); ``.state.SEEN``
    for a relative import."""
    found: List[str] = []
    for match in _IMPORT.finditer(text):
        if match.group("modules") is not None:
            found.extend(_strip_alias(part) for part in match.group("modules").split(","))
            continue
        module = match.group("module")
        found.append(module)
        separator = "" if module.endswith(".") else "."
        names = match.group("names").strip().strip("()")
        found.extend(module + separator + _strip_alias(name) for name in names.split(",") if name.strip())
    return [name for name in found if name and name.strip(".")]


def imported_files(layout: Layout, path: str, names: Iterable[str]) -> Set[str]:
    """The project files ``path`` imports, from the :func:`imported_names` of its imports."""
    targets = set()
    for dotted in names:
        resolved = layout.resolve(path, dotted)
        if resolved is not None and resolved[0] != path:
            targets.add(resolved[0])
    return targets


def _strip_alias(part: str) -> str:
    return part.strip().split(" as ")[0].split()[0] if part.strip() else ""


class ImportGraph:
    def __init__(self, files: Iterable[str], imported: Callable[[str], Set[str]]):
        """``imported(path)``: the files a file imports (:func:`imported_files`)."""
        self.files = list(files)
        self.imports: Dict[str, Set[str]] = {}
        self.imported_by: Dict[str, Set[str]] = {name: set() for name in self.files}
        for name in self.files:
            targets = imported(name)
            self.imports[name] = targets
            for target in targets:
                self.imported_by.setdefault(target, set()).add(name)

    def needed(self, requested: Iterable[str]) -> Set[str]:
        """The requested files, every file that imports one of them (directly
        or not: a handler there may reach it), and every file those import."""
        return self.imported_from(_closure(requested, self.imported_by))

    def importers_of(self, path: str) -> Set[str]:
        """The files that import ``path``, directly or not."""
        return _closure([path], self.imported_by) - {path}

    def imported_from(self, start: Iterable[str], without: Set[str] = frozenset()) -> Set[str]:
        """``start`` and every file they import, directly or not (not through ``without``)."""
        return _closure(start, self.imports, without)

    def units(self, files: Iterable[str]) -> List[List[str]]:
        """``files`` split into the groups that import each other, directly or not."""
        remaining = set(files)
        units = []
        for start in sorted(remaining):
            if start not in remaining:
                continue
            unit, pending = [], [start]
            remaining.discard(start)
            while pending:
                current = pending.pop()
                unit.append(current)
                for neighbour in self.imports.get(current, set()) | self.imported_by.get(current, set()):
                    if neighbour in remaining:
                        remaining.discard(neighbour)
                        pending.append(neighbour)
            units.append(sorted(unit))
        return units


def _closure(start: Iterable[str], edges: Dict[str, Set[str]], without: Set[str] = frozenset()) -> Set[str]:
    found = set(start)
    pending = list(found)
    while pending:
        for neighbour in edges.get(pending.pop(), ()):
            if neighbour not in found and neighbour not in without:
                found.add(neighbour)
                pending.append(neighbour)
    return found
