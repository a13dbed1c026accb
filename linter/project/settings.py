"""Paths, configuration and command-line selections, resolved once per run
into the files to check and the options each file is checked with."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable, Dict, List, Optional, Sequence

from linter.project.config import Config, HandlerSpec, load_config, parse_handler_spec, validate_codes
from linter.project.file_facts import FileFacts
from linter.project.layout import Layout
from linter.project.units import ImportGraph
from linter.output.diagnostics import FileError
from linter.project.discovery import Discovery, gitignore_spec


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
    deployed: List[HandlerSpec] = field(default_factory=list)  # from deployment definitions
    covered: List[str] = field(default_factory=list)  # code directories deployment definitions describe
    _absolute: Dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # file name -> absolute path
    _covered_directories: Dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def codes_for(self, path: str) -> frozenset:
        if not self.per_file_ignores:
            return self.codes
        relative = os.path.relpath(os.path.abspath(path), self.config.root).replace(os.sep, "/")
        codes = self.codes
        for spec, ignored in self.per_file_ignores:
            if spec.match_file(relative) or spec.match_file(os.path.basename(path)):
                codes = frozenset(c for c in codes if not any(c.startswith(i) for i in ignored))
        return codes

    def handlers_for(self, path: str) -> Optional[Dict[str, str]]:
        """The handlers named for ``path`` (command line, configuration,
        deployment definitions); an empty dict for a file in code a
        deployment definition describes but whose handlers are elsewhere
        (no heuristics there); None where the heuristics decide."""
        explicit = {spec.function: spec.origin for spec in [*self.handler_specs, *self._deployed_for(path)]
                    if spec.matches(path)}
        if explicit:
            return explicit
        return {} if self._in_covered(os.path.dirname(self._absolute_path(path))) else None

    def _in_covered(self, directory: str) -> bool:
        """Whether ``directory`` is in code a deployment definition describes,
        remembered per directory: thousands of files ask about the same few hundred."""
        known = self._covered_directories.get(directory)
        if known is None:
            parent = os.path.dirname(directory)
            known = directory in self._covered or (parent != directory and self._in_covered(parent))
            self._covered_directories[directory] = known
        return known

    def optional_handlers_for(self, path: str) -> frozenset:
        """Handlers a deployment definition names for ``path``: one that is
        missing is a warning (the definition may be stale), not an error."""
        return frozenset(spec.function for spec in self._deployed_for(path))

    def _deployed_for(self, path: str) -> List[HandlerSpec]:
        return self._deployed_by_file.get(self._absolute_path(path), [])

    def _absolute_path(self, path: str) -> str:
        """Made absolute once per file: each file's settings ask several times, and a project has thousands."""
        if path not in self._absolute:
            self._absolute[path] = os.path.abspath(path)
        return self._absolute[path]

    @cached_property
    def _covered(self) -> frozenset:
        """``covered`` as a set: a file asks about each of its directories
        rather than each of hundreds of code roots."""
        return frozenset(os.path.abspath(root) for root in self.covered)

    @cached_property
    def _deployed_by_file(self) -> Dict[str, List[HandlerSpec]]:
        """Deployment definitions name handler files by path: indexed, as a
        template names hundreds of functions and every file asks."""
        found: Dict[str, List[HandlerSpec]] = {}
        for spec in self.deployed:
            found.setdefault(os.path.abspath(os.path.join(spec.base, spec.target)), []).append(spec)
        return found

    def with_definitions(self, definitions, absolute: Dict[str, str]) -> "Settings":
        """``absolute``: the project's files' absolute paths (:func:`linter.project.paths.absolute_paths`)."""
        specs = []
        for function in definitions.functions:
            path = function.handler_file()
            if path is not None:
                specs.append(HandlerSpec(f"{function.module}.{function.function}", path, function.function, "",
                                         function.origin))
        return replace(self, deployed=specs, covered=definitions.code_roots, _absolute=absolute)


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
    import_roots: List[str] = field(default_factory=list)  # code and layer directories from deployment definitions
    facts: FileFacts = field(default_factory=FileFacts)  # of the project's files, as read for the import graph
    absolute: Dict[str, str] = field(default_factory=dict)  # the project's files' absolute paths
    # a file of ``files`` that another of them reaches too (a link) -> the path it is reported under
    # (:meth:`linter.project.discovery.Discovery.reported_names`); every path is still analysed
    reported_as: Dict[str, str] = field(default_factory=dict)

    @cached_property
    def layout(self) -> Layout:
        return Layout(self.root, self.project_files, self.import_roots, self.absolute)

    def import_graph(self) -> ImportGraph:
        return ImportGraph(self.project_files, lambda path: self.facts.imported_files(path, self.layout))

    def units(self, graph: ImportGraph) -> List[List[str]]:
        """The files to analyse, in groups that import each other: the named
        files, the files that import them (a handler there may reach them)
        and the files those import."""
        return graph.units(graph.needed(self.files))


