"""Behaviour proofs: the leak is real, and the fix removes it and nothing else.

The product promises that a fix keeps what a cold invocation does and removes
the difference between warm and cold invocations.  That is a property of every
fixed fixture, checked by running its handlers:

- cold equivalence: the original and the fixed module, each run cold (a fresh
  interpreter per event), return the same value and print the same lines for
  every event (for LAM302, whose fix makes the requested level apply, the
  fixed module prints at least the original's lines, in order);
- warm consistency: the fixed module run warm (every event in order, in one
  interpreter) ends with the same result as a cold run of the last event;
- the leak is real: for the fixtures in LEAK_PROOFS the original run warm ends
  differently from a cold run of the last event.

The events are in `NAME.events.json` beside the fixture: for each handler the
fix touches, the events to send it, in order.  For rules without an automatic
fix, the "fixed" side is the fixture's not-flagged twin, written the way the
rule's message says, and the events come from the flagged fixture's file.

Handlers run in subprocesses, through the kit warmstate gives its users
(linter.probe's child, with tests/probe_setup.py), never in this process:
importing fixtures here would let state leak from one test into the next, the
very bug the product is about.  All runs of one fixture are started together
and their results kept, so a fixture costs one batch of processes however many
tests look at it.
"""
from __future__ import annotations

import ast
import functools
import json
import operator
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import pytest

from conftest import PROBE_SETUP, RULE_FIXTURES, installed_command, run_handler
from linter.probe.probe import probe
from linter.probe.target import file_target

# What the fixtures' functions read from their configuration at import.
FUNCTION_ENVIRONMENT = {"BOT_TOKEN": "123456:offline-test-token", "EXPORT_BUCKET": "order-exports", "TZ": "UTC"}

# Fixtures with a NAME.fixed.py beside them, found anew on every run.
WITH_AUTOFIX = sorted(path.relative_to(RULE_FIXTURES).as_posix().replace(".fixed.py", ".py")
                      for path in RULE_FIXTURES.rglob("*.fixed.py"))
