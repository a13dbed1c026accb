"""Expressions nested too deeply for LibCST (linter/parsing/depth.py): found
wherever they are in what LibCST would parse, and only there."""
from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from linter.parsing.depth import MAX_DEPTH, too_deep

TOO_MANY = MAX_DEPTH + 50
HANDLER = textwrap.dedent("""\
    import os

    import boto3

    TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    SEEN = []


    def lambda_handler(event, context):
        SEEN.append(event["id"])
        return {"statusCode": 200}
    """)

SUM = " + ".join(f"row['c{index}']" for index in range(TOO_MANY))
DEEP = {
    "a generated sum": f'def checksum(row):\n    """Generated: do not edit."""\n    total = {SUM}\n    total += len(row)\n    return total % 65521\n',
    "a builder's chain of calls": "QUERY = (select('orders')" + "\n    .where(status='open')" * TOO_MANY + ")\n",
    "a chain of subscripts": "VALUE = document" + "['k']" * TOO_MANY + "\n",
    "negations": "FLAG = " + "not " * TOO_MANY + "ready\n",
    "conditional expressions": "LEVEL = " + " ".join(f"{i} if n == {i} else" for i in range(TOO_MANY)) + " -1\n",
    "a decorator": f"@cache(key=lambda row: {SUM})\ndef load(row):\n    return row\n",
    "a default argument": f"def load(row, total={SUM}):\n    return row\n",
    "a class's base": f"class Row(base({SUM})):\n    pass\n",
    "what a loop iterates over": f"for item in {SUM}:\n    print(item)\n",
    "a condition": f"if {SUM}:\n    print('yes')\n",
    "a with's item": f"with open({SUM}) as stream:\n    stream.read()\n",
    "an except clause": f"try:\n    pass\nexcept errors[{SUM}]:\n    pass\n",
    "a chain of ors (flat in CPython's tree, nested in LibCST's)": "READY = " + " or ".join(["flag"] * TOO_MANY) + "\n",
    "a dotted module name": "import " + ".".join(["pkg"] * TOO_MANY) + "\n",
    "a dotted module imported from": "from " + ".".join(["pkg"] * TOO_MANY) + " import name\n",
    "a statement inside a function inside a class": f"class Rows:\n    def total(self, row):\n        if row:\n            return {SUM}\n",
}
ELIF = "def route(event):\n    if event == 0:\n        return 0\n{}    return -1\n"
SHALLOW = {
    "a long list": "IDS = [" + ", ".join(str(index) for index in range(5000)) + "]\n",
    "a long dict of calls": "RATES = {" + ", ".join(f"'k{i}': Decimal('0.{i}')" for i in range(3000)) + "}\n",
    "implicitly concatenated strings": "SQL = (\n" + "    'select 1 '\n" * 3000 + ")\n",
    "a call with many arguments": "ROW = make(" + ", ".join(f"c{i}=1" for i in range(3000)) + ")\n",
    "a chain of comparisons": "ORDERED = " + " <= ".join(["x"] * 3000) + "\n",
    "a chain of ands, shorter than the limit": "READY = " + " and ".join(["x"] * (MAX_DEPTH - 10)) + "\n",
    "a function of many short statements": "def handler(event, context):\n" + "    x = x + 1\n" * 3000,
    "an if with many elif branches": ELIF.format("".join(f"    elif event == {i}:\n        return {i}\n"
                                                         for i in range(1, MAX_DEPTH - 10))),
}


@pytest.mark.parametrize("where", DEEP)
def test_an_expression_nested_too_deeply_is_found_wherever_it_is(where):
    text = HANDLER + "\n\n" + DEEP[where]
    found = too_deep(ast.parse(text), text)
    assert found is not None and found.what == "an expression nested"
    assert found.line > HANDLER.count("\n")


def test_an_if_with_more_elif_branches_than_the_depth_allowed_is_too_deep():
    """Each ``elif`` is an ``if`` in the ``else`` of the one before: 5,000 of
    them exhausted the recursion limit of the analysis (a traceback)."""
    text = HANDLER + "\n\n" + ELIF.format("".join(f"    elif event == {i}:\n        return {i}\n"
                                                  for i in range(1, MAX_DEPTH + 10)))
    found = too_deep(ast.parse(text), text)
    assert found is not None and found.what == "statements nested"
    assert text.split("\n")[found.line - 1].startswith("    elif event == ")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements: Python 3.10 and later")
def test_an_expression_nested_too_deeply_in_a_case_guard_is_found():
    text = HANDLER + f"\n\ndef route(event):\n    match event:\n        case {{'total': total}} if total == {SUM}:\n            return 1\n"
    found = too_deep(ast.parse(text), text)
    assert found is not None and found.line == text.count("\n") - 1


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_lines_are_counted_as_cpython_counts_them(newline):
    """A lone carriage return ends a line for CPython, not for ``str.split``."""
    text = (HANDLER + "\n\n" + DEEP["a generated sum"]).replace("\n", newline)
    found = too_deep(ast.parse(text), text)
    assert found is not None and found.line == HANDLER.count("\n") + 5
    stray = "# exported from the old system\r\r\r\n" + HANDLER.replace("\n", "\r\n")
    assert too_deep(ast.parse(stray), stray) is None


def test_text_in_other_alphabets_before_an_expression_does_not_hide_its_depth():
    """Columns count UTF-8 bytes: the span is measured in bytes too, and the
    error's column is in characters."""
    text = "LABEL = '" + "漢" * 3000 + "'; TOTAL = (1\n" + "+1\n" * TOO_MANY + ")\n"
    found = too_deep(ast.parse(text), text)
    assert found is not None and (found.line, found.column) == (1, len("LABEL = '") + 3000 + len("'; ") + 1)


@pytest.mark.parametrize("what", SHALLOW)
def test_long_but_flat_code_is_not_too_deep(what):
    text = HANDLER + "\n\n" + SHALLOW[what]
    assert too_deep(ast.parse(text), text) is None


def test_the_depth_limit_is_depth_not_length():
    just = "TOTAL = " + " + ".join(["1"] * (MAX_DEPTH - 10)) + "\n"
    over = "TOTAL = " + " + ".join(["1"] * (MAX_DEPTH + 10)) + "\n"
    assert too_deep(ast.parse(just), just) is None
    assert too_deep(ast.parse(over), over) is not None


def test_a_deep_expression_in_a_body_nothing_calls_costs_no_finding():
    """The bodies of functions nothing calls are not parsed by LibCST: an
    expression nested deep in one is no reason to give up on the file."""
    from linter.engine import FileOptions, lint_text
    from rules import ALL_RULES

    text = HANDLER + "\n\n" + DEEP["a generated sum"]
    result = lint_text("app.py", text, FileOptions(frozenset(rule.code for rule in ALL_RULES)), ALL_RULES)
    assert result.errors == []
    assert [d.code for d in result.diagnostics] == ["LAM101"]
    called = text.replace('SEEN.append(event["id"])', 'SEEN.append(checksum(event))')
    result = lint_text("app.py", called, FileOptions(frozenset(rule.code for rule in ALL_RULES)), ALL_RULES)
    assert [(error.line, error.message) for error in result.errors] == [
        (called.count("\n") - 2, f"cannot parse: an expression nested more than {MAX_DEPTH:,} deep")]
