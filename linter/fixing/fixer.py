"""Apply fixes to one file's text until nothing changes.

Each round applies every applicable fix as CST edits, checks that the result
still compiles (``compile`` also catches what a parser cannot, such as a name
used before its ``global`` declaration) and lints it again.  The caller
writes the result; nothing here touches the file system.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import List, Sequence

from linter.output.diagnostics import Diagnostic, FileError
from linter.engine import FileOptions, lint_text
from linter.fixing.transform import apply_edits

MAX_ROUNDS = 5
_LINE_NUMBER = re.compile(r"\(line \d+\)")


@dataclass
class FixOutcome:
    path: str
    original: str
    fixed: str
    found: int = 0  # findings before fixing
    remaining: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    @property
    def fixed_count(self) -> int:
        return max(self.found - len(self.remaining), 0) if self.changed else 0


def _applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (fix.applicability == "safe" or unsafe)


def _compile_error(path: str, text: str):
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return getattr(error, "msg", str(error))
    return None


def _identity(diagnostic: Diagnostic) -> tuple:
    """A finding's identity across rounds: inserted lines shift line numbers."""
    return diagnostic.code, _LINE_NUMBER.sub("", diagnostic.message)


def fix_text(path: str, text: str, options: FileOptions, rules: Sequence, unsafe: bool) -> FixOutcome:
    result = lint_text(path, text, options, rules)
    initial = Counter(d.code for d in result.diagnostics)
    outcome = FixOutcome(path, text, text, found=len(result.diagnostics), errors=list(result.errors))
    for _ in range(MAX_ROUNDS):
        fixable = [d for d in result.diagnostics if _applicable(d, unsafe)]
        if not fixable or result.module is None:
            break
        unapplied: List[object] = []
        candidate = apply_edits(result.module, [edit for d in fixable for edit in d.fix.edits], unapplied).code
        if unapplied:
            codes = ", ".join(sorted({d.code for d in fixable if any(e in unapplied for e in d.fix.edits)}))
            outcome.errors.append(FileError(path, f"fix for {codes} dropped: the code it edits could not be found"))
            break
        if candidate == outcome.fixed:
            break
        problem = _compile_error(path, candidate)
        if problem is not None:
            codes = ", ".join(sorted({d.code for d in fixable}))
            outcome.errors.append(FileError(path, f"fix for {codes} dropped: the result would not compile ({problem})"))
            break
        next_result = lint_text(path, candidate, options, rules)
        stuck = {_identity(d) for d in fixable} & {_identity(d) for d in next_result.diagnostics}
        if stuck:
            codes = ", ".join(sorted({code for code, _ in stuck}))
            outcome.errors.append(FileError(path, f"fix for {codes} dropped: it did not resolve the finding"))
            break
        outcome.fixed = candidate
        result = next_result
    after = Counter(d.code for d in result.diagnostics)
    if any(after[code] > initial[code] for code in after):
        outcome.errors.append(FileError(path, "fixes dropped: they would create new findings"))
        outcome.fixed = text
        result = lint_text(path, text, options, rules)
    outcome.remaining = result.diagnostics
    return outcome
