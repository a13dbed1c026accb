"""Which files to check: ``*.py`` under the given paths, minus what a user
never wants linted (VCS and tool directories, virtual environments, what
``.gitignore`` ignores, the configured ``exclude`` globs).

``.gitignore`` matching is pathspec's, which implements git's rules exactly;
it is imported only when there is a pattern to match (a fifth of the time of
a run whose results are all cached, in a project without ``.gitignore``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Collection, Dict, List, Optional, Sequence, Set, Tuple

from linter.project.config import Config
from linter.output.diagnostics import FileError

if TYPE_CHECKING:
    import pathspec

SKIPPED_DIRECTORIES = frozenset(
    {
        ".git", ".hg", ".svn", "__pycache__", "build", "dist", ".venv", "venv", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".warmstate_cache", "node_modules", ".aws-sam", ".eggs",
    }
)


def gitignore_spec(lines) -> "pathspec.PathSpec":
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _read_gitignore(directory: str) -> Optional["pathspec.PathSpec"]:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return gitignore_spec(handle)
    except OSError:
        return None


class _Ignores:
    """The .gitignore files that apply below a directory, nearest last.

    As in git and ruff, ignore files apply below the path a user names: an
    ancestor's ``.gitignore`` that ignores the named directory itself (a
    checkout inside another repository's ignored folder, a tool's install
    directory) is not applied to what is below it."""

    def __init__(self, start: str):
        self.specs: List[Tuple[str, "pathspec.PathSpec"]] = []
        ancestors = []
        start = directory = os.path.abspath(start)
        while True:
            ancestors.append(directory)
            parent = os.path.dirname(directory)
            if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
                break
            directory = parent
        for directory in reversed(ancestors[1:]):
            self.add(directory)
            if self.ignored(start, is_dir=True):
                self.specs.pop()

    def add(self, directory: str) -> None:
        spec = _read_gitignore(directory)
        if spec is not None:
            self.specs.append((directory, spec))

    def ignored(self, path: str, is_dir: bool) -> bool:
        for base, spec in self.specs:
            if path.startswith(base + os.sep):
                relative = os.path.relpath(path, base).replace(os.sep, "/")
                if spec.match_file(relative + "/" if is_dir else relative):
                    return True
        return False


def one_name_per_file(files: Sequence[str], named: Collection[str], links: Collection[str]) -> Dict[str, str]:
    """The files among ``files`` that are another path to a file also in
    ``files`` (a symbolic link to a sibling module, a shared module linked
    into each function's directory, a path through a linked directory), each
    mapped to the one path the file is reported under: one named on the
    command line (``named``) if any (as ruff, the name given), else one
    that is not a link (``links``), else the first in sorted order.
    One ``realpath`` per directory."""
    directories: Dict[str, Tuple[str, bool]] = {}  # directory -> its real path, and whether that is elsewhere
    by_file: Dict[str, List[Tuple[tuple, str]]] = {}
    for path in files:
        directory, name = os.path.split(path)
        if directory not in directories:
            absolute = os.path.abspath(directory)
            real = os.path.realpath(absolute)
            directories[directory] = (real, real != absolute)
        real_directory, moved = directories[directory]
        link = path in links
        real = os.path.realpath(path) if link else os.path.join(real_directory, name)
        by_file.setdefault(real, []).append(((path not in named, link, moved, path), path))
    names: Dict[str, str] = {}
    for paths in by_file.values():
        if len(paths) > 1:
            chosen = min(paths)[1]
            names.update((path, chosen) for _, path in paths if path != chosen)
    return names


def display_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class Discovery:
    def __init__(self, config: Config, force_exclude: bool = False):
        self.config = config
        self.force_exclude = force_exclude
        self.exclude = gitignore_spec(config.exclude) if config.exclude else None
        self.links: Set[str] = set()  # the files :meth:`files` found that are symbolic links

    def reported_names(self, files: List[str], paths: Sequence[str]) -> Dict[str, str]:
        """:func:`one_name_per_file` for ``files``, found by :meth:`files` from ``paths``.

        Every path stays analysed: the import resolver sees only the project's
        files, and a module linked into a function's directory is imported
        there under the link's name; only findings and counts take one name
        per file.  The walk does not enter linked directories, so below one
        named directory only a file that is a link has another path: without
        one nothing is looked up, and with some only the files named like
        what they point at are."""
        named = {display_path(path) for path in paths if not os.path.isdir(path)}
        links = self.links | {path for path in named if os.path.islink(path)}
        if len(paths) == 1:
            if not links:
                return {}
            targets = {os.path.basename(os.path.realpath(link)) for link in links}
            files = [path for path in files if path in links or os.path.basename(path) in targets]
        return one_name_per_file(files, named, links)

    def excluded(self, path: str) -> bool:
        if self.exclude is None:
            return False
        absolute = os.path.abspath(path)
        relative = os.path.relpath(absolute, self.config.root).replace(os.sep, "/")
        return self.exclude.match_file(relative) or self.exclude.match_file(os.path.basename(absolute))

    def files(self, paths: List[str]) -> Tuple[List[str], List[FileError]]:
        found: List[str] = []
        errors: List[FileError] = []
        for path in paths:
            if os.path.isdir(path):
                below = self._walk(path)
                if not below:
                    errors.append(FileError(path, "no Python files found under this directory", level="warning"))
                found.extend(below)
            elif os.path.exists(path):
                if not (self.force_exclude and self.excluded(path)):
                    found.append(display_path(path))
            else:
                errors.append(FileError(path, "no such file or directory"))
        return sorted(dict.fromkeys(found)), errors

    def _walk(self, root: str) -> List[str]:
        """``*.py`` below ``root``, as ``os.walk`` finds them (a linked
        directory is not entered, an unreadable one skipped); the directory
        entries tell for free which files are symbolic links (``links``)."""
        found = []
        ignores = _Ignores(root)
        pending = [root]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except OSError:
                continue
            absolute = os.path.abspath(directory)
            shown = display_path(directory)  # as its files are shown: once per directory, not per file
            ignores.add(absolute)
            subdirectories = []
            for entry in entries:
                name = entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if (not entry.is_symlink() and name not in SKIPPED_DIRECTORIES
                            and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
                            and not self._left_out(ignores, directory, absolute, name, is_dir=True)):
                        subdirectories.append(name)
                elif name.endswith(".py") and not self._left_out(ignores, directory, absolute, name, is_dir=False):
                    path = name if shown == os.curdir else os.path.join(shown, name)
                    found.append(path)
                    if entry.is_symlink():
                        self.links.add(path)
            pending.extend(os.path.join(directory, name) for name in sorted(subdirectories, reverse=True))
        return found

    def _left_out(self, ignores: _Ignores, directory: str, absolute: str, name: str, is_dir: bool) -> bool:
        """Ignored by a .gitignore or excluded (``absolute``: ``directory`` made
        absolute); no path is made when there is nothing to match."""
        return ((bool(ignores.specs) and ignores.ignored(os.path.join(absolute, name), is_dir=is_dir))
                or (self.exclude is not None and self.excluded(os.path.join(directory, name))))
