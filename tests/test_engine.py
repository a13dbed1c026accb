"""Engine properties that fixtures do not show: bounded work on fan-out call graphs."""
from __future__ import annotations

import ast

import libcst as cst

from linter.analysis.calls import MAX_EVENTS, method_of, trace
from linter.analysis.handlers import find_handlers
from linter.analysis.invocation import Analysis
from linter.summary.model import build_functions, build_module_level
from linter.parsing.positions import PositionIndex


def analysis_of(source):
    module = cst.parse_module(source)
    model, builder = build_module_level(module)
    build_functions(builder)
    return Analysis(model, find_handlers(model, None), PositionIndex(module, ast.parse(source), source))


def test_call_traces_are_capped_on_fan_out_call_graphs():
    # f0 calls f1 twice, f1 calls f2 twice, ...: 2**25 call paths to the leaf.
    depth = 25
    functions = [f"def f{i}():\n    f{i + 1}()\n    f{i + 1}()\n" for i in range(depth)]
    functions.append(f"def f{depth}():\n    logging.getLogger().addHandler(logging.NullHandler())\n")
    source = "import logging\n\n" + "\n".join(functions) + "\ndef lambda_handler(event, context):\n    f0()\n"
    analysis = analysis_of(source)
    events = trace(
        analysis, (("lambda_handler",), None),
        lambda info, receiver, call: "add" if method_of(call) == "addHandler" else None,
    )
    assert 0 < len(events) <= MAX_EVENTS * 2
    assert all(event.kind == "add" and event.function.display == f"f{depth}" for event in events)
