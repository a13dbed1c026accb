"""Results of earlier runs, so that a rerun pays only for the units that changed.

A unit's findings depend on nothing but the texts of its files, the options
each is checked with, which files it was asked about, the project's files
(imports resolve against them), the library versions the project declares,
and warmstate itself (its code, and the Python and LibCST it runs on).  The
key is a hash of all of them, so an entry can never be stale: a changed input
is a different key.  A unit whose key is stored is neither parsed nor
analysed.

ruff's ``.ruff_cache`` is the model: ``.warmstate_cache/`` at the project
root, with a ``.gitignore`` of ``*`` (git never sees it) and a
``CACHEDIR.TAG`` (backup tools skip it).  Entries are JSON, one file per
unit, written atomically, so parallel runs cannot corrupt each other and an
entry from elsewhere cannot run code; an unreadable entry is a miss, and a
cache directory that cannot be written is simply not used.  Only ``check``
stores results; ``fix`` uses one when it says there is nothing to fix.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from functools import lru_cache
import importlib.util
from pathlib import Path
from typing import Dict, List, Optional

from linter import __version__
from linter.output.diagnostics import Diagnostic, FileError, Fix
from linter.project.file_facts import FileFacts
from linter.project.requirements import declared_requirements

DIRECTORY_NAME = ".warmstate_cache"
ENVIRONMENT_VARIABLE = "WARMSTATE_CACHE_DIR"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by warmstate.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def cache_directory(root: str, option: Optional[str]) -> str:
    """``--cache-dir``, else ``WARMSTATE_CACHE_DIR``, else ``.warmstate_cache`` at the project root."""
    return option or os.environ.get(ENVIRONMENT_VARIABLE) or os.path.join(root, DIRECTORY_NAME)


@lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """warmstate's version and a hash of its own code (a change to a rule
    during development is a new cache), with the Python and LibCST it runs on."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__} {sys.version} {_libcst_version()}".encode())
    base = Path(__file__).resolve().parent.parent
    for package in ("linter", "rules"):
        for path in sorted((base / package).rglob("*.py")):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _libcst_version() -> str:
    """LibCST's version file, read without importing LibCST (a fifth of a
    second) or importlib.metadata (20 ms, most of what remains of a run
    whose results are all cached); its metadata when there is no such file."""
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.origin is not None:
        try:
            return Path(spec.origin).with_name("_version.py").read_text(encoding="utf-8")
        except OSError:
            pass
    from importlib import metadata

    return metadata.version("libcst")


