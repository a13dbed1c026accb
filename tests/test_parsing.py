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
