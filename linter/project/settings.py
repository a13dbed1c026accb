"""Paths, configuration and command-line selections, resolved once per run
into the files to check and the options each file is checked with."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Dict, List, Optional, Sequence

import pathspec

from linter.project.config import Config, HandlerSpec, load_config, parse_handler_spec, validate_codes
from linter.project.layout import Layout
from linter.project.units import ImportGraph
from linter.output.diagnostics import FileError
from linter.project.discovery import Discovery


@dataclass
class Selection:
    """What the command line adds to the configuration."""

    select: Optional[List[str]] = None  # replaces the configured ``select``
    ignore: List[str] = field(default_factory=list)  # extends the configured ``ignore``
    handlers: List[str] = field(default_factory=list)
    config: Optional[str] = None
    force_exclude: bool = False


@dataclass
class Settings:
    """Configuration and command line resolved, ready to answer per file."""

    config: Config
    codes: frozenset
    handler_specs: List[HandlerSpec]
    per_file_ignores: List[tuple]

    def codes_for(self, path: str) -> frozenset:
        relative = os.path.relpath(os.path.abspath(path), self.config.root).replace(os.sep, "/")
        codes = self.codes
        for spec, ignored in self.per_file_ignores:
            if spec.match_file(relative) or spec.match_file(os.path.basename(path)):
                codes = frozenset(c for c in codes if not any(c.startswith(i) for i in ignored))
        return codes

    def handlers_for(self, path: str) -> Optional[Dict[str, str]]:
        explicit = {spec.function: spec.origin for spec in self.handler_specs if spec.matches(path)}
        return explicit or None


def _common_start(paths: Sequence[str]) -> str:
    absolute = [os.path.abspath(p) for p in paths]
    try:
        return os.path.commonpath(absolute)
    except ValueError:
        return os.getcwd()


@dataclass
class Project:
    """What a run looks at: the files the user named (``files``), and every
    Python file of the project they belong to (``project_files``), which
    imports between them are resolved against."""

    settings: Settings
    files: List[str]
    errors: List[FileError]
    root: str = "."
    project_files: List[str] = field(default_factory=list)

    @cached_property
    def layout(self) -> Layout:
        return Layout(self.root, self.project_files)

    def units(self, read: Callable[[str], str]) -> List[List[str]]:
        """The files to analyse, in groups that import each other: the named
        files, the files that import them (a handler there may reach them)
        and the files those import."""
        graph = ImportGraph(self.layout, self.project_files, read)
        return graph.units(graph.needed(self.files))


def project_root(start: str, config: Config) -> str:
    """The directory of the configuration file; without one, the repository's
    root (the nearest directory above with ``.git``); else the current
    directory when the paths are below it (a project is usually checked from
    its root), or where the paths start."""
    if config.source is not None:
        return config.root
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    current = directory
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    here = os.getcwd()
    return here if directory == here or directory.startswith(here + os.sep) else directory


def load_settings(start: str, selection: Selection, known_codes: Sequence[str]) -> Settings:
    """Raises ConfigError for bad configuration or command-line values."""
    config = load_config(start, selection.config, known_codes)
    select = validate_codes(selection.select, known_codes, "--select") if selection.select else config.select
    ignore = config.ignore + validate_codes(selection.ignore, known_codes, "--ignore")
    codes = frozenset(
        code
        for code in known_codes
        if any(code.startswith(s) for s in select) and not any(code.startswith(i) for i in ignore)
    )
    specs = [parse_handler_spec(text, os.getcwd(), f"--handler {text}") for text in selection.handlers]
    specs += config.handlers
    per_file = [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), ignored)
        for pattern, ignored in config.per_file_ignores.items()
    ]
    return Settings(config, codes, specs, per_file)


def open_project(paths: Sequence[str], selection: Selection, known_codes: Sequence[str]) -> Project:
    start = _common_start(paths)
    settings = load_settings(start, selection, known_codes)
    discovery = Discovery(settings.config, selection.force_exclude)
    files, errors = discovery.files(list(paths))
    root = project_root(start, settings.config)
    everything, _ = discovery.files([root])
    return Project(settings, files, errors, root, sorted(set(everything) | set(files)))