WITHOUT_AUTOFIX = {
    "LAM107/clock_in_defaults.py": "LAM107/not_flagged_clock_in_defaults.py",
    "LAM108/declared_accumulator.py": "LAM108/not_flagged_declared_accumulator.py",
    "LAM203/cached_method.py": "LAM203/not_flagged_cached_function.py",
    "LAM307/set_tag_without_isolation.py": "LAM307/not_flagged_isolated.py",
    "LAM307/scope_objects.py": "LAM307/not_flagged_scope_objects.py",
    "LAM308/attach_without_detach.py": "LAM308/not_flagged_detached.py",
    "LAM402/files_left_in_tmp.py": "LAM402/not_flagged_tmp_files.py",
}
FIXTURES = WITH_AUTOFIX + sorted(WITHOUT_AUTOFIX)
# Fixtures whose events show the leak: every handler in the events file ends
# differently warm and cold.  Not the LAM302 fixtures (not a leak), nor
# LAM401/environment_from_event: the one handler its fix touches sets the
# variable before reading it, so it never sees a leak.
LEAK_PROOFS = [
    "LAM101/alias_nested_and_objects.py",
    "LAM101/append_in_helper.py",
    "LAM101/containers_built_by_operations.py",
    "LAM101/bytearray_contents.py",
    "LAM101/callable_instance.py",
    "LAM101/chalice_routes_and_events.py",
    "LAM101/filled_behind_a_flag_that_does_not_hold.py",
    "LAM101/handler_defined_under_if.py",
    "LAM101/helper_of_a_method_of_a_new_instance.py",
    "LAM101/helpers_with_handler_parameters.py",
    "LAM101/invocation_path.py",
    "LAM101/local_runner.py",
    "LAM101/method_of_module_object.py",
    "LAM101/one_line_handlers.py",
    "LAM101/prefilled_containers.py",
    "LAM101/resets_that_do_not_count.py",
    "LAM101/state_passed_as_argument.py",
    "LAM101/two_handlers.py",
    "LAM101/web_adapters.py",
    "LAM101/wrapped_function.py",
    "LAM102/prefilled_buffer.py",
    "LAM102/print_and_write.py",
    "LAM102/written_through_a_library.py",
    "LAM102/truncate_alone.py",
    "LAM103/attribute_of_a_new_instance.py",
    "LAM103/class_attribute.py",
    "LAM103/object_from_an_alternative_constructor.py",
    "LAM103/method_of_a_new_instance.py",
    "LAM103/prefilled_class_attribute.py",
    "LAM103/standard_library_base.py",
    "LAM104/method_default_of_a_new_instance.py",
    "LAM104/mutable_default.py",
    "LAM104/default_copies_module_constants.py",
    "LAM105/accumulators.py",
    "LAM105/counter_in_a_closure.py",
    "LAM105/counter_on_a_module_object.py",
    "LAM105/counter_on_the_handler_function.py",
    "LAM105/counters_in_a_mapping.py",
    "LAM105/running_total_compared.py",
    "LAM106/alert_left_behind.py",
    "LAM106/attribute_of_module_object.py",
    "LAM106/computed_initial_value.py",
    "LAM106/debug_switch_in_environment.py",
    "LAM106/host_in_metadata.py",
    "LAM106/message_on_state_change.py",
    "LAM106/sticky_in_a_closure.py",
    "LAM107/clock_in_defaults.py",
    "LAM107/dataclass_field_default.py",
    "LAM107/model_default.py",
    "LAM107/snapshot_at_import.py",
    "LAM108/declared_accumulator.py",
    "LAM108/declared_accumulator_with_reset.py",
    "LAM108/prettytable_report.py",
    "LAM201/unbounded_caches.py",
    "LAM202/memo_keyed_by_request.py",
    "LAM203/cached_method.py",
    "LAM301/add_handler_per_invocation.py",
    "LAM301/error_metric_handler.py",
    "LAM301/handler_and_lookup_names_taken.py",
    "LAM303/conditional_keys.py",
    "LAM303/logged_before_or_read_back.py",
    "LAM303/router_routes.py",
    "LAM305/bind_without_clear.py",
    "LAM305/imported_by_name.py",
    "LAM305/aliased_at_module_level.py",
    "LAM306/metrics_without_flush.py",
    "LAM307/set_tag_without_isolation.py",
    "LAM307/scope_objects.py",
    "LAM308/attach_without_detach.py",
    "LAM401/visible_to_next_caller.py",
    "LAM401/two_variables_from_the_request.py",
    "LAM401/region_set_on_some_requests.py",
    "LAM402/files_left_in_tmp.py",
]
# LAM302 is not a leak: under the runtime's root handler basicConfig does
# nothing, and its fix makes the level apply, so log lines the original
# swallowed appear (test_basic_config_fix_makes_the_level_apply).
LEVEL_STARTS_TO_APPLY = {"LAM302"}
# LAM403's symptom needs Lambda's freeze: here a started thread simply keeps
# running, so warm and cold runs cannot be told apart deterministically.
# LAM304's needs Powertools 3.8, which the tests do not install (3.9 and later
# clear the buffer themselves, which is why the rule asks for a 3.8 pin).
NO_BEHAVIOUR_PROOF = {"LAM403", "LAM304"}


class Run(NamedTuple):
    """One fresh interpreter running `handler` of `module` on each of `events`."""

    module: str
    handler: str
    events: str  # JSON, so that a run can be a key of RESULTS
    clock: str = "[]"  # JSON: the time of each invocation, the first also the import's (LAM107)


@dataclass(frozen=True)
class Behaviour:
    """A handler's last result and output on a list of events."""

    warm: dict  # every event in one interpreter
    cold: list  # each event in its own interpreter, in order


# Every run's result, shared by the tests of a fixture.
RESULTS: dict[Run, dict] = {}


def rule_of(fixture):
    return fixture.split("/")[0]


def fixed_side(fixture):
    return WITHOUT_AUTOFIX.get(fixture) or fixture.removesuffix(".py") + ".fixed.py"


def events_file(fixture):
    path = RULE_FIXTURES / fixture
    return path.with_name(path.stem + ".events.json")


def events_of(fixture):
    return json.loads(events_file(fixture).read_text())


