"""Whole projects, checked and fixed the way users run warmstate on them.

Each project under fixtures/projects/NAME/ is a small Lambda application: a
SAM app, a serverless.yml app, a CDK app, a Terraform app, framework
dispatch, handler shapes, state several imports away.  Beside it:

- NAME.expected/  the files `warmstate fix` changes, as they must read after it
  (every other file must be left as it is);
- NAME.json       what else to expect:
    "handlers":      the lines `warmstate handlers` prints for the project;
    "unsafe_fixes":  whether the fix is run with --unsafe-fixes;
    "at_handler":    {file: [[line, code], ...]}: findings about state in other
                     files, shown at the handler when only this file is checked;
    "behaviour":     handlers to run warm and cold, before and after the fix:
                     [{"file", "handler", "code_root", "sys_path", "events"}].

Findings are marked in the project's files with `# expect: CODE` comments,
as in the rule fixtures.  Every file with a marker is also checked alone (as
pre-commit passes one changed file) with `warmstate check` and with flake8:
the project is still followed from the file's project root.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import FIXTURES, installed_command, run_handler
from linter.probe.target import file_target
from test_behaviour import FUNCTION_ENVIRONMENT
from test_rule_fixtures import expected_findings

PROJECTS = FIXTURES / "projects"
NAMES = sorted(path.stem for path in PROJECTS.glob("*.json"))


def spec(name):
    return json.loads((PROJECTS / f"{name}.json").read_text())


def python_files(root):
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.py"))


def markers(name):
    """{(path, line, code)} for every `# expect:` marker in the project."""
    root = PROJECTS / name
    return {(path, line, code) for path in python_files(root)
            for line, code in expected_findings((root / path).read_text())}


def run(command, *args, cwd):
    completed = subprocess.run([installed_command(command), *map(str, args)], cwd=cwd,
                               capture_output=True, text=True, timeout=300)
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def check_json(root, *paths):
    completed = run("warmstate", "check", "--output-format", "json", *(paths or ["."]), cwd=root)
    assert completed.returncode in (0, 1), completed.stderr
    return json.loads(completed.stdout)


def located(findings):
    return {(finding["path"], finding["line"], finding["code"]) for finding in findings}


def snapshot(root):
    return {path: (root / path).read_text() for path in python_files(root)}


@pytest.fixture(scope="module")
def fixed_projects(tmp_path_factory):
    """{name: directory}: a copy of each project after `warmstate fix`, made once."""
    made = {}

    def fixed(name):
        if name not in made:
            copy = tmp_path_factory.mktemp(name) / name
            shutil.copytree(PROJECTS / name, copy)
            unsafe = ["--unsafe-fixes"] if spec(name).get("unsafe_fixes") else []
            completed = run("warmstate", "fix", *unsafe, ".", cwd=copy)
            assert completed.returncode in (0, 1), completed.stderr
            made[name] = copy
        return made[name]

    return fixed


def test_every_project_has_its_expectations():
    assert NAMES, "no fixture projects"
    for name in NAMES:
        assert (PROJECTS / name).is_dir(), f"{name}.json has no project"
        assert (PROJECTS / f"{name}.expected").is_dir(), f"{name} has no expected fixed files"
        assert markers(name), f"{name} marks no finding"


@pytest.mark.parametrize("name", NAMES)
def test_findings_match_markers(name):
    assert located(check_json(PROJECTS / name)) == markers(name)


@pytest.mark.parametrize("name", NAMES)
def test_handlers_and_where_they_come_from(name):
    completed = run("warmstate", "handlers", ".", cwd=PROJECTS / name)
    assert completed.stdout.splitlines() == spec(name)["handlers"], completed.stderr


def alone_cases():
    """(project, file): every file with a marker or a finding shown at its handler."""
    return [(name, path) for name in NAMES
            for path in sorted({path for path, _, _ in markers(name)} | set(spec(name).get("at_handler", {})))]


def expected_alone(name, path):
    at_handler = {(path, line, code) for line, code in spec(name).get("at_handler", {}).get(path, [])}
    return {marker for marker in markers(name) if marker[0] == path} | at_handler


@pytest.mark.parametrize("name, path", alone_cases())
def test_one_changed_file_is_checked_with_its_project(name, path):
    """pre-commit passes only the changed file: its findings are the same as in
    a run over the whole project, plus those about state elsewhere that a
    handler in it reaches."""
    assert located(check_json(PROJECTS / name, path)) == expected_alone(name, path)


@pytest.mark.parametrize("name, path", alone_cases())
def test_flake8_on_one_file_follows_the_project(name, path):
    completed = run("flake8", "--isolated", "--select", "LAM", path, cwd=PROJECTS / name)
    found = set()
    for line in completed.stdout.splitlines():
        where, number, _, rest = line.split(":", 3)
        found.add((where.removeprefix("./"), int(number), rest.split()[0]))
    assert found == expected_alone(name, path), completed.stdout + completed.stderr


@pytest.mark.parametrize("name", NAMES)
def test_fix_gives_the_expected_files(name, fixed_projects):
    """Fix changes the expected files into NAME.expected/ and leaves the others."""
    original, expected_dir = snapshot(PROJECTS / name), snapshot(PROJECTS / f"{name}.expected")
    expected = {**original, **expected_dir}
    after = snapshot(fixed_projects(name))
    assert after.keys() == expected.keys()
    wrong = [path for path in after if after[path] != expected[path]]
    assert not wrong, f"fixed differently than expected: {wrong}"
    assert all(original[path] != text for path, text in expected_dir.items()), "an expected file that is not a change"


@pytest.mark.parametrize("name", NAMES)
def test_fixed_project_is_final(name, fixed_projects):
    """The fixed files compile, a second fix changes nothing, and what remains
    is exactly the findings that had no fix to apply."""
    root = fixed_projects(name)
    for path, text in snapshot(root).items():
        compile(text, path, "exec")
    unsafe = spec(name).get("unsafe_fixes", False)
    applied = {"safe", "unsafe"} if unsafe else {"safe"}
    unfixed = {(f["path"], f["code"]) for f in check_json(PROJECTS / name)
               if not f["fix"] or f["fix"]["applicability"] not in applied}
    before = snapshot(root)
    run("warmstate", "fix", *(["--unsafe-fixes"] if unsafe else []), ".", cwd=root)
    assert snapshot(root) == before
    assert {(f["path"], f["code"]) for f in check_json(root)} == unfixed


# -- behaviour: the real handler, warm and cold ---------------------------------


def invoke(root, case, events):
    """The last result of `events` sent in order to one fresh interpreter (warmstate's probe child)."""
    target = file_target(str(root / case["file"]), case["handler"], code_root=str(root / case.get("code_root", ".")),
                         layers=[str(root / extra) for extra in case.get("sys_path", [])])
    return run_handler(target, events, FUNCTION_ENVIRONMENT)


def behaviour_cases():
    return [pytest.param(name, case, id=f"{name}-{case['file']}:{case['handler']}")
            for name in NAMES for case in spec(name).get("behaviour", [])]


def test_every_project_with_a_fix_has_a_behaviour_proof():
    proven = {name for name in NAMES if spec(name).get("behaviour")}
    assert proven == set(NAMES)


@pytest.mark.parametrize("name, case", behaviour_cases())
def test_leak_is_real_and_the_fix_removes_it(name, case, fixed_projects):
    """Three invocations warm differ from the last one cold before the fix,
    equal it after; and the fix changes nothing a cold invocation does."""
    events, fixed = case["events"], fixed_projects(name)
    original = PROJECTS / name
    assert len(events) >= 3
    assert invoke(original, case, events) != invoke(original, case, events[-1:]), "the events do not show the leak"
    assert invoke(fixed, case, events) == invoke(fixed, case, events[-1:]), "the fixed handler still leaks"
    for event in events:
        assert invoke(fixed, case, [event]) == invoke(original, case, [event]), f"the fix changed a cold run: {event}"
