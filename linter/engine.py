"""Lint a unit of work: the files of a project analysed together.

Each file is parsed once; the modules that parse become one project model
(imports between them are followed), the handlers of every module are found,
and the rules run once over the whole.  Findings are reported in the file
where the state or call they are about is written, filtered by that file's
settings and ``# noqa`` comments.

Importing this module imports LibCST, so the CLI imports it only when a file
must actually be parsed.
"""
from __future__ import annotations

import contextlib
import gc
import json
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from linter.analysis.api import Analysis
from linter.analysis.entry_points import import_graph, may_hold_handler, on_invocation_path
from linter.analysis.handlers import Handler, Helper, find_handlers, missing_handlers, separate_helpers
from linter.analysis.project import ProjectModel
from linter.fixing.text_edits import TextEdits
from linter.output.diagnostics import Diagnostic, FileError
from linter.output.suppression import file_suppression, is_suppressed
from linter.parsing.parse import Prepared, parse_prepared, prepare
from linter.parsing.unreferenced import elide_unreferenced
from linter.parsing.positions import LibcstPositions, PositionIndex
from linter.project.file_options import FileOptions
from linter.project.layout import Layout
from linter.summary.model import build_model


@dataclass(frozen=True)
class SourceText:
    """One file of a unit: its name as the run shows it, its text, its settings."""

    path: str
    text: str
    options: FileOptions
    # Whether the file may hold a handler as far as the run knows before parsing it (its
    # file facts): such files are parsed first, so the others' trees are kept only if needed.
    likely_root: bool = True


@dataclass
class LintResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    module: Optional[cst.Module] = None
    restore: Callable[[str], str] = lambda code: code  # the module's code (fixed) as the file's text
    witnesses: List[str] = field(default_factory=list)  # its handlers and findings, when witnessed (linter.pieces_run)


@dataclass
class UnitAnalysis:
    """The unit's modules, its handlers (and the helpers that only looked
    like handlers), and the Analysis rules query (None without handlers)."""

    modules: Dict[str, cst.Module]
    analysis: Optional[Analysis]
    helpers: List[Helper]
    errors: List[FileError]
    restorers: Dict[str, Callable[[str], str]] = field(default_factory=dict)  # the data elided before parsing, put back


def analyse(sources: Sequence[SourceText], layout: Optional[Layout] = None, requirements=None) -> UnitAnalysis:
    models, positions, restorers, errors = {}, {}, {}, []
    for prepared in _on_invocation_path(sources, layout, errors):
        parsed = parse_prepared(prepared)
        if isinstance(parsed, FileError):
            errors.append(parsed)
            continue
        path, (module, tree, elided) = prepared.path, parsed
        restorers[path] = elided.restore
        models[path] = build_model(module, path)
        positions[path] = PositionIndex(module, tree, elided.text) if tree is not None else LibcstPositions(module)
    project = ProjectModel(models, layout, requirements)
    candidates: List[Handler] = []
    for source in sources:
        if source.path in models:
            model, explicit = models[source.path], source.options.handlers
            candidates.extend(find_handlers(project, model, explicit))
            for name, message in missing_handlers(project, model, explicit):
                level = "warning" if name in source.options.optional_handlers else "error"
                errors.append(FileError(source.path, message, level=level))
    modules = {path: model.module for path, model in models.items()}
    if not candidates:
        return UnitAnalysis(modules, None, [], errors, restorers)
    declared = tuple(dict.fromkeys(spec for source in sources for spec in source.options.accumulators))
    analysis = Analysis(project, candidates, positions, declared)
    explicit = {source.path for source in sources if source.options.handlers is not None}
    heuristic = [candidate for candidate in candidates if candidate.module not in explicit]
    handlers, helpers = separate_helpers(heuristic, lambda c: analysis.path.reached_by.get((c.key, None), []))
    if helpers:
        kept = set(handlers)
        analysis = Analysis(project, [c for c in candidates if c in kept or c.module in explicit], positions, declared)
    return UnitAnalysis(modules, analysis, helpers, errors, restorers)


