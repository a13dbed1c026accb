"""Run a fixture's handler in this fresh interpreter, once per event, and print
the last invocation's result and output as JSON.  Tests call it in a
subprocess: warm (several events in one process) and cold (a new process for
each event).

Loggers keep the stream they were given when they were created, so stdout is
replaced before the module under test is imported.  The root logger gets a
handler first, as the Lambda runtime's bootstrap does: that is what makes a
plain ``logging.basicConfig()`` a no-op on Lambda (LAM302).
Values that differ between any two runs (timestamps, cold-start flags) are
dropped from JSON log lines.

boto3 is in every Lambda runtime but not a test dependency, and no test may
reach AWS: it is replaced by a stand-in whose clients and resources (and
their tables and buckets) can be created, as fixtures do at import, and
refuse every call.
"""
import argparse
import functools
import importlib.util
import io
import json
import logging
import os
import sys
import types

VOLATILE_KEYS = ("timestamp", "cold_start", "xray_trace_id", "_aws", "location")
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a9942727{:02d};Sampled=1"  # new for every invocation, as on Lambda


class OfflineClient:
    def __init__(self, service):
        self.service = service

    def __getattr__(self, operation):
        def refuse(*args, **kwargs):
            raise ConnectionRefusedError(f"{self.service}.{operation}: tests do not call AWS")

        return refuse


class OfflineResource(OfflineClient):
    """``boto3.resource(...)``: its sub-resources (``Table``, ``Bucket``) are
    made locally, as boto3 makes them, and refuse every call."""

    def __getattr__(self, name):
        if name[:1].isupper():
            return lambda *args, **kwargs: OfflineClient(f"{self.service}.{name}")
        return super().__getattr__(name)


def offline_boto3():
    module = types.ModuleType("boto3")
    module.client = lambda service, **options: OfflineClient(service)
    module.resource = lambda service, **options: OfflineResource(service)
    return module


def context():
    return types.SimpleNamespace(
        function_name="fixture",
        function_version="$LATEST",
        memory_limit_in_mb=128,
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:fixture",
        aws_request_id="request-id",  # the same in warm and cold runs, so results compare
        log_group_name="/aws/lambda/fixture",
        log_stream_name="stream",
        get_remaining_time_in_millis=lambda: 1000,
    )


def frozen_clock(start):
    """Stop the clock at ``start`` (ISO time) until moved: what fixtures about
    import-time clocks need to show the same leak on every run."""
    import time_machine

    return time_machine.travel(start, tick=False).start()


def normalize(line):
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if isinstance(record, dict):
        for key in VOLATILE_KEYS:
            record.pop(key, None)
    return record


def load(path, code_root, extra_paths):
    """The handler's module: from its file alone, or, in a project, by its
    module name from the code root (so its imports of the project work)."""
    if code_root is None:
        spec = importlib.util.spec_from_file_location("handler_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    sys.path[:0] = [os.path.abspath(code_root), *map(os.path.abspath, extra_paths)]
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(code_root))
    return importlib.import_module(relative[: -len(".py")].replace(os.sep, ".").removesuffix(".__init__"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("handler")
    parser.add_argument("events")
    parser.add_argument("--code-root", help="import the module by name from here, as Lambda does")
    parser.add_argument("--sys-path", action="append", default=[], help="more import roots (layers)")
    parser.add_argument("--clock", default="[]", help="JSON: each invocation's time; the first is also the import's")
    args = parser.parse_args()
    times = json.loads(args.clock)
    clock = frozen_clock(times[0]) if times else None

    real_stdout, captured = sys.stdout, io.StringIO()
    sys.stdout = captured
    logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
    sys.modules["boto3"] = offline_boto3()
    module = load(args.path, args.code_root, args.sys_path)
    handler = functools.reduce(getattr, args.handler.split("."), module)  # "app" or "Handler.handle"
    result, output = None, []
    for number, event in enumerate(json.loads(args.events)):
        if clock is not None:
            clock.move_to(times[number])
        os.environ["_X_AMZN_TRACE_ID"] = TRACE_ID.format(number)
        start = captured.tell()
        try:
            result = handler(event, context())
        except Exception as error:  # the result of a failing invocation
            result = f"raised {type(error).__name__}"
        output = [normalize(line) for line in captured.getvalue()[start:].splitlines()]
    sys.stdout = real_stdout
    print(json.dumps({"result": result, "output": output}, sort_keys=True, default=repr))


if __name__ == "__main__":
    main()