def clock_of(fixture):
    """{handler: [ISO time of each event]} from ``NAME.clock.json``, for
    fixtures about the clock; empty for the others (the real clock runs)."""
    path = events_file(fixture).with_name(events_file(fixture).name.replace(".events.json", ".clock.json"))
    return json.loads(path.read_text()) if path.exists() else {}


def fixture_target(module, handler):
    """A fixture's handler, imported as Lambda imports it from the fixture's directory."""
    path = RULE_FIXTURES / module
    return file_target(str(path), handler, code_root=str(path.parent))


def run_in_fresh_interpreter(run):
    # Each process gets its own empty temporary directory (linter.probe.runs):
    # a new execution environment's /tmp is empty too.
    return run_handler(fixture_target(run.module, run.handler), json.loads(run.events), FUNCTION_ENVIRONMENT,
                       json.loads(run.clock))


def run_all(runs):
    """Run what has not run yet, concurrently: each run is its own process."""
    missing = [run for run in dict.fromkeys(runs) if run not in RESULTS]
    if missing:
        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            RESULTS.update(zip(missing, pool.map(run_in_fresh_interpreter, missing)))


def runs_of(module, handler, events, clock=()):
    """The warm run, then a cold run of each event (at that event's time)."""
    times = list(clock) or [None] * len(events)
    warm = Run(module, handler, json.dumps(events), json.dumps(list(clock)))
    return [warm, *(Run(module, handler, json.dumps([event]), json.dumps([time] if time else []))
                    for event, time in zip(events, times))]


def behaviour(module, handler, events, clock=()):
    runs = runs_of(module, handler, events, clock)
    run_all(runs)
    warm, *cold = (RESULTS[run] for run in runs)
    return Behaviour(warm, cold)


def observe(fixture):
    """{handler: (original behaviour, fixed behaviour)} for every handler in the
    fixture's events file, all of its runs started together."""
    events, clock = events_of(fixture), clock_of(fixture)
    modules = (fixture, fixed_side(fixture))
    run_all([run for handler, sent in events.items() for module in modules
             for run in runs_of(module, handler, sent, clock.get(handler, ()))])
    return {handler: tuple(behaviour(module, handler, sent, clock.get(handler, ())) for module in modules)
            for handler, sent in events.items()}


def raised(result):
    return isinstance(result["result"], str) and result["result"].startswith("raised ")


def prints_at_least_as_much(original, fixed):
    """The same return value, and every line the original printed, in order,
    among the fixed module's lines (`in` on an iterator consumes it)."""
    remaining = iter(fixed["output"])
    return original["result"] == fixed["result"] and all(line in remaining for line in original["output"])


