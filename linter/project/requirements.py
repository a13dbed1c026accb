"""Which versions of a library the project declares it runs with.

Some leaks belong to a library's version, not to the code: a rule about a
bug a library has since fixed must only fire for projects that pin a version
with the bug.  The declarations are read from ``requirements*.txt`` files and
``pyproject.toml`` (PEP 621 ``dependencies`` and Poetry's table) in the
project root and in the directories of the files analysed (a Lambda
function's own code directory often has its own ``requirements.txt``).
Specifiers are PEP 440's, read with ``packaging``; Poetry's ``^``/``~``
shorthands are translated.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional

from linter.project.toml import value_at, toml_parser

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet


_REQUIREMENTS_FILE = re.compile(r"^requirements[\w.-]*\.txt$")


@dataclass(frozen=True)
class Declared:
    specifier: SpecifierSet
    text: str  # as written, for messages
    where: str  # the file it is declared in


def requirement_directories(root: Optional[str], files: Iterable[str]) -> List[str]:
    """Where a unit's library versions may be declared: the project root and
    each directory holding one of its files, up to the root."""
    found = dict.fromkeys([root] if root else [])  # ordered, and a set for the walks up
    for directory in dict.fromkeys(os.path.abspath(head) for head in dict.fromkeys(map(os.path.dirname, files))):
        while directory not in found:
            found[directory] = None
            parent = os.path.dirname(directory)
            if root is None or parent == directory or not directory.startswith(root):
                break
            directory = parent
    return list(found)


def declared_requirements(directories: Iterable[str],
                          read: Optional[Dict[str, Dict[str, List[Declared]]]] = None) -> Dict[str, List[Declared]]:
    """{canonical distribution name: declarations} from the files in ``directories``.
    ``read`` keeps what each directory declares for the rest of a run: the
    pieces of a large unit each name all of its hundreds of directories."""
    found: Dict[str, List[Declared]] = {}
    for directory in dict.fromkeys(os.path.abspath(d) for d in directories):
        declared = read.get(directory) if read is not None else None
        if declared is None:
            declared = _declared_in(directory)
            if read is not None:
                read[directory] = declared
        for distribution, declarations in declared.items():
            found.setdefault(distribution, []).extend(declarations)
    return found


def _declared_in(directory: str) -> Dict[str, List[Declared]]:
    found: Dict[str, List[Declared]] = {}
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return found
    for name in names:  # code directories hold hundreds of files: name first, path only for the few read
        read = _reader(name)
        if read is None:
            continue
        path = os.path.join(directory, name)
        for distribution, declarations in parse_declarations(read(path), os.path.relpath(path)).items():
            found.setdefault(distribution, []).extend(declarations)
    return found


def parse_declarations(lines: Iterable[str], where: str) -> Dict[str, List[Declared]]:
    """{canonical distribution name: declarations} from requirement lines."""
    found: Dict[str, List[Declared]] = {}
    for line in lines:
        declared = _declaration(line, where)
        if declared is not None:
            found.setdefault(declared[0], []).append(declared[1])
    return found


def _reader(name: str):
    """How to read the declarations in a file called ``name``, or None when it holds none."""
    if _REQUIREMENTS_FILE.match(name):
        return _read_lines
    return _pyproject_lines if name == "pyproject.toml" else None


def _read_lines(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return [line.split(" #")[0].strip() for line in handle]
    except OSError:
        return []


def _pyproject_lines(path: str) -> List[str]:
    tomllib = toml_parser()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    dependencies = value_at(document, "project", "dependencies")
    lines = [d for d in dependencies if isinstance(d, str)] if isinstance(dependencies, list) else []
    poetry = value_at(document, "tool", "poetry", "dependencies")
    for name, value in poetry.items() if isinstance(poetry, dict) else ():
        version = value.get("version") if isinstance(value, dict) else value
        if isinstance(version, str):
            lines.append(f"{name}{_from_poetry(version)}")
    return lines


def _from_poetry(version: str) -> str:
    """Poetry's ``^3.8.0`` / ``~3.8`` / ``3.8.0`` as a PEP 440 specifier."""
    version = version.strip()
    if version in ("", "*"):
        return ""
    if version[0] in "^~" and version[1:2].isdigit():
        parts = version[1:].split(".")
        upper = [str(int(parts[0]) + 1)] if version[0] == "^" or len(parts) == 1 else [parts[0], str(int(parts[1]) + 1)]
        return f">={version[1:]},<{'.'.join(upper)}"
    return f"=={version}" if version[0].isdigit() else version


def _declaration(line: str, where: str) -> Optional[tuple]:
    if not line or line.startswith(("#", "-")):
        return None
    # Imported here: a run whose project declares nothing (or whose results are cached) never needs it.
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier
    from packaging.utils import canonicalize_name

    try:
        requirement = Requirement(line)
    except (InvalidRequirement, InvalidSpecifier):
        return None
    return canonicalize_name(requirement.name), Declared(requirement.specifier, line, where)
