"""Shared helpers: where the fixtures are, and how to run the real programs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULE_FIXTURES = FIXTURES / "rules"
SAMPLE_APP = FIXTURES / "sample_app"


def installed_command(name: str) -> str:
    """The console script installed next to this interpreter (not a fallback)."""
    found = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    if found is None:
        raise AssertionError(f"'{name}' is not installed: run `pip install -e .[test]` first")
    return found


@pytest.fixture(scope="session", autouse=True)
def cache_outside_the_repository(tmp_path_factory):
    """Every warmstate the tests run keeps its cache in one temporary
    directory, not in ``.warmstate_cache/`` folders across the fixtures."""
    os.environ["WARMSTATE_CACHE_DIR"] = str(tmp_path_factory.mktemp("warmstate-cache"))
    yield
    os.environ.pop("WARMSTATE_CACHE_DIR", None)


@pytest.fixture
def run_warmstate():
    command = installed_command("warmstate")

    def run(*args, cwd=None, check_no_traceback=True):
        completed = subprocess.run(
            [command, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
        )
        if check_no_traceback:
            assert "Traceback" not in completed.stderr, completed.stderr
        return completed

    return run


PROBE_SETUP = Path(__file__).with_name("probe_setup.py")


def run_handler(target, events, environment=None, clock=()) -> dict:
    """The last of ``events`` sent in order to ``target`` in one fresh
    interpreter, through warmstate's own probe child (linter.probe.child) with
    the tests' setup (tests/probe_setup.py: offline boto3, a frozen clock at
    each event's ``clock`` time): {"result": the return value or "raised
    TypeName", "output": the masked lines}."""
    import json

    from linter.probe.runs import request, run_child

    variables = {**(environment or {}), "WARMSTATE_TEST_CLOCK": json.dumps([[e, t] for e, t in zip(events, clock)])}
    outcome = run_child(request(target, list(events), str(PROBE_SETUP), variables, keep_times=bool(clock)),
                        timeout=120)
    assert not outcome["error"], f"{target.describe()} did not run: {outcome['error']}"
    last = outcome["invocations"][-1]
    result = f"raised {last['raised'].split(':')[0]}" if last["raised"] is not None else last["result"]
    return {"result": result, "output": last["output"]}