def module_level_names(module):
    """The functions and the names assigned at module level: a handler can be
    an object (``handler = Mangum(app)``, ``handler = Consumer().handle``)."""
    tree = ast.parse((RULE_FIXTURES / module).read_text())
    assigned = {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    return assigned | set(module_level_functions(module))


def module_level_functions(module):
    """{name: definitions} of the functions not inside a function or class (a
    handler may be defined under `if`), decorators included, without positions."""
    found, pending = {}, [ast.parse((RULE_FIXTURES / module).read_text())]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(node.name, []).append(ast.dump(node))
        elif not isinstance(node, (ast.ClassDef, ast.expr)):
            pending.extend(ast.iter_child_nodes(node))
    return found


# `path:line: name (why)`, a line of `warmstate handlers` that names a handler.
HANDLER_LINE = re.compile(r"^(.+):\d+: (\w+) \(", re.MULTILINE)


@functools.cache
def detected_handlers():
    """{fixture: handler names} as `warmstate handlers` finds them, in one run for all fixtures."""
    completed = subprocess.run(
        [installed_command("warmstate"), "handlers", *WITH_AUTOFIX],
        cwd=RULE_FIXTURES, capture_output=True, text=True, timeout=120, check=True,
    )
    found = {}
    for fixture, handler in HANDLER_LINE.findall(completed.stdout):
        found.setdefault(fixture, set()).add(handler)
    return found


def handlers_the_fix_changed(fixture):
    before, after = module_level_functions(fixture), module_level_functions(fixed_side(fixture))
    return {handler for handler in detected_handlers().get(fixture, ()) if before.get(handler) != after.get(handler)}


@pytest.mark.parametrize("fixture", FIXTURES)
def test_events_file_covers_the_fix(fixture):
    """Every fixed fixture (a new one too) has events for each handler whose
    code its fix changed (at least one handler when the fix is outside them),
    at least two per handler so that a warm run has an earlier invocation, and
    not only events that make the original raise (the property would hold
    trivially)."""
    assert events_file(fixture).exists(), f"no {events_file(fixture).name}: the property cannot run"
    events = events_of(fixture)
    assert events, "no handler to run"
    for module in (fixture, fixed_side(fixture)):
        unknown = set(events) - module_level_names(module)
        assert not unknown, f"{module} has no handler {sorted(unknown)}"
    assert all(len(sent) >= 2 for sent in events.values()), "a warm run needs at least two events"
    if fixture in WITH_AUTOFIX:
        missing = handlers_the_fix_changed(fixture) - set(events)
        assert not missing, f"no events for {sorted(missing)}, whose code the fix changed"
    only_raise = [handler for handler, (original, _) in observe(fixture).items() if all(map(raised, original.cold))]
    assert not only_raise, f"every event makes {only_raise} raise"


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fix_keeps_what_a_cold_invocation_does(fixture):
    """Every event, sent cold to the original and to the fixed module, gets the
    same answer and the same lines: the fix changes nothing but the leak."""
    same = prints_at_least_as_much if rule_of(fixture) in LEVEL_STARTS_TO_APPLY else operator.eq
    events = events_of(fixture)
    differences = [
        f"{handler} {json.dumps(event)}\n  original: {json.dumps(before)}\n  fixed:    {json.dumps(after)}"
        for handler, (original, fixed) in observe(fixture).items()
        for event, before, after in zip(events[handler], original.cold, fixed.cold)
        if not same(before, after)
    ]
    assert not differences, "cold invocations differ:\n" + "\n".join(differences)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixed_handler_gives_the_same_result_warm_and_cold(fixture):
    """After the earlier events, the last one gets what it gets in a new
    execution environment: nothing leaks any more."""
    differences = [
        f"{handler}\n  warm: {json.dumps(fixed.warm)}\n  cold: {json.dumps(fixed.cold[-1])}"
        for handler, (_, fixed) in observe(fixture).items()
        if fixed.warm != fixed.cold[-1]
    ]
    assert not differences, "the fixed handler still leaks:\n" + "\n".join(differences)


@pytest.mark.parametrize("fixture", LEAK_PROOFS)
def test_original_leaks_between_warm_invocations(fixture):
    """Without the fix the earlier events change what the last one gets: the
    finding is a real leak, and the two tests above have something to remove."""
    no_leak = [handler for handler, (original, _) in observe(fixture).items() if original.warm == original.cold[-1]]
    assert not no_leak, f"warm and cold runs of {no_leak} agree: the events do not show the leak"


# State the fixed side keeps on purpose, which `warmstate probe --allow` names.
MEANT_TO_OUTLIVE_INVOCATIONS = {
    "LAM203/cached_method.py": ["*.price"],  # the twin caches a module-level function: bounded, meant to last
    "LAM307/set_tag_without_isolation.py": ["*.CAPTURED"],  # the stand-in for Sentry's transport: what was sent
    "LAM307/scope_objects.py": ["*.CAPTURED"],
}
# Leaks the probe sees only in what the handler returns or logs: the state
# left behind is the same warm and cold, or not where the fingerprint looks.
SEEN_ONLY_IN_WHAT_THE_HANDLER_RETURNS = {
    "LAM107/clock_in_defaults.py": "a time read at import into a default: not a container or counter",
    "LAM107/model_default.py": "a time read at import into a class body's default",
    "LAM107/dataclass_field_default.py": "a time read at import into a dataclass field's default",
    "LAM303/conditional_keys.py": "audit_handler logs before appending the keys: they end the same",
    "LAM303/logged_before_or_read_back.py": "logged before the keys are appended again: they end the same",
    "LAM108/declared_accumulator.py": "the accumulating type is declared in the fixture's configuration, "
                                      "which a check of the file alone does not read",
    "LAM108/declared_accumulator_with_reset.py": "declared in the fixture's configuration, as above",
    "LAM203/cached_method.py": "the cache keeps instances alive: seen in the fixture's WeakSet of live ones",
    "LAM307/set_tag_without_isolation.py": "Sentry keeps its scope inside the library",
    "LAM307/scope_objects.py": "Sentry keeps its scope inside the library",
    "LAM401/visible_to_next_caller.py": "each caller sets the variable: it ends with the caller's own value",
}
# Differences the fixed side shows by design: the function remembers the last
# state to announce only changes, so an invocation's answer depends on the one before.
DEPENDS_ON_THE_PREVIOUS_INVOCATION = {"LAM106/message_on_state_change.py"}


@pytest.mark.parametrize("fixture", LEAK_PROOFS)
def test_probe_shows_the_leak_before_the_fix_and_none_after(fixture):
    """The kit users get (``warmstate probe``, the ``warm_invoke`` fixture)
    on each handler of the events file: warm differs from cold on the
    original (return value, output or the state left behind); on the fixed
    side nothing differs but state ``warmstate check`` still reports there
    (a finding without an automatic fix) and state kept on purpose."""
    from linter.cli import findings

    events, clock = events_of(fixture), clock_of(fixture)
    for handler, sent in events.items():
        times = clock.get(handler, [])
        environment = {**FUNCTION_ENVIRONMENT, "WARMSTATE_TEST_CLOCK": json.dumps([list(p) for p in zip(sent, times)])}
        original, fixed = (probe(fixture_target(module, handler), sent, str(PROBE_SETUP), 120, environment,
                                 static=findings, keep_times=bool(times), allow=allow)
                           for module, allow in ((fixture, ()),
                                                 (fixed_side(fixture), MEANT_TO_OUTLIVE_INVOCATIONS.get(fixture, ()))))
        assert not original.problems and not fixed.problems, original.diff + fixed.diff
        assert not original.consistent, f"the probe does not see the leak of {fixture} {handler}"
        named = {rule for difference in original.differences for rule in difference.rules}
        assert rule_of(fixture) in named or fixture in SEEN_ONLY_IN_WHAT_THE_HANDLER_RETURNS, original.diff
        if fixture in DEPENDS_ON_THE_PREVIOUS_INVOCATION:
            continue
        unexplained = [d for d in fixed.differences if not d.rules]
        assert not unexplained, f"the fixed {handler} still differs:\n{fixed.diff}"


def test_basic_config_fix_makes_the_level_apply():
    """LAM302 is not a leak: under the runtime's root handler basicConfig does
    nothing, so the INFO line is lost; after the fix it is printed."""
    events = [{"id": 3}]
    original = behaviour("LAM302/basic_config.py", "lambda_handler", events)
    fixed = behaviour("LAM302/basic_config.fixed.py", "lambda_handler", events)
    assert original.warm["output"] == []
    assert fixed.warm["output"] == ["order 3"]


# basicConfig calls LAM302 leaves alone because they take effect on Lambda.
BASIC_CONFIG_TAKES_EFFECT = [
    "LAM302/not_flagged_force.py",
    "LAM302/not_flagged_force_from_settings.py",
    "LAM302/not_flagged_handlers_removed.py",
    "LAM302/not_flagged_handlers_cleared.py",
    "LAM302/not_flagged_root_handlers_reset.py",
    "LAM302/not_flagged_handler_copy_loop.py",
    "LAM302/not_flagged_del_handlers.py",
    "LAM302/not_flagged_handlers_removed_by_function.py",
]


@pytest.mark.parametrize("fixture", BASIC_CONFIG_TAKES_EFFECT)
def test_basic_config_left_alone_does_take_effect(fixture):
    """Not a finding a reader can refute: under the runtime's root handler
    these calls do configure logging, so their INFO lines print."""
    output = behaviour(fixture, "lambda_handler", [{"id": 1}, {"id": 2}]).warm["output"]
    assert output and all(line.startswith("INFO ") for line in output), output


def test_every_rule_has_a_behaviour_proof():
    from rules import ALL_RULES

    proven = {rule_of(fixture) for fixture in LEAK_PROOFS} | LEVEL_STARTS_TO_APPLY | NO_BEHAVIOUR_PROOF
    assert {rule.code for rule in ALL_RULES} <= proven
