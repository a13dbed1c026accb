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


def test_libcst_parses_only_the_files_on_an_invocation_path(tmp_path, monkeypatch):
    """A handler, the module it imports and a package it imports through are
    parsed by LibCST; a test importing the handler, a CDK stack and a script
    are not (CPython's parser decides), and the leak behind the import is
    still found."""
    import linter.engine
    from linter.analysis.entry_points import may_hold_handler_text
    from linter.engine import lint_sources
    from linter.project.layout import Layout
    from rules import ALL_RULES

    files = {
        "orders/app.py": "from orders.audit import record\n\n\n"
                         "def lambda_handler(event, context):\n    record(event['id'])\n    return {'ok': True}\n",
        "orders/audit/__init__.py": "from .trail import record\n",
        "orders/audit/trail.py": "TRAIL = []\n\n\ndef record(entry):\n    TRAIL.append(entry)\n",
        "tests/test_app.py": "import pytest\n\nfrom orders import app\n\n\n@pytest.fixture\ndef event():\n"
                             "    return {'id': 'o-1'}\n\n\ndef test_handler(event, monkeypatch):\n"
                             "    assert app.lambda_handler(event, None) == {'ok': True}\n",
        "infra/stack.py": "from aws_cdk import Stack\n\n\nclass OrdersStack(Stack):\n"
                          "    def __init__(self, scope, construct_id, **kwargs):\n"
                          "        super().__init__(scope, construct_id, **kwargs)\n",
        "scripts/backfill.py": "import sys\n\n\ndef main(argv):\n    return 0\n\n\n"
                               "if __name__ == '__main__':\n    sys.exit(main(sys.argv))\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    parsed, prepared_by_cpython = [], []
    real = linter.engine.parse_prepared
    monkeypatch.setattr(linter.engine, "parse_prepared", lambda prepared: parsed.append(prepared.path) or real(prepared))
    real_prepare = linter.engine.prepare
    monkeypatch.setattr(linter.engine, "prepare", lambda path, text: prepared_by_cpython.append(path) or real_prepare(path, text))
    options = FileOptions(frozenset(rule.code for rule in ALL_RULES))
    sources = [SourceText(name, text, options, may_hold_handler_text(text)) for name, text in files.items()]
    results = lint_sources(sources, ALL_RULES, Layout(str(tmp_path), list(files)))
    assert sorted(parsed) == ["orders/app.py", "orders/audit/__init__.py", "orders/audit/trail.py"]
    assert sorted(prepared_by_cpython) == sorted(files)  # once each: the trees the path needs were kept
    assert [d.code for d in results["orders/audit/trail.py"].diagnostics] == ["LAM101"]
    assert not any(result.errors for result in results.values())


def test_a_check_parses_each_file_with_cpython_once(tmp_path, monkeypatch):
    """The CLI tells the engine which files may hold a handler (their file
    facts), so the module a handler imports is parsed once, not again once
    the path is known."""
    import linter.engine
    from linter.cli import main

    files = {
        "pyproject.toml": "[tool.warmstate]\n",
        "orders/app.py": "from orders import audit\n\n\ndef lambda_handler(event, context):\n"
                         "    audit.record(event['id'])\n    return {'ok': True}\n",
        "orders/__init__.py": "",
        "orders/audit.py": "TRAIL = []\n\n\ndef record(entry):\n    TRAIL.append(entry)\n",
        "tests/test_app.py": "from orders import app\n\n\ndef test_handler():\n    assert app.lambda_handler({'id': 1}, None)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    prepared = []
    real = linter.engine.prepare
    monkeypatch.setattr(linter.engine, "prepare", lambda path, text: prepared.append(path) or real(path, text))
    assert main(["check", "--no-cache", "--jobs", "1", "."]) == 1
    assert sorted(prepared) == sorted(name for name in files if name.endswith(".py"))


def test_no_reference_cycle_keeps_a_units_trees_alive():
    """A unit's trees are freed by reference counting when its results are
    dropped: a cycle through them would leave millions of nodes for the cyclic
    collector to walk (8% of a run).  Checked over every rule fixture, so that
    every part of the analysis a rule asks for is built."""
    import gc

    import libcst as cst

    from conftest import FIXTURES
    from linter.engine import lint_text, no_cyclic_collection
    from rules import ALL_RULES

    options = FileOptions(frozenset(rule.code for rule in ALL_RULES))
    fixtures = sorted((FIXTURES / "rules").rglob("*.py"))
    assert len(fixtures) > 150
    gc.collect()
    with no_cyclic_collection():
        for path in fixtures:
            lint_text(str(path), path.read_text(), options, ALL_RULES)
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            kept = {type(thing).__qualname__ for thing in gc.garbage
                    if isinstance(thing, cst.CSTNode) or type(thing).__module__.startswith(("linter.", "rules."))}
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert kept == set()


def test_a_flag_guard_counts_only_the_way_round_that_runs_once():
    """`if not _READY:` (or `if _config is None:`) with the flag then set for
    good runs once per process, so what it adds is not a leak; `if _READY:`
    runs on every warm invocation, and a flag set back to False on every one."""
    from linter.engine import lint_text
    from rules import ALL_RULES

    options = FileOptions(frozenset(rule.code for rule in ALL_RULES))
    template = ("SEEN = []\n_READY = False\n\n\ndef lambda_handler(event, context):\n    global _READY\n"
                "    if {test}:\n        SEEN.append('warmed up')\n        _READY = True\n{after}"
                "    return len(SEEN)\n")
    cases = {("not _READY", ""): False, ("_READY is False", ""): False, ("_READY", ""): True,
             ("_READY is not False", ""): True, ("not _READY", "    _READY = False\n"): True}
    for (test, after), leaks in cases.items():
        found = lint_text("app.py", template.format(test=test, after=after), options, ALL_RULES).diagnostics
        assert ("LAM101" in {d.code for d in found}) == leaks, (test, after)


def test_a_rule_about_a_library_runs_only_where_the_unit_names_it(tmp_path, monkeypatch):
    """LAM307 (Sentry) is not asked about a unit whose text never names
    sentry_sdk, and still finds a scope write reached through a module of
    the project that imports it."""
    from dataclasses import replace

    from linter.engine import lint_sources
    from linter.project.layout import Layout
    from rules import ALL_RULES, RULES_BY_CODE

    asked = []
    sentry = RULES_BY_CODE["LAM307"]
    counted = replace(sentry, check=lambda analysis: asked.append(True) or sentry.check(analysis))
    rules = [counted if rule.code == "LAM307" else rule for rule in ALL_RULES]
    options = FileOptions(frozenset(rule.code for rule in ALL_RULES))
    plain = {"app.py": "def lambda_handler(event, context):\n    return {'ok': True}\n"}
    lint_sources([SourceText(name, text, options) for name, text in plain.items()], rules, Layout(str(tmp_path), list(plain)))
    assert asked == []
    through = {
        "app.py": "from monitoring import tag_user\n\n\ndef lambda_handler(event, context):\n"
                  "    tag_user(event['user'])\n    return {'ok': True}\n",
        "monitoring.py": "import sentry_sdk\n\n\ndef tag_user(user):\n    sentry_sdk.set_user({'id': user})\n",
    }
    for name, text in through.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    results = lint_sources([SourceText(name, text, options) for name, text in through.items()], rules,
                           Layout(str(tmp_path), list(through)))
    assert asked == [True]
    assert [d.code for d in results["monitoring.py"].diagnostics] == ["LAM307"]
