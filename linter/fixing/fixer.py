"""Apply fixes to the files of a unit until nothing changes.

Each round applies every applicable fix as CST edits (a fix may edit another
file than the one its finding is in: a reset goes into each handler that
reaches the state), checks that every changed file still compiles
(``compile`` also catches what a parser cannot, such as a name used before
its ``global`` declaration) and lints the unit again.  The caller writes the
results; nothing here touches the file system.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, List, Optional, Sequence

import libcst as cst

from linter.engine import LintResult, SourceText, lint_sources
from linter.fixing.transform import apply_edits
from linter.output.diagnostics import Diagnostic, FileError
from linter.parsing.elide import elide
from linter.project.file_facts import text_digest
from linter.project.layout import Layout

MAX_ROUNDS = 5
_LINE_NUMBER = re.compile(r"\(line \d+\)")


@dataclass
class FixOutcome:
    path: str
    original: str
    fixed: str
    found: int = 0  # findings in this file before fixing
    remaining: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    dropped: bool = False  # a fix was set aside: the rounds of the whole unit stopped there
    # when analysed (on an invocation path): what was found in it first, and after fixing when that differs
    witnesses: Optional[List[str]] = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def _compile_error(path: str, text: str, original: str):
    """Why the fixed text (as the parsers saw it, without elided data) would
    not run, or None.  A file in syntax newer than the running Python (which
    does not compile the original either) is checked by LibCST's parser instead."""
    problem = _compile_problem(path, text)
    if problem is None or _compile_problem(path, elide(original).text) is None:
        return problem
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as unparsable:
        return unparsable.message
    return None


def _compile_problem(path: str, text: str) -> Optional[str]:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return getattr(error, "msg", str(error))
    return None


def _identity(diagnostic: Diagnostic) -> tuple:
    """A finding's identity across rounds: inserted lines shift line numbers."""
    return diagnostic.path, diagnostic.code, _LINE_NUMBER.sub("", diagnostic.message)


def _codes(diagnostics) -> str:
    return ", ".join(sorted({d.code for d in diagnostics}))


class _Round:
    """One round: the fixable findings' edits applied to their files."""

    def __init__(self, results: Dict[str, LintResult], fixable: List[Diagnostic]):
        self.texts: Dict[str, str] = {}
        self.parsed_texts: Dict[str, str] = {}  # what the parsers see: without elided data (linter.parsing.elide)
        self.unapplied: List[Diagnostic] = []
        by_module: Dict[str, List[object]] = {}
        for diagnostic in fixable:
            for edit in diagnostic.fix.edits:
                by_module.setdefault(edit.module, []).append(edit)
        for path, edits in by_module.items():
            module = results[path].module if path in results else None
            unapplied: List[object] = []
            if module is not None:
                self.parsed_texts[path] = apply_edits(module, edits, unapplied).code
                self.texts[path] = results[path].restore(self.parsed_texts[path])
            else:
                unapplied.extend(edits)
            self.unapplied += [d for d in fixable if any(e in unapplied for e in d.fix.edits)]


def fix_sources(sources: Sequence[SourceText], rules: Sequence, unsafe: bool,
                layout: Optional[Layout] = None, requirements=None,
                requested: Optional[FrozenSet[str]] = None,
                witnessed: FrozenSet[str] = frozenset()) -> Dict[str, FixOutcome]:
    """Fix the files of a unit together; one outcome per file.  With
    ``requested``, only the findings reported on those files are fixed (their
    fixes may still edit a handler in another file).  Each ``witnessed`` file
    analysed gets ``witnesses`` (:mod:`linter.pieces_run`)."""

    def lint(texts):
        return lint_sources(texts, rules, layout, requirements, requested, witnessed)

    results = lint(sources)
    first_witnesses = _witnesses(results)
    initial = Counter(d.code for result in results.values() for d in result.diagnostics)
    outcomes = {
        s.path: FixOutcome(s.path, s.text, s.text, found=len(results[s.path].diagnostics),
                           errors=list(results[s.path].errors))
        for s in sources
    }

    def fail(path: str, message: str) -> None:
        outcomes[path].errors.append(FileError(path, message))
        outcomes[path].dropped = True

    current = list(sources)
    for _ in range(MAX_ROUNDS):
        fixable = [d for result in results.values() for d in result.diagnostics if d.fixed_by(unsafe)]
        if not fixable:
            break
        try:
            round_ = _Round(results, fixable)
        except Exception as error:  # noqa: BLE001 - a bug in a fix (or in LibCST) must not cost the other files
            fail(fixable[0].path, f"fix for {_codes(fixable)} dropped: internal error, please report: "
                                  f"{type(error).__name__}: {error}")
            break
        if round_.unapplied:
            fail(round_.unapplied[0].path, f"fix for {_codes(round_.unapplied)} dropped: the code it edits could not be found")
            break
        changed = {path: text for path, text in round_.texts.items() if text != outcomes[path].fixed}
        if not changed:
            break
        broken = {path: _compile_error(path, round_.parsed_texts[path], outcomes[path].original) for path in changed}
        broken = {path: problem for path, problem in broken.items() if problem is not None}
        if broken:
            path, problem = next(iter(broken.items()))
            fail(path, f"fix for {_codes(fixable)} dropped: the result would not compile ({problem})")
            break
        candidate = [replace(s, text=changed.get(s.path, outcomes[s.path].fixed)) for s in current]
        next_results = lint(candidate)
        remaining = {_identity(d) for result in next_results.values() for d in result.diagnostics}
        stuck = [d for d in fixable if _identity(d) in remaining]
        if stuck:
            fail(stuck[0].path, f"fix for {_codes(stuck)} dropped: it did not resolve the finding")
            break
        for path, text in changed.items():
            outcomes[path].fixed = text
        current, results = candidate, next_results
    after = Counter(d.code for result in results.values() for d in result.diagnostics)
    if any(after[code] > initial[code] for code in after):
        for outcome in outcomes.values():
            if outcome.changed:
                fail(outcome.path, "fixes dropped: they would create new findings")
            outcome.fixed = outcome.original
        results = lint(sources)
    last_witnesses = _witnesses(results)
    for path, outcome in outcomes.items():
        outcome.remaining = results[path].diagnostics
        if path in first_witnesses:
            outcome.witnesses = first_witnesses[path]
            if outcome.changed or last_witnesses.get(path) != outcome.witnesses:
                outcome.witnesses = [*outcome.witnesses, json.dumps(["after fixing", text_digest(outcome.fixed),
                                                                      last_witnesses.get(path)])]
    return outcomes


def _witnesses(results: Dict[str, LintResult]) -> Dict[str, List[str]]:
    """The witnesses of each file analysed (on the invocation path)."""
    return {path: sorted(result.witnesses) for path, result in results.items() if result.module is not None}


def fix_text(path: str, text: str, options, rules: Sequence, unsafe: bool, requirements=None) -> FixOutcome:
    """Fix one file on its own."""
    return fix_sources([SourceText(path, text, options)], rules, unsafe, requirements=requirements)[path]
