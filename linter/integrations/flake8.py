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
from linter.recursion import allow_deep_recursion
from rules import CODES


@lru_cache(maxsize=None)
def _settings(directory: str, handlers: Tuple[str, ...]) -> Optional[Settings]:
    try:
        return load_settings(directory, Selection(handlers=list(handlers)), CODES)
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
        from linter.engine import SourceText
        from linter.project.file_options import FileOptions

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

        on_disk = self._checked(name) and text == _read_text(name)
        shared = _shared_unit(project, graph, name, self._checked) if on_disk else None
        if shared is not None:  # analysed once for every file flake8 checks in it
            diagnostics = _unit_diagnostics(project, shared, options, self._checked)[name]
        else:  # text the disk does not have (stdin, an editor's unsaved buffer)
            unit = [path for path in sorted(graph.needed([name])) if path != name]  # importers, and what they import
            sources = [SourceText(path, _read_text(path), options(path)) for path in unit]
            sources.append(SourceText(name, text, options(name)))
            diagnostics = _lint(project, sources, frozenset(s.path for s in sources
                                                            if s.path == name or self._checked(s.path)))[name]
        for line, column, code, message in diagnostics:
            yield line, column - 1, f"{code} {message}", type(self)

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


_PROJECTS = {}  # (configuration file, handlers, root) -> (Project, ImportGraph): once per project in this process
_UNITS = {}  # id(project) -> {file: its unit}: the units of what flake8 checks, as `warmstate check` makes them
_DIAGNOSTICS = {}  # unit -> {file: diagnostics}: each unit analysed once per process


def _lint(project, sources, requested) -> dict:
    """{file: diagnostics} of ``sources`` analysed together.  A file LibCST
    cannot parse gives no findings: flake8 reports E999 itself."""
    from linter.engine import lint_sources, no_cyclic_collection
    from rules import ALL_RULES

    allow_deep_recursion()  # as `warmstate` does: flake8 leaves Python's 1,000 frames, too few for a long sum
    requirements = declared_requirements(requirement_directories(project.root, [source.path for source in sources]))
    with no_cyclic_collection():  # until the trees are dropped
        results = lint_sources(sources, ALL_RULES, project.layout, requirements, requested)
        findings = {path: [(d.line, d.column, d.code, d.message) for d in result.diagnostics]  # no fixes: they hold trees
                    for path, result in results.items()}
        del results
    return findings


def _shared_unit(project, graph, name: str, checked) -> Optional[Tuple[str, ...]]:
    """The unit ``name`` is analysed in: the files flake8 checks, the files
    importing them and the files those import, split into the groups that
    import each other, exactly as ``warmstate check`` on the same paths
    splits them.  flake8 calls the plugin once per file: without sharing,
    each file of a layer every handler imports would analyse the whole
    project again."""
    if id(project) not in _UNITS:
        wanted = [path for path in project.project_files if checked(path)]
        _UNITS[id(project)] = {path: tuple(unit) for unit in graph.units(graph.needed(wanted)) for path in unit}
    return _UNITS[id(project)].get(name)


def _unit_diagnostics(project, unit: Tuple[str, ...], options, checked) -> dict:
    if unit not in _DIAGNOSTICS:
        from linter.engine import SourceText

        sources = [SourceText(path, _read_text(path), options(path)) for path in unit]
        _DIAGNOSTICS[unit] = _lint(project, sources, frozenset(path for path in unit if checked(path)))
    return _DIAGNOSTICS[unit]


def _project(settings: Settings, directory: str):
    """The project a file in ``directory`` belongs to (its root, every Python
    file under it and what its deployment definitions say) and its import graph."""
    root = project_root(directory, settings.config)
    # Settings are loaded per directory; files under one configuration share one project.
    key = (settings.config.source, tuple(spec.text for spec in settings.handler_specs), root)
    if key not in _PROJECTS:
        project = describe_project(settings, root, [], [])
        _PROJECTS[key] = project, project.import_graph()
    return _PROJECTS[key]
