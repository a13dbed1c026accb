"""Which file an import names.

Lambda puts a function's code directory on ``sys.path`` (the directory a
handler such as ``app.lambda_handler`` is relative to), layers add their
``python/`` folder, and packages are imported from the project root or a
``src/`` folder.  Without a deployment definition to say which directory is
which, an absolute import is looked up the way it would work in any of those
set-ups: in the importing file's own directory first, then in each directory
above it up to the project root, then in the extra roots (``src/``, layer
folders, code directories named by deployment definitions).  A relative
import is looked up from the importing file's package only.

Files are named by their path as the run shows it (``orders/app.py``); the
layout maps those names to absolute paths and back.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Set, Tuple

Resolved = Tuple[str, Tuple[str, ...]]  # (file name, the attribute names after the module)


class Layout:
    def __init__(self, root: str, files: Iterable[str], extra_roots: Iterable[str] = (),
                 absolute: Optional[Dict[str, str]] = None):
        """``absolute``: the files' absolute paths, when already made."""
        self.root = os.path.abspath(root)
        absolute = absolute if absolute is not None else {}
        self.names: Dict[str, str] = {}  # absolute path -> file name as the run shows it
        for name in files:
            self.names[absolute.get(name) or os.path.abspath(name)] = name
        roots = [os.path.join(self.root, "src"), *(os.path.abspath(r) for r in extra_roots)]
        self.extra_roots: List[str] = list(dict.fromkeys(r for r in roots if os.path.isdir(r)))
        self._index()

    def _index(self) -> None:
        self._holding: Optional[Dict[str, Set[str]]] = None
        self._digest: Optional[str] = None
        self._directory = lru_cache(maxsize=None)(_directory)
        self._resolve_from = lru_cache(maxsize=None)(self._resolve)  # by directory: its files all resolve alike
        self._search_order = lru_cache(maxsize=None)(self._search_bases)

    @property
    def holding(self) -> Dict[str, Set[str]]:
        """Made when an import is first resolved: a rerun reads the imports
        of unchanged files back resolved (:mod:`linter.project.file_facts`)."""
        if self._holding is None:
            self._holding = _holding(self.names)
        return self._holding

    @property
    def digest(self) -> str:
        """What decides where imports resolve (the root, the files, the extra
        roots), independent of the directory the run started in."""
        if self._digest is None:
            text = json.dumps([self.root, sorted(self.names), self.extra_roots])
            self._digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return self._digest

    def __getstate__(self):  # sent to worker processes without its caches
        return {"root": self.root, "names": self.names, "extra_roots": self.extra_roots}

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._index()

    def _search_bases(self, directory: str) -> Dict[str, int]:
        """{base: its rank} for an import in a file of ``directory``: the
        directory and those above it (up to the project root), then the extra roots."""
        bases = []
        while True:
            bases.append(directory)
            if directory == self.root or not directory.startswith(self.root + os.sep):
                break
            directory = os.path.dirname(directory)
        return {base: rank for rank, base in enumerate(dict.fromkeys(bases + self.extra_roots))}

    def resolve(self, importer: str, dotted: str) -> Optional[Resolved]:
        """The file ``dotted`` (``lib.audit.record``, ``.state.SEEN``) names
        from ``importer``, and the names after the module part; None when it
        is not a file of the project (a library, the standard library)."""
        return self._resolve_from(self._directory(importer), dotted)

    def _resolve(self, directory: str, dotted: str) -> Optional[Resolved]:
        level = len(dotted) - len(dotted.lstrip("."))
        parts = [part for part in dotted[level:].split(".") if part]
        if level:
            base = directory
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return self._find(base, parts, allow_package_itself=True)
        if not parts:
            return None
        order = self._search_order(directory)
        # Only the bases holding a module or package of the first name, in search order: a
        # template with a code directory per function makes hundreds of bases.
        for base in sorted((base for base in self.holding.get(parts[0], ()) if base in order), key=order.get):
            found = self._find(base, parts, allow_package_itself=False)
            if found is not None:
                return found
        return None

    def _find(self, base: str, parts: List[str], allow_package_itself: bool) -> Optional[Resolved]:
        for length in range(len(parts), -1 if allow_package_itself else 0, -1):
            path = os.path.join(base, *parts[:length])
            for candidate in (path + ".py", os.path.join(path, "__init__.py")):
                name = self.names.get(candidate)
                if name is not None:
                    return name, tuple(parts[length:])
        return None

    def import_name(self, importer: str, target: str, preferred: Iterable[str] = ()) -> Optional[str]:
        """The dotted name an import added to ``importer`` should use for the
        file ``target``: as seen from the first of these directories that
        holds it, ``preferred`` (those the importer's own imports of the
        project are relative to), the directory the importer's top package is
        in (what the runtime has on ``sys.path``: not the importer's own
        directory when that is a package), then the extra roots (layers,
        ``src/``, code directories).  None when no name resolves to it."""
        absolute = os.path.abspath(target)
        for base in dict.fromkeys([*preferred, _package_root(importer), *self.extra_roots]):
            if not absolute.startswith(base + os.sep):
                continue
            parts = os.path.relpath(absolute, base)[: -len(".py")].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            dotted = ".".join(parts)
            if parts and all(part.isidentifier() for part in parts) and self.resolve(importer, dotted) == (target, ()):
                return dotted
        return None

    def import_base(self, importer: str, dotted: str) -> Optional[str]:
        """The directory the absolute import ``dotted`` in ``importer`` is
        relative to, when it names a file of the project."""
        found = self.resolve(importer, dotted) if not dotted.startswith(".") else None
        if found is None:
            return None
        path, rest = os.path.abspath(found[0]), found[1]
        depth = len(dotted.split(".")) - len(rest) + (os.path.basename(path) == "__init__.py")
        for _ in range(depth):
            path = os.path.dirname(path)
        return path


def _holding(paths: Iterable[str]) -> Dict[str, Set[str]]:
    """{name: the directories holding a module or package of that name with
    project files in it}: ``{"orders": {"/p"}, "app": {"/p/orders"}}``."""
    holding: Dict[str, Set[str]] = {}
    for path in paths:
        directory, name = os.path.split(path)
        name = name[: -len(".py")] if name.endswith(".py") else name
        while True:
            known = holding.setdefault(name, set())
            if directory in known:
                break
            known.add(directory)
            parent, name = os.path.split(directory)
            if parent == directory:
                break
            directory = parent
    return holding


def _package_root(path: str) -> str:
    """The directory above the outermost package holding ``path``: where an
    import of it by its full dotted name starts."""
    directory = os.path.dirname(os.path.abspath(path))
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


def _directory(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))
