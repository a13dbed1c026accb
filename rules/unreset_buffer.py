"""LAM102: a module-level io.StringIO/BytesIO written per invocation, never rewound."""
from __future__ import annotations

from linter.analysis.leaks import Consequence, find_leaks, owner, reset_findings
from linter.summary.kinds import BUFFER_KINDS
from linter.analysis.rule import Rule

CODE = "LAM102"


def is_complete_reset(kinds) -> bool:
    """Rebinding, or both ``seek(0)`` and ``truncate()``: truncate alone keeps
    the position, so the next write pads the buffer with NUL bytes."""
    return "clear" in kinds or {"seek0", "truncate"} <= kinds


def check(analysis):
    leaks = find_leaks(
        analysis,
        wants_state=lambda key, b: b.kind in BUFFER_KINDS and owner(analysis, key) != "class",
        counts=lambda binding, item: not item.mutation.rebind,
        is_complete_reset=is_complete_reset,
    )
    return reset_findings(
        analysis, CODE, leaks,
        describe=lambda state: f"module-level {state.kind} buffer '{state.display}'",
        consequence=Consequence("never rewound between invocations", "not rewound on every invocation"),
        is_complete_reset=is_complete_reset,
    )


RULE = Rule(
    code=CODE,
    name="unreset-buffer",
    summary="module-level io.StringIO/io.BytesIO written on the invocation path and never rewound",
    why=(
        "A module-level buffer survives warm invocations. Every invocation appends to what the previous\n"
        "ones wrote, so `getvalue()` returns earlier callers' output and memory grows without bound."
    ),
    bad='''
import io

OUT = io.StringIO()

def lambda_handler(event, context):
    OUT.write(event["line"])
    return OUT.getvalue()
''',
    good='''
import io

OUT = io.StringIO()

def lambda_handler(event, context):
    OUT.seek(0)
    OUT.truncate(0)
    OUT.write(event["line"])
    return OUT.getvalue()
''',
    fix="insert `NAME.seek(0)` and `NAME.truncate(0)` at the start of each handler that reaches the write, then "
    "`NAME.write(TEXT)` and `NAME.seek(0)` for a buffer created with text; no fix when that text is computed",
    safety="safe; unsafe when the invocation path reads the buffer's size or position back (`tell()`, `len(...)` in a test)",
    check=check,
)
