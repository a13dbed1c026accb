"""Start the child processes that run a handler: one warm (every event in
order), and two cold per event after the first (fresh interpreters, as new
execution environments; two, to tell noise from a leak: linter.probe.compare).
Each child gets its own empty temporary directory (a new environment's /tmp
is empty), the same string hashing (so that sets iterate alike in every
process) and a time limit; a child that crashes, hangs or prints no result
is reported as such, never taken for a result."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from linter.probe.target import Target


# The child without the current directory on sys.path (``-m`` would put it
# first): a project of the user's with its own ``linter`` package must not
# stand in for warmstate's; the handler's code roots are added by the child.
CHILD = "import sys; del sys.path[0]; from linter.probe.child import main; main()"


def request(target: Target, events: List[dict], setup: Optional[str], environment: dict,
            keep_times: bool = False) -> dict:
    return {
        "module": target.module, "path": target.path, "handler": target.handler,
        "sys_path": target.roots, "roots": target.roots, "events": events, "setup": setup,
        "function_name": target.function_name, "environment": environment, "keep_times": keep_times,
    }


def run_child(payload: dict, timeout: float) -> dict:
    """The child's outcome: {"error": None, "invocations": [...]}, or {"error": why it has none}."""
    with tempfile.TemporaryDirectory(prefix="warmstate-probe-") as scratch:
        try:
            completed = subprocess.run(
                [sys.executable, "-c", CHILD], input=json.dumps(payload), capture_output=True,
                text=True, timeout=timeout, env={**os.environ, "TMPDIR": scratch, "PYTHONHASHSEED": "0"},
            )
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {timeout:g} s (a hang, or --timeout too short)"}
    if completed.returncode != 0 or not completed.stdout:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the process died (exit code {completed.returncode}): {last}"}
    try:
        return json.loads(completed.stdout)
    except ValueError:
        return {"error": "the process printed no result"}


def warm_and_cold(target: Target, events: List[dict], setup: Optional[str] = None, timeout: float = 60.0,
                  environment: Optional[dict] = None, keep_times: bool = False):
    """(the warm run's outcome, the outcomes of a cold run of each event after
    the first, and of a second cold run of each), all run in parallel."""
    environment = environment or {}
    cold = [request(target, [event], setup, environment, keep_times) for event in events[1:]]
    payloads = [request(target, events, setup, environment, keep_times), *cold, *cold]
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        outcomes = list(pool.map(lambda payload: run_child(payload, timeout), payloads))
    return outcomes[0], outcomes[1:len(events)], outcomes[len(events):]
