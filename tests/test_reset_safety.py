"""Resets a safe fix inserts must run and restore what a cold start has.

The rule fixtures show each case in realistic code; these go through every
spelling of it: each ``bytearray`` constructor, each pattern that captures a
name in a ``match``.
"""
from __future__ import annotations

import pytest

from linter.engine import FileOptions, lint_text
from linter.fixing.fixer import fix_text
from rules import ALL_RULES

OPTIONS = FileOptions(frozenset(rule.code for rule in ALL_RULES))


def findings_and_fix(text, code="LAM101"):
    """The findings of ``code`` in ``text``, and ``text`` after ``warmstate fix``."""
    result = lint_text("app.py", text, OPTIONS, ALL_RULES, {})
    assert result.errors == []
    outcome = fix_text("app.py", text, OPTIONS, ALL_RULES, False, {})
    assert outcome.errors == []
    return [d for d in result.diagnostics if d.code == code], outcome.fixed


def assert_flagged_without_fix(text):
    found, fixed = findings_and_fix(text)
    assert found, "the leak is not reported"
    assert all(d.fix is None for d in found), [d.message for d in found]
    assert fixed == text


BYTEARRAY_HANDLER = """
BUFFER = {made}


def lambda_handler(event, context):
    BUFFER.extend(b"|" + event.encode())
    return bytes(BUFFER)
"""


@pytest.mark.parametrize("made", [
    "bytearray(4)",
    "bytearray(True)",
    "bytearray(source=2)",
    'bytearray(b"WSv1")',
    "bytearray()",
    "bytearray([1, 2, 3])",
    "bytearray((0x7f,))",
    'bytearray("order_id,total\\n", "utf-8")',
    'bytearray("caf\\u00e9", encoding="latin-1", errors="strict")',
    'bytearray("a" "b", "ascii")',
])
def test_bytearray_reset_gives_back_what_its_constructor_made(made):
    """Fixed, the second (warm) invocation returns what a first one does."""
    found, fixed = findings_and_fix(BYTEARRAY_HANDLER.format(made=made))
    assert found and found[0].fix is not None and found[0].fix.applicability == "safe"
    warm, cold = {}, {}
    exec(compile(fixed, "app.py", "exec"), warm)
    exec(compile(fixed, "app.py", "exec"), cold)
    warm["lambda_handler"]("first", None)
    assert warm["lambda_handler"]("second", None) == cold["lambda_handler"]("second", None)


def test_bytearray_from_a_computed_size_gets_no_fix():
    assert_flagged_without_fix(BYTEARRAY_HANDLER.format(made="bytearray(64 * 1024)"))


MATCH_HANDLER = """
from dataclasses import dataclass

items = []


@dataclass
class Point:
    x: object = None


def _remember(value):
    items.append(value)


def lambda_handler(event, context):
    _remember(event)
    match event:
        case {pattern}:
            return "matched"
    return "other"
"""

CAPTURES = [
    "[items, *_]",
    "items",
    '{"k": items}',
    "Point(x=items)",
    "Point(items)",
    "[*items]",
    "{**items}",
    "_ as items",
    "[1, items] | [items, 1]",
    "{'k': [{'j': (1 | 2) as items}]}",
]


@pytest.mark.parametrize("pattern", CAPTURES)
def test_no_fix_when_a_case_pattern_makes_the_name_local(pattern):
    """``items.clear()`` at the start of the handler would raise UnboundLocalError."""
    assert_flagged_without_fix(MATCH_HANDLER.format(pattern=pattern))


@pytest.mark.parametrize("pattern", ['{"items": []}', "Point(x=0)", "[first, *rest]", "str() as text"])
def test_patterns_that_capture_other_names_keep_the_fix(pattern):
    found, fixed = findings_and_fix(MATCH_HANDLER.format(pattern=pattern))
    assert found[0].fix is not None
    assert "    items.clear()\n    _remember(event)" in fixed