def canonical(value) -> object:
    """``value`` as JSON-able data that is the same in every process (sets
    sorted: their iteration order changes with string hashing)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if isinstance(value, dict):
        return sorted([canonical(k), canonical(v)] for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(canonical(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class ResultCache:
    def __init__(self, directory: str):
        self.directory = Path(directory)
        self._entries = self.directory / code_fingerprint()
        self._entries_path = str(self._entries)
        self._requirements: Dict[str, object] = {}
        self._declared_sets: Dict[tuple, bytes] = {}
        self._canonical: Dict[int, tuple] = {}
        self._lines: Dict[tuple, bytes] = {}  # (path, id(options), digest) -> its key material
        self._usable = True

    def key(self, task, digests: Dict[str, str]) -> Optional[str]:
        """The unit's key from the digests of its files' texts; None when one could not be read."""
        digest = hashlib.blake2b(digest_size=20)
        for path, options in task.files:
            text = digests.get(path)
            if text is None:
                return None
            line = self._lines.get((path, id(options), text))  # a layer's files are in every piece
            if line is None:
                line = self._lines[path, id(options), text] = f"{json.dumps(path)} {self._options(options)} {text}\n".encode()
            digest.update(line)
        digest.update(json.dumps([sorted(task.requested), sorted(task.shared), self._layout(task.layout)]).encode())
        digest.update(self._declared_in(tuple(task.requirement_directories())))
        return digest.hexdigest()

    def _declared_in(self, directories: tuple) -> bytes:
        """What ``directories`` declare, as key material: the pieces of a
        unit share their unit's hundreds of directories."""
        if directories not in self._declared_sets:
            self._declared_sets[directories] = json.dumps([self._declared(d) for d in directories]).encode()
        return self._declared_sets[directories]

    def _options(self, options) -> str:
        """canonical(options) as JSON, computed once per options object (the
        CLI makes one for all the files whose options are equal), and the
        enabled codes once per set of codes (files whose handlers a
        deployment definition names each have their own options, all with the same codes)."""
        if id(options) not in self._canonical:
            fields = {f.name: self._codes(value) if f.name == "codes" else canonical(value)
                      for f in dataclasses.fields(options) for value in [getattr(options, f.name)]}
            self._canonical[id(options)] = (options, json.dumps([type(options).__name__, fields]))  # kept: ids are not reused
        return self._canonical[id(options)][1]

    def _codes(self, codes) -> object:
        if id(codes) not in self._canonical:
            self._canonical[id(codes)] = (codes, canonical(codes))
        return self._canonical[id(codes)][1]

    @staticmethod
    def _layout(layout) -> object:
        """The project's files and import roots (what imports resolve against),
        hashed once per run by the layout every unit shares.  Which name the
        run shows each file by is in the key already: each file's path is."""
        return layout.digest if layout is not None else None

    def _declared(self, directory: str) -> object:
        if directory not in self._requirements:
            self._requirements[directory] = canonical(
                {name: [(d.text, d.where) for d in found] for name, found in declared_requirements([directory]).items()})
        return self._requirements[directory]

    def load(self, key: Optional[str]):
        """The stored result of a unit (runner.UnitResult), or None."""
        if key is None:
            return None
        try:
            with open(os.path.join(self._entries_path, f"{key}.json"), encoding="utf-8") as stream:
                data = json.load(stream)  # no pathlib: a rerun reads hundreds of entries
            return _unit_result(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def store(self, key: Optional[str], result) -> None:
        if key is not None:
            self._write(f"{key}.json", _unit_data(result))

    def file_facts(self, root: str) -> FileFacts:
        """What earlier runs kept of the files of the project at ``root``."""
        try:
            kept = json.loads(self._facts_file(root).read_text(encoding="utf-8"))
            return FileFacts.from_kept(kept)
        except (OSError, ValueError, TypeError, KeyError):
            return FileFacts()

    def keep_facts(self, root: str, facts: FileFacts) -> None:
        kept = facts.to_keep()
        if kept is not None:
            self._write(self._facts_file(root).name, kept)

    def _facts_file(self, root: str) -> Path:
        """One per project: several projects may share a cache directory (``WARMSTATE_CACHE_DIR``)."""
        digest = hashlib.blake2b(os.path.abspath(root).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        return self._entries / f"files-{digest}.json"

    def _write(self, name: str, data) -> None:
        """Write an entry whole or not at all (runs may share the cache)."""
        if not self._usable:
            return
        try:
            import tempfile  # only when an entry is written: a rerun with nothing changed writes none

            self._prepare()
            handle, temporary = tempfile.mkstemp(dir=self._entries, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(data, separators=(",", ":")))
            os.replace(temporary, self._entries / name)
        except OSError:
            self._usable = False  # a read-only checkout: run without a cache

    def _prepare(self) -> None:
        if self._entries.is_dir():
            return
        self._entries.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Automatically created by warmstate.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = self.directory / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")


def _unit_data(result) -> dict:
    return {"files": [
        {"path": file.path, "diagnostics": [dataclasses.asdict(d) for d in file.diagnostics],
         "errors": [dataclasses.asdict(e) for e in file.errors]}
        for file in result.files
    ], "witnesses": result.witnesses}


def _unit_result(data: dict):
    from linter.runner import TaskResult, UnitResult

    files: List[TaskResult] = []
    for file in data["files"]:
        if not file["diagnostics"] and not file["errors"]:  # most files: nothing to build
            files.append(TaskResult(file["path"]))
            continue
        diagnostics = [_diagnostic(d) for d in file["diagnostics"]]
        files.append(TaskResult(file["path"], diagnostics=diagnostics, errors=[FileError(**e) for e in file["errors"]]))
    return UnitResult(files, witnesses=data["witnesses"])


def _diagnostic(data: dict) -> Diagnostic:
    fix = data.pop("fix")
    if fix is not None:
        fix = Fix(fix["applicability"], fix["message"], (), tuple(fix["text_edits"]))
    return Diagnostic(**data, fix=fix)
