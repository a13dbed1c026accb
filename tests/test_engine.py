"""Engine properties that fixtures do not show: bounded work on fan-out call graphs."""
from __future__ import annotations

from linter.analysis.calls import MAX_EVENTS, handler_trace, method_of
from linter.engine import FileOptions, SourceText, analyse


def analysis_of(source):
    return analyse([SourceText("app.py", source, FileOptions(frozenset()))]).analysis


def test_call_traces_are_capped_on_fan_out_call_graphs():
    # f0 calls f1 twice, f1 calls f2 twice, ...: 2**25 call paths to the leaf.
    depth = 25
    functions = [f"def f{i}():\n    f{i + 1}()\n    f{i + 1}()\n" for i in range(depth)]
    functions.append(f"def f{depth}():\n    logging.getLogger().addHandler(logging.NullHandler())\n")
    source = "import logging\n\n" + "\n".join(functions) + "\ndef lambda_handler(event, context):\n    f0()\n"
    analysis = analysis_of(source)
    events = handler_trace(
        analysis, analysis.handlers[0],
        lambda info, receiver, call: "add" if method_of(call) == "addHandler" else None,
    )
    assert 0 < len(events) <= MAX_EVENTS * 2
    assert all(event.kind == "add" and event.function.display == f"f{depth}" for event in events)
