"""Which files to check: ``*.py`` under the given paths, minus what a user
never wants linted (VCS and tool directories, virtual environments, what
``.gitignore`` ignores, the configured ``exclude`` globs).

``.gitignore`` matching is pathspec's, which implements git's rules exactly;
it is imported only when there is a pattern to match (a fifth of the time of
a run whose results are all cached, in a project without ``.gitignore``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional, Tuple

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


def display_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class Discovery:
    def __init__(self, config: Config, force_exclude: bool = False):
        self.config = config
        self.force_exclude = force_exclude
        self.exclude = gitignore_spec(config.exclude) if config.exclude else None

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
        found = []
        ignores = _Ignores(root)
        for directory, subdirectories, files in os.walk(root):
            absolute = os.path.abspath(directory)
            shown = display_path(directory)  # as its files are shown: once per directory, not per file
            ignores.add(absolute)
            subdirectories[:] = sorted(
                name
                for name in subdirectories
                if name not in SKIPPED_DIRECTORIES
                and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
                and not self._left_out(ignores, directory, absolute, name, is_dir=True)
            )
            for name in files:
                if name.endswith(".py") and not self._left_out(ignores, directory, absolute, name, is_dir=False):
                    found.append(name if shown == os.curdir else os.path.join(shown, name))
        return found

    def _left_out(self, ignores: _Ignores, directory: str, absolute: str, name: str, is_dir: bool) -> bool:
        """Ignored by a .gitignore or excluded (``absolute``: ``directory`` made
        absolute); no path is made when there is nothing to match."""
        return ((bool(ignores.specs) and ignores.ignored(os.path.join(absolute, name), is_dir=is_dir))
                or (self.exclude is not None and self.excluded(os.path.join(directory, name))))
