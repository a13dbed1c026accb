"""Lint one file's text: parse once, build the model, run the rules.

Importing this module imports LibCST, so the CLI imports it only when a file
must actually be parsed.
"""
from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, List, Optional, Sequence

import libcst as cst

from linter.output.diagnostics import Diagnostic, FileError
from linter.analysis.handlers import Helper, find_handlers, missing_handlers, separate_helpers
from linter.analysis.invocation import Analysis
from linter.summary.model import build_functions, build_module_level
from linter.parsing.positions import PositionIndex
from linter.output.suppression import ALL, file_suppression, is_suppressed
from linter.fixing.transform import apply_edits


@dataclass(frozen=True)
class FileOptions:
    codes: FrozenSet[str]  # the rule codes enabled for this file
    handlers: Optional[Dict[str, str]] = None  # explicit handlers: name -> how given
    text_edits: bool = False  # fill Fix.text_edits (JSON/SARIF output)
    inline_noqa: bool = True  # False under flake8, which applies ``# noqa`` itself


@dataclass
class LintResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    module: Optional[cst.Module] = None


def parse(path: str, text: str):
    """(LibCST module, CPython AST), or a FileError.

    CPython's own parser runs first: it is several times faster, rejects
    nesting it could not run anyway with a clean error, and so keeps
    pathological input away from LibCST's native parser, which can crash the
    process on it.
    """
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as error:
        return FileError(path, f"cannot parse: {error.msg}", error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return FileError(path, "cannot parse: nested too deeply")
    try:
        return cst.parse_module(text), tree
    except cst.ParserSyntaxError as error:
        return FileError(path, f"cannot parse: {error.message}", error.raw_line, error.raw_column + 1)


def lint_text(path: str, text: str, options: FileOptions, rules: Sequence) -> LintResult:
    file_codes = file_suppression(text)
    if file_codes is ALL:
        return LintResult()
    parsed = parse(path, text)
    if isinstance(parsed, FileError):
        return LintResult(errors=[parsed])
    module, tree = parsed
    result = LintResult(module=module)
    try:
        findings = _findings(path, module, PositionIndex(module, tree, text), options, rules, result)
    except RecursionError:
        result.errors.append(FileError(path, "cannot analyse: nested too deeply"))
        return result
    except Exception as error:  # a bug in a rule must not cost the other files
        result.errors.append(FileError(path, f"internal error, please report: {type(error).__name__}: {error}"))
        return result
    lines = text.split("\n")  # as CPython counts lines
    for finding, position in findings:
        line, column, end_line, end_column = position
        if is_suppressed(lines if options.inline_noqa else [], line, finding.code, file_codes):
            continue
        fix = finding.fix
        if fix is not None and options.text_edits:
            fix = replace(fix, text_edits=text_edits(module, fix.edits))
        result.diagnostics.append(
            Diagnostic(finding.code, finding.message, path, line, column, end_line, end_column, finding.handler, fix)
        )
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


@dataclass
class ModuleAnalysis:
    """A module's handlers, the helpers that only looked like handlers, and
    the Analysis rules query (None when the module has no handler)."""

    analysis: Optional[Analysis]
    helpers: List[Helper]
    errors: List[str]


def analyse(module: cst.Module, positions: PositionIndex, explicit: Optional[Dict[str, str]]) -> ModuleAnalysis:
    model, builder = build_module_level(module)
    candidates = find_handlers(model, explicit)
    errors = missing_handlers(model, explicit)
    if not candidates:
        return ModuleAnalysis(None, [], errors)
    build_functions(builder)
    analysis = Analysis(model, candidates, positions)
    helpers: List[Helper] = []
    if explicit is None and len(candidates) > 1:
        handlers, helpers = separate_helpers(candidates, lambda name: analysis.reached_by.get(((name,), None), []))
        if helpers:
            analysis = Analysis(model, handlers, positions)
    return ModuleAnalysis(analysis, helpers, errors)


def _findings(path, module, positions, options, rules, result):
    analysed = analyse(module, positions, options.handlers)
    result.errors.extend(FileError(path, message) for message in analysed.errors)
    analysis = analysed.analysis
    if analysis is None:
        return []
    findings = [f for rule in rules if rule.code in options.codes for f in rule.check(analysis)]
    return [(_only_unambiguous_fix(finding, analysis.model), analysis.position(finding.node)) for finding in findings]


def _only_unambiguous_fix(finding, model):
    """No fix for a finding whose fix edits a function the module defines more
    than once (``if …: def handler`` / ``else: def handler``): editing one
    definition would leave the other leaking, so nothing is offered."""
    fix = finding.fix
    if fix is None or not any(getattr(edit, "function", ("",))[0] in model.redefined for edit in fix.edits):
        return finding
    return replace(finding, fix=None)


def text_edits(module: cst.Module, edits) -> tuple:
    """The fix as text replacements (1-based rows and columns, ruff's shape)."""
    before = module.code.splitlines(keepends=True)
    after = apply_edits(module, edits).code.splitlines(keepends=True)
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.append(
            {
                "content": "".join(after[b_start:b_end]),
                "location": {"row": a_start + 1, "column": 1},
                "end_location": {"row": a_end + 1, "column": 1},
            }
        )
    return tuple(changes)
