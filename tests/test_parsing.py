"""LibCST's parse without its node checks (linter/parsing/parse.py): the
trees are those it builds with them, and the checks are back for the nodes
fixes build."""
from __future__ import annotations

import libcst as cst
import pytest

from conftest import FIXTURES
from linter.parsing.parse import parse

FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


def test_trees_equal_those_parsed_with_checks():
    compared = 0
    for path in FIXTURE_FILES:
        text = path.read_text(encoding="utf-8")
        parsed = parse(str(path), text)
        if not isinstance(parsed, tuple):
            continue  # a fixture of bad input
        module, _, elided = parsed
        checked = cst.parse_module(elided.text)
        assert module.deep_equals(checked), path
        assert module.code == checked.code == elided.text
        compared += 1
    assert compared > 200


def test_nodes_built_afterwards_are_checked():
    parse("app.py", "SEEN = []\n\n\ndef lambda_handler(event, context):\n    SEEN.append(event)\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_code_whose_nodes_libcst_checks_wrongly_is_checked_and_fixed():
    """LibCST 1.9's check of a keyword operator before a parenthesised lambda
    (``or(lambda item: ...)``, valid Python) raises TypeError; the checks are
    off while fixes rebuild a parsed tree, so the findings and their fixes stand."""
    from linter.engine import FileOptions, lint_text
    from linter.fixing.fixer import fix_text
    from rules import ALL_RULES

    text = ("import logging\n\nSEEN = []\nlogging.basicConfig(level=logging.INFO)\n\n\n"
            "def lambda_handler(event, context):\n    SEEN.append(event['id'])\n"
            "    key = event.get('key') or(lambda item: item['id'])\n    return sorted(event['rows'], key=key)\n")
    options = FileOptions(frozenset(rule.code for rule in ALL_RULES), text_edits=True)
    result = lint_text("app.py", text, options, ALL_RULES)
    assert result.errors == []
    assert [(d.code, bool(d.fix and d.fix.text_edits)) for d in result.diagnostics] == [("LAM101", True), ("LAM302", True)]
    outcome = fix_text("app.py", text, options, ALL_RULES, False)
    assert outcome.errors == [] and outcome.remaining == []
    assert "    SEEN.clear()\n" in outcome.fixed and "logging.getLogger().setLevel(logging.INFO)" in outcome.fixed
    compile(outcome.fixed, "app.py", "exec")


def test_a_fix_that_fails_inside_libcst_is_one_error_and_the_file_is_left_as_it_was(monkeypatch):
    import linter.fixing.fixer
    from linter.engine import FileOptions
    from linter.fixing.fixer import fix_text
    from rules import ALL_RULES

    def broken(*args, **kwargs):
        raise TypeError("super(type, obj): obj must be an instance or subtype of type")

    monkeypatch.setattr(linter.fixing.fixer, "apply_edits", broken)
    text = "SEEN = []\n\n\ndef lambda_handler(event, context):\n    SEEN.append(event['id'])\n"
    outcome = fix_text("app.py", text, FileOptions(frozenset(rule.code for rule in ALL_RULES)), ALL_RULES, False)
    assert outcome.fixed == text
    assert [error.message for error in outcome.errors] == [
        "fix for LAM101 dropped: internal error, please report: TypeError: "
        "super(type, obj): obj must be an instance or subtype of type"]
    assert [d.code for d in outcome.remaining] == ["LAM101"]


def test_code_cpython_rejects_and_only_libcst_checks_reject_is_cpythons_error():
    """LibCST's grammar takes ``"a" b"b"``; only its node checks reject it.
    Parsed without them, it ended the run in a traceback when positions were
    taken: a file CPython rejects is parsed with the checks on."""
    from linter.output.diagnostics import FileError

    parsed = parse("labels.py", 'LABEL = "order " b"id"\n')
    assert isinstance(parsed, FileError)
    assert (parsed.line, parsed.message) == (1, "cannot parse: cannot mix bytes and nonbytes literals")
