"""Render diagnostics: ``text`` (flake8's shape) and ``json`` (ruff's shape)."""
from __future__ import annotations

import json
from collections import Counter
from typing import List, Sequence

from linter.diagnostics import Diagnostic


def render_text(diagnostics: Sequence[Diagnostic]) -> List[str]:
    return [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}" for d in diagnostics]


def _fix_json(diagnostic: Diagnostic):
    fix = diagnostic.fix
    if fix is None:
        return None
    return {"applicability": fix.applicability, "message": fix.message, "edits": list(fix.text_edits)}


def render_json(diagnostics: Sequence[Diagnostic]) -> List[str]:
    items = [
        {
            "code": d.code,
            "message": d.message,
            "path": d.path,
            "line": d.line,
            "column": d.column,
            "end_line": d.end_line,
            "end_column": d.end_column,
            "handler": d.handler,
            "fix": _fix_json(d),
        }
        for d in diagnostics
    ]
    return [json.dumps(items, indent=2)]


RENDERERS = {"text": render_text, "json": render_json}


def render_statistics(diagnostics: Sequence[Diagnostic], summaries) -> List[str]:
    """One line per code, most frequent first: count, code, [*] if fixable, summary."""
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if d.fix is not None and d.fix.applicability == "safe"}
    width = max((len(str(n)) for n in counts.values()), default=1)
    return [
        f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '[ ]'} {summaries.get(code, '')}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    if not diagnostics:
        return f"No findings in {files} file{'s' if files != 1 else ''}."
    safe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability == "safe")
    unsafe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability == "unsafe")
    parts = []
    if safe:
        parts.append(f"{safe} fixable with `warmstate fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `warmstate fix --unsafe-fixes`")
    detail = f" ({', '.join(parts)})" if parts else ""
    count = len(diagnostics)
    return f"Found {count} finding{'s' if count != 1 else ''}{detail}."