def _on_invocation_path(sources: Sequence[SourceText], layout: Optional[Layout], errors: List[FileError]):
    """The files of the unit LibCST must parse (:mod:`linter.analysis.entry_points`),
    each prepared by CPython's parser (a file even that rejects is an error),
    without the bodies of functions nothing can call (:mod:`linter.parsing.unreferenced`).

    Every file is parsed by CPython once, for its syntax errors, and its
    tree kept only when the invocation path needs it: keeping every tree
    held 900 MB on a 2,544-file package (moto's sdist) whose invocation
    paths are short.  So the files that may hold a handler (``likely_root``,
    by the text test of the run's file facts) are parsed first, which tells
    the path, and then the others, whose trees are kept when it needs them
    (a file in syntax newer than CPython, whose tree cannot tell, is a root
    wherever it is).  A likely file that holds no handler yet is on the path
    is parsed again: such files can be large (moto's: 6.9 MB in 80 files)."""
    texts = {source.path: source.text for source in sources}
    graph = import_graph(texts, layout)
    kept: Dict[str, Prepared] = {}
    failed: Dict[str, FileError] = {}
    roots: List[str] = []

    def parse(source: SourceText) -> Tuple[Optional[Prepared], bool]:
        """The file parsed by CPython (None when it cannot be: recorded), and
        whether it holds a handler (a root, whose tree is kept)."""
        prepared = prepare(source.path, source.text)
        if isinstance(prepared, FileError):
            failed[source.path] = prepared
            return None, False
        handlers = source.options.handlers
        if not (handlers or (handlers is None and may_hold_handler(prepared.tree, source.text))):
            return prepared, False
        roots.append(source.path)
        kept[source.path] = prepared
        return prepared, True

    for source in sources:
        if source.likely_root:
            parse(source)
    needed = on_invocation_path(graph, roots, set(failed))  # the handlers' files are known, so is the path
    for source in (source for source in sources if not source.likely_root):
        prepared, root = parse(source)
        if root:
            needed = on_invocation_path(graph, roots, set(failed))
        elif prepared is not None and source.path in needed:
            kept[source.path] = prepared
    needed = on_invocation_path(graph, roots, set(failed))
    errors.extend(failed[path] for path in texts if path in failed)
    explicit = {source.path: {part for name in source.options.handlers or () for part in name.split(".")}
                for source in sources}
    on_path = [kept.get(path) or prepare(path, texts[path]) for path in texts if path in needed]
    return elide_unreferenced(on_path, graph.importers_of if graph is not None else lambda path: (), explicit)


