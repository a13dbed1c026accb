"""The `--setup` file of warmstate's own behaviour tests (linter.probe.child
runs it before importing a fixture).

boto3 is in every Lambda runtime but not a test dependency, and no test may
reach AWS: it is replaced by a stand-in whose clients and resources (and
their tables and buckets) can be created, as fixtures do at import, and
refuse every call.  For fixtures about import-time clocks, the clock is
frozen at each event's time (``WARMSTATE_TEST_CLOCK``: a JSON list of
[event, ISO time] pairs), the import at the first event's: what they need
to show the same leak on every run.
"""
import json
import os
import sys
import types


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


boto3 = types.ModuleType("boto3")
boto3.client = lambda service, **options: OfflineClient(service)
boto3.resource = lambda service, **options: OfflineResource(service)
sys.modules["boto3"] = boto3

TIMES = {json.dumps(event, sort_keys=True): time for event, time in json.loads(os.environ.get("WARMSTATE_TEST_CLOCK", "[]"))}
CLOCK = []


def before_import(events):
    if TIMES:
        import time_machine

        CLOCK.append(time_machine.travel(TIMES[json.dumps(events[0], sort_keys=True)], tick=False).start())


def before_invocation(number, event):
    if CLOCK:
        CLOCK[0].move_to(TIMES[json.dumps(event, sort_keys=True)])
