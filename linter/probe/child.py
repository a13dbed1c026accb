"""Run a handler in this fresh interpreter, once per event, as the Lambda
runtime would, and print what each invocation did as JSON.

Started by :mod:`linter.probe.runs` with a JSON request on stdin; never
imported by warmstate's own process.  Before the handler's module is
imported, the runtime's environment variables are set, stdout and stderr are
captured (loggers keep the stream they were created with), and the root
logger gets a handler, as the runtime's bootstrap gives it (which is what
makes a plain ``logging.basicConfig()`` a no-op on Lambda).  A setup file,
when given, runs first: it can stub AWS clients (moto, botocore's Stubber)
or freeze a clock, and may define ``before_import(events)`` (called with the
events this process will send) and ``before_invocation(number, event)``.

Each invocation gets a fresh context and trace id.  Its record holds the
masked return value, or the exception it raised, the masked lines it printed
or logged, and the fingerprint of the state it left
(:mod:`linter.probe.fingerprint`).  A handler that calls ``sys.exit`` ends
the run, as it ends the runtime's process.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import io
import json
import logging
import os
import runpy
import sys
import tempfile
import warnings

from linter.probe import masking
from linter.probe.fingerprint import Fingerprint
from linter.probe.masking import mask_line, mask_value
from linter.probe.runtime import LambdaContext, environment, new_trace_id


def load(request: dict):
    """The handler's module: by name from its code root (so that its imports
    of the project work, as on Lambda), or from its file alone."""
    sys.path[:0] = [os.path.abspath(path) for path in request["sys_path"]]
    if request.get("module"):
        return importlib.import_module(request["module"])
    spec = importlib.util.spec_from_file_location("handler_module", request["path"])
    module = importlib.util.module_from_spec(spec)
    sys.modules["handler_module"] = module
    spec.loader.exec_module(module)
    return module


def jsonable(value):
    return json.loads(json.dumps(value, default=repr, sort_keys=True))


def invoke(handler, event, function_name: str, captured: io.StringIO, fingerprint: Fingerprint) -> dict:
    context = LambdaContext(function_name)
    os.environ["_X_AMZN_TRACE_ID"] = new_trace_id()
    start = captured.tell()
    record = {"result": None, "raised": None, "exited": None}
    try:
        record["result"] = mask_value(jsonable(handler(event, context)))
    except SystemExit as error:
        record["exited"] = repr(error.code)
    except Exception as error:  # noqa: BLE001 - the invocation's outcome, reported as such
        record["raised"] = f"{type(error).__name__}: {error}"
    record["output"] = [mask_line(line) for line in captured.getvalue()[start:].splitlines()]
    record["state"] = fingerprint.take()
    return record


def run(request: dict) -> dict:
    masking.MASK_TIMES = not request.get("keep_times", False)
    masking.TEMPORARY_DIRECTORY = tempfile.gettempdir()
    os.environ.update({**environment(request["function_name"], request["handler"], request["sys_path"][0]),
                       **request.get("environment", {})})
    captured = io.StringIO()
    sys.stdout = sys.stderr = captured
    logging.getLogger().addHandler(logging.StreamHandler(captured))
    warnings.simplefilter("always")  # shown once per process, a warning would tell warm from cold by itself
    for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=hidden)  # hidden by default, as on Lambda
    hooks = runpy.run_path(request["setup"]) if request.get("setup") else {}
    before = hooks.get("before_invocation", lambda number, event: None)
    try:
        hooks.get("before_import", lambda events: None)(request["events"])
        module = load(request)
        handler = functools.reduce(getattr, request["handler"].split("."), module)
    except BaseException as error:  # noqa: BLE001 - whatever stops the import is why the handler cannot run
        hint = ""
        if isinstance(error, ModuleNotFoundError) and request.get("module", "").startswith(f"{error.name}"):
            hint = (f" (imported as {request['module']} from {request['sys_path'][0]}: a package needs its"
                    " __init__.py, or the function a deployment definition naming its code directory)")
        return {"error": f"cannot import the handler: {type(error).__name__}: {error}{hint}",
                "output": captured.getvalue().splitlines()[-20:]}
    fingerprint = Fingerprint(request["roots"], dict(os.environ), tempfile.gettempdir())
    invocations = []
    for number, event in enumerate(request["events"]):
        before(number, event)
        invocations.append(invoke(handler, event, request["function_name"], captured, fingerprint))
        if invocations[-1]["exited"] is not None:
            break
    return {"error": None, "invocations": invocations}


def main() -> None:
    request = json.load(sys.stdin)
    real_stdout, real_stderr = sys.stdout, sys.stderr
    try:
        outcome = run(request)
    except BaseException as error:  # noqa: BLE001 - reported to the parent, whatever it is
        sys.stderr = real_stderr
        outcome = {"error": f"the probe failed in this process: {type(error).__name__}: {error}"}
    real_stdout.write(json.dumps(outcome, default=repr))
    real_stdout.flush()
    os._exit(0)  # threads the handler left running must not keep this process (or its parent) waiting


if __name__ == "__main__":
    main()