@contextlib.contextmanager
def no_cyclic_collection():
    """A unit's syntax trees are millions of objects without cycles, alive
    until the unit is done; each full collection of the cyclic garbage
    collector walks all of them, so with it on, a unit's cost grows with the
    square of its size (1,200 files: 48 s with, 34 s without, the same peak
    memory).  Reference counting still frees everything else at once.  A
    caller holding the results (and so the trees) keeps it off until it drops
    them: the first allocation after it is back on may start a full collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lint_sources(
    sources: Sequence[SourceText], rules: Sequence, layout: Optional[Layout] = None, requirements=None,
    requested: Optional[FrozenSet[str]] = None, witnessed: FrozenSet[str] = frozenset(),
) -> Dict[str, LintResult]:
    """Lint the files of a unit together; one result per file.  ``requirements``
    are the library versions the project declares (for rules about a
    library's own bugs).  With ``requested``, only those files get findings:
    the others are in the unit to be followed, and a finding in one of them is
    shown at the handler that reaches it when the handler's file is requested.
    Each finding in a ``witnessed`` file is also described in its result's
    ``witnesses``, requested or not."""
    with no_cyclic_collection():
        return _lint_unit(sources, rules, layout, requirements, requested, witnessed)


def _lint_unit(sources, rules, layout, requirements, requested, witnessed) -> Dict[str, LintResult]:
    results = {source.path: LintResult() for source in sources}
    unit = analyse(sources, layout, requirements)
    for error in unit.errors:
        results[error.path].errors.append(error)
    for path, module in unit.modules.items():
        results[path].module = module
        results[path].restore = unit.restorers[path]
    for path, entries in _entry_points(unit, witnessed).items():
        results[path].witnesses.append(json.dumps(["entry points", 0, 0, sorted(entries)]))
    if unit.analysis is not None:
        try:
            _report(unit.analysis, {source.path: source for source in sources}, rules, results, requested, witnessed)
        except RecursionError:
            _fail(results, unit.modules, "cannot analyse: nested too deeply")
        except Exception as error:  # a bug in a rule must not cost the other files
            _fail(results, unit.modules, f"internal error, please report: {type(error).__name__}: {error}")
    for result in results.values():
        result.diagnostics.sort(key=Diagnostic.sort_key)
    return results


def lint_text(path: str, text: str, options: FileOptions, rules: Sequence, requirements=None) -> LintResult:
    """Lint one file on its own."""
    return lint_sources([SourceText(path, text, options)], rules, requirements=requirements)[path]


def _fail(results, modules, message: str) -> None:
    for path in modules:
        results[path].diagnostics.clear()
        results[path].errors.append(FileError(path, message))


def _report(analysis: Analysis, sources: Dict[str, SourceText], rules: Sequence, results,
            requested: Optional[FrozenSet[str]] = None, witnessed: FrozenSet[str] = frozenset()) -> None:
    enabled = frozenset(code for source in sources.values() for code in source.options.codes)
    suppressions = {path: file_suppression(source.text) for path, source in sources.items()}
    lines = {path: source.text.split("\n") for path, source in sources.items()}  # as CPython counts lines

    def suppressed(path: str, line: int, code: str, inline: bool) -> bool:
        return is_suppressed(lines[path] if inline else [], line, code, suppressions[path])

    as_text = TextEdits()
    named: Dict[str, bool] = {}  # library -> whether the unit's text names it

    def names_any(libraries) -> bool:
        for library in libraries:
            if library not in named:
                named[library] = any(library in source.text for source in sources.values())
        return any(named[library] for library in libraries)

    for rule in rules:
        if rule.code not in enabled or (rule.libraries and not names_any(rule.libraries)):
            continue
        for finding in rule.check(analysis):
            path = finding.module or analysis.module_of_node(finding.node)
            options = sources[path].options
            if rule.code not in options.codes:
                continue
            line, column, end_line, end_column = analysis.position(finding.node, path)
            if suppressed(path, line, finding.code, options.inline_noqa):
                continue
            fix = _only_unambiguous_fix(finding.fix, analysis)
            if path in witnessed:
                results[path].witnesses.append(_witness(finding, (line, column, end_line, end_column), fix))
            if requested is not None and path not in requested:
                shown = _at_handlers(finding, path, line, requested, sources, suppressed, analysis)
            else:
                shown = [(path, finding.message, (line, column, end_line, end_column))]
            for where, message, position in shown:
                shown_fix = fix
                if fix is not None and sources[where].options.text_edits:
                    shown_fix = replace(fix, text_edits=_text_edits(as_text, analysis, fix.edits, where))
                results[where].diagnostics.append(Diagnostic(
                    finding.code, message, where, *position, finding.handlers[0].name if finding.handlers else None,
                    shown_fix,
                ))


def _text_edits(as_text: TextEdits, analysis, edits, where: str) -> tuple:
    """A fix's text replacements, those of the file it is shown in first;
    one in another file (the reset a handler's module gets for state defined
    here) names that file as ``path``: a fix of ``models.py``'s finding may
    edit only ``app.py``."""
    by_module: Dict[str, list] = {}
    for edit in edits:
        by_module.setdefault(edit.module, []).append(edit)
    found: list = []
    for module in sorted(by_module, key=lambda name: name != where):
        changes = as_text.of(analysis.module(module).module, analysis.positions[module].text, by_module[module])
        found.extend(changes if module == where else ({**change, "path": module} for change in changes))
    return tuple(found)


def _entry_points(unit: UnitAnalysis, witnessed: FrozenSet[str]) -> Dict[str, List[list]]:
    """The handlers and helpers of each ``witnessed`` file: a function that
    looks like a handler is a helper when a handler reaches it, which may be
    one a piece does not hold."""
    found: Dict[str, List[list]] = {}
    handlers = unit.analysis.handlers if unit.analysis is not None else []
    for kind, handler in [*(("handler", h) for h in handlers), *(("helper", h.function) for h in unit.helpers)]:
        if handler.module in witnessed:
            found.setdefault(handler.module, []).append([kind, *handler.key])
    return found


def _witness(finding, position, fix) -> str:
    """A finding, as text that is equal for equal findings: what it says,
    where, and which functions its fix edits."""
    edits = sorted({(type(edit).__name__, edit.module, *getattr(edit, "function", ())) for edit in fix.edits}) if fix else []
    return json.dumps([finding.code, *position, finding.message, [h.key for h in finding.handlers],
                       fix and fix.applicability, fix and fix.message, edits])


def _at_handlers(finding, path, line, requested, sources, suppressed, analysis) -> list:
    """Where a finding about a file not asked about is shown: at each handler
    reaching it in a file asked about (a change there may be what reaches the
    state), once per file, unless a ``# noqa`` at the state or at the handler
    suppresses it."""
    if suppressed(path, line, finding.code, True):
        return []
    shown, files = [], set()
    for handler in finding.handlers:
        where = handler.module
        if where not in requested or where in files or finding.code not in sources[where].options.codes:
            continue
        files.add(where)
        position = analysis.position(handler.node, where)
        if not suppressed(where, position[0], finding.code, sources[where].options.inline_noqa):
            shown.append((where, f"{path}:{line}: {finding.message}", position))
    return shown


def _only_unambiguous_fix(fix, analysis: Analysis):
    """No fix when it edits a function a module defines more than once
    (``if …: def handler`` / ``else: def handler``): editing one definition
    would leave the other leaking, so nothing is offered."""
    if fix is None:
        return None
    for edit in fix.edits:
        key = getattr(edit, "function", None)
        if key is not None and key[1] in analysis.module(key[0]).redefined:
            return None
    return fix
