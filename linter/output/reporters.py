"""Render diagnostics: ``text`` (flake8's shape), ``json`` (ruff's shape),
``github`` (Actions workflow commands) and ``sarif`` (SARIF 2.1.0, for code
scanning)."""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Dict, List, Sequence

from linter import PROJECT_URL, __version__
from linter.output.diagnostics import Diagnostic

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_text(diagnostics: Sequence[Diagnostic], rules=()) -> List[str]:
    return [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}" for d in diagnostics]


def _fix_json(diagnostic: Diagnostic):
    fix = diagnostic.fix
    if fix is None:
        return None
    return {"applicability": fix.applicability, "message": fix.message, "edits": list(fix.text_edits)}


def render_json(diagnostics: Sequence[Diagnostic], rules=()) -> List[str]:
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


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic], rules=()) -> List[str]:
    """``::error`` workflow commands: GitHub shows them inline on the pull request."""
    return [
        f"::error file={_escape_property(d.path)},line={d.line},col={d.column},"
        f"endLine={d.end_line},endColumn={d.end_column},title={d.code}::{_escape_data(d.message)}"
        for d in diagnostics
    ]


def rule_help_uri(code: str) -> str:
    return f"{PROJECT_URL}/blob/main/docs/rules.md#{code.lower()}"


def _artifact(path: str) -> dict:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": Path(path).as_posix(), "uriBaseId": "%SRCROOT%"}


def _sarif_fix(diagnostic: Diagnostic) -> list:
    fix = diagnostic.fix
    if fix is None or not fix.text_edits:
        return []
    by_path: Dict[str, list] = {}  # an edit in another file than the finding's names it ("path")
    for edit in fix.text_edits:
        by_path.setdefault(edit.get("path", diagnostic.path), []).append({
            "deletedRegion": {
                "startLine": edit["location"]["row"],
                "startColumn": edit["location"]["column"],
                "endLine": edit["end_location"]["row"],
                "endColumn": edit["end_location"]["column"],
            },
            "insertedContent": {"text": edit["content"]},
        })
    return [
        {
            "description": {"text": f"{fix.message} ({fix.applicability})"},
            "artifactChanges": [{"artifactLocation": _artifact(path), "replacements": replacements}
                                for path, replacements in by_path.items()],
        }
    ]


def render_sarif(diagnostics: Sequence[Diagnostic], rules=()) -> List[str]:
    index = {rule.code: position for position, rule in enumerate(rules)}
    driver = {
        "name": "warmstate",
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {"text": rule.documentation(), "markdown": rule.markdown()},
                "helpUri": rule_help_uri(rule.code),
                "properties": {"fix": rule.fix, "fixSafety": rule.safety},
            }
            for rule in rules
        ],
    }
    results = []
    for d in diagnostics:
        result = {
            "ruleId": d.code,
            "level": "warning",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(d.path),
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column,
                        },
                    }
                }
            ],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        fixes = _sarif_fix(d)
        if fixes:
            result["fixes"] = fixes
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return [json.dumps(document, indent=2)]


RENDERERS = {"text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif}


def render_statistics(diagnostics: Sequence[Diagnostic], summaries) -> List[str]:
    """One line per code, most frequent first: count, code, [*] if fixable, summary."""
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if d.fixed_by(unsafe=False)}
    width = max((len(str(n)) for n in counts.values()), default=1)
    return [
        f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '[ ]'} {summaries.get(code, '')}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    if not diagnostics:
        return f"No findings in {files} file{'s' if files != 1 else ''}."
    safe = sum(1 for d in diagnostics if d.fixed_by(unsafe=False))
    unsafe = sum(1 for d in diagnostics if d.fixed_by(unsafe=True)) - safe
    parts = []
    if safe:
        parts.append(f"{safe} fixable with `warmstate fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `warmstate fix --unsafe-fixes`")
    detail = f" ({', '.join(parts)})" if parts else ""
    count = len(diagnostics)
    return f"Found {count} finding{'s' if count != 1 else ''}{detail}."