def project_root(start: str, config: Config) -> str:
    """The nearest directory at or above ``start`` that holds a deployment
    definition (a Lambda project is deployed from there), the configuration
    file or a repository (``.git``).  Without any of them: the current
    directory when the paths are below it (a project is usually checked from
    its root), or where the paths start."""
    from linter.project.deployment.definitions import holds_definition

    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    current = directory
    while True:
        if current == config.root and config.source is not None:
            return current
        if os.path.exists(os.path.join(current, ".git")) or holds_definition(current):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    here = os.getcwd()
    return here if directory == here or directory.startswith(here + os.sep) else directory


def holds_unrelated_projects(directory: str) -> bool:
    """The file system's root, the home directory or the temporary
    directory: a file checked there without any project marker around it
    (``warmstate check /tmp/handler.py``) is not part of a project made of
    everything else there."""
    real = os.path.realpath(directory)
    if real in {os.path.realpath(place) for place in (os.path.abspath(os.sep), os.path.expanduser("~"))}:
        return True
    if os.path.basename(real).lower() not in _TEMPORARY_NAMES and real not in _temporary_variables():
        return False  # cannot be the temporary directory: tempfile need not be imported to tell
    import tempfile

    return real == os.path.realpath(tempfile.gettempdir())


# What tempfile.gettempdir() can be: $TMPDIR, $TEMP or $TMP, else a directory named so
# (/tmp, /var/tmp, C:\TEMP, ~\AppData\Local\Temp).
_TEMPORARY_NAMES = ("tmp", "temp")


def _temporary_variables() -> set:
    return {os.path.realpath(os.environ[name]) for name in ("TMPDIR", "TEMP", "TMP") if os.environ.get(name)}


def _warning(message: str) -> FileError:
    """``definition-file: message`` as a warning about the definition's file."""
    where, _, rest = message.partition(": ")
    return FileError(where, rest, level="warning")


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
        (gitignore_spec([pattern]), ignored)
        for pattern, ignored in config.per_file_ignores.items()
    ]
    return Settings(config, codes, specs, per_file)


def open_project(paths: Sequence[str], selection: Selection, known_codes: Sequence[str],
                 facts_for: Callable[[str], FileFacts] = lambda root: FileFacts()) -> Project:
    """``facts_for(root)``: what earlier runs know of the files of a project at ``root``."""
    start = _common_start(paths)
    settings = load_settings(start, selection, known_codes)
    discovery = Discovery(settings.config, selection.force_exclude)
    files, errors = discovery.files(list(paths))
    root = project_root(start, settings.config)
    whole = all(os.path.isdir(path) and os.path.abspath(path) == root for path in paths)
    return describe_project(settings, root, files, errors, files if whole else None, facts_for(root),
                            discovery.reported_names(files, paths))


def describe_project(settings: Settings, root: str, files: List[str], errors: List[FileError],
                     everything: Optional[List[str]] = None, facts: Optional[FileFacts] = None,
                     reported_as: Optional[Dict[str, str]] = None) -> Project:
    """The project under ``root``: its Python files (``everything``, when
    already found), and the handlers, code directories and layers its
    deployment definitions describe (a definition naming a file that is not
    there is a warning).  ``reported_as``: see :attr:`Project.reported_as`."""
    from linter.project.deployment.definitions import Definitions, find_definitions

    facts = facts if facts is not None else FileFacts()
    unrelated = holds_unrelated_projects(root)  # then only what was named: not every project under /tmp or ~
    if unrelated:
        project_files = sorted(set(files))
    else:
        if everything is None:
            everything, _ = Discovery(settings.config).files([root])
        project_files = sorted(set(everything) | set(files))
    absolute = facts.locate(project_files)  # before the definitions, whose CDK stacks are looked up by it
    definitions = Definitions() if unrelated else find_definitions(root, project_files, facts.cdk_functions,
                                                                    facts.document)
    warnings = [_warning(message) for message in definitions.warnings]
    for function in definitions.functions:
        if function.handler_file() is None:
            module = os.path.relpath(os.path.join(function.code_root, *function.module.split("."))) + ".py"
            warnings.append(_warning(f"{function.origin} names the handler {function.module}.{function.function}, "
                                     f"but {module} does not exist"))
    return Project(settings.with_definitions(definitions, absolute), files, errors + warnings, root, project_files,
                   definitions.code_roots + definitions.layer_roots, facts, absolute, reported_as or {})
