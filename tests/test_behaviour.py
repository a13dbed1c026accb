"""Behaviour proofs: the leak is real, and the fix removes it.

Each case runs a fixture's handler warm (three events in one fresh
interpreter) and cold (a fresh interpreter for the last event only).  Before
the fix the two last results differ; after it they are equal, and equal to
the original cold result (the fix changes nothing but the leak).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RULE_FIXTURES

RUNNER = Path(__file__).with_name("handler_runner.py")

CASES = [
    ("LAM101/append_in_helper.py", "lambda_handler",
     [{"records": [{"id": n}]} for n in ("a", "b", "c")]),
    ("LAM101/two_handlers.py", "create_handler", [{"id": n} for n in (1, 2, 3)]),
    ("LAM101/invocation_path.py", "lambda_handler", [{"id": n, "items": [n]} for n in (1, 2, 3)]),
    ("LAM102/print_and_write.py", "lambda_handler",
     [{"items": [n], "name": n} for n in ("x", "y", "z")]),
    ("LAM103/class_attribute.py", "lambda_handler",
     [{"items": [n], "tag": n} for n in ("p", "q", "r")]),
    ("LAM104/mutable_default.py", "lambda_handler",
     [{"id": n, "key": n, "value": n} for n in ("k1", "k2", "k3")]),
    ("LAM105/accumulators.py", "lambda_handler",
     [{"items": [{"id": n, "amount": 10}]} for n in ("i1", "i2", "i3")]),
]


def last_result(path, handler, events, *options):
    completed = subprocess.run(
        [sys.executable, str(RUNNER), str(path), handler, json.dumps(events), *options],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize("fixture, handler, events", CASES, ids=[c[0] for c in CASES])
def test_leak_is_real_and_fix_removes_it(fixture, handler, events):
    original = RULE_FIXTURES / fixture
    fixed = original.with_name(original.stem + ".fixed.py")
    warm, cold = last_result(original, handler, events), last_result(original, handler, events[-1:])
    assert warm != cold, "the fixture does not leak between warm invocations"
    fixed_warm, fixed_cold = last_result(fixed, handler, events), last_result(fixed, handler, events[-1:])
    assert fixed_warm == fixed_cold, "the fixed handler still leaks"
    assert fixed_cold == cold, "the fix changed what a cold invocation returns"


def test_every_rule_has_a_behaviour_proof():
    from rules import ALL_RULES

    assert {rule.code for rule in ALL_RULES} <= {fixture.split("/")[0] for fixture, _, _ in CASES}
