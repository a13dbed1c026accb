"""flake8 plugin: the findings of ``warmstate check``, reported by flake8.

flake8 classifies a plugin by its constructor's parameter names, so this one
takes ``tree`` (making it a tree plugin, run once per file) but analyses the
``lines`` flake8 has already read: no second read of the file.  flake8 applies
``# noqa`` itself and never reads pyproject.toml, so the plugin reads
``[tool.warmstate]`` (handlers, select, ignore, per-file-ignores) from the
pyproject.toml nearest to each file.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Iterator, Optional, Tuple

from linter import __version__
from linter.project.config import ConfigError
from linter.project.discovery import display_path
from linter.project.requirements import declared_requirements, requirement_directories
from linter.project.settings import Selection, Settings, describe_project, load_settings, project_root


def _known_codes():
    from rules import ALL_RULES

    return [rule.code for rule in ALL_RULES]


@lru_cache(maxsize=None)
def _settings(directory: str, handlers: Tuple[str, ...]) -> Optional[Settings]:
    try:
        return load_settings(directory, Selection(handlers=list(handlers)), _known_codes())
    except ConfigError as error:
        print(f"warmstate: error: {error}", file=sys.stderr)
        return None


class WarmstateChecker:
    name = "warmstate"
    version = __version__
    handlers: Tuple[str, ...] = ()
    checked: Tuple[str, ...] = ()  # the paths flake8 was given: every file under them gets its own turn

    def __init__(self, tree, filename: str, lines):
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        manager.add_option(
            "--warmstate-handlers",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Lambda handlers as MODULE_OR_PATH:FUNC, comma-separated (replace the heuristics per file)",
        )

    @classmethod
    def parse_options(cls, options) -> None:
        cls.handlers = tuple(options.warmstate_handlers)
        cls.checked = tuple(os.path.abspath(path) for path in getattr(options, "filenames", None) or ["."])

    def run(self) -> Iterator[tuple]:
        from linter.engine import FileOptions, SourceText, lint_sources
        from rules import ALL_RULES

        directory = os.path.dirname(os.path.abspath(self.filename))
        settings = _settings(directory, self.handlers)
        if settings is None:
            return
        text = "".join(self.lines)
        if text.startswith("\ufeff"):
            text = text[1:]
        project, graph = _project(settings, directory)
        settings = project.settings  # with the handlers deployment definitions name
        name = display_path(self.filename)

        def options(path: str) -> FileOptions:
            return FileOptions(settings.codes_for(path), settings.handlers_for(path),
                               settings.optional_handlers_for(path), inline_noqa=False,
                               accumulators=settings.config.accumulators)

        unit = [path for path in sorted(graph.needed([name])) if path != name]  # importers, and what they import
        sources = [SourceText(path, _read_text(path), options(path)) for path in unit]
        sources.append(SourceText(name, text, options(name)))
        requirements = declared_requirements(requirement_directories(project.root, [source.path for source in sources]))
        # A file LibCST cannot parse gives no findings: flake8 reports E999 itself.
        requested = frozenset(source.path for source in sources if source.path == name or self._checked(source.path))
        for diagnostic in lint_sources(sources, ALL_RULES, project.layout, requirements, requested)[name].diagnostics:
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)

    def _checked(self, path: str) -> bool:
        """Whether flake8 checks ``path`` in this run too (a finding there is
        reported there, not again at a handler in this file)."""
        absolute = os.path.abspath(path)
        return any(absolute == given or absolute.startswith(given + os.sep) for given in self.checked)


def _read_text(path: str) -> str:
    from linter.parsing.source import SourceError, read_source

    try:
        return read_source(path).text
    except SourceError:
        return ""


_PROJECTS = {}  # (id(settings), root) -> (Project, ImportGraph): found once per project in this process


def _project(settings: Settings, directory: str):
    """The project a file in ``directory`` belongs to (its root, every Python
    file under it and what its deployment definitions say) and its import graph."""
    root = project_root(directory, settings.config)
    if (id(settings), root) not in _PROJECTS:
        from linter.project.units import ImportGraph

        project = describe_project(settings, root, [], [])
        _PROJECTS[id(settings), root] = project, ImportGraph(project.layout, project.project_files, _read_text)
    return _PROJECTS[id(settings), root]
