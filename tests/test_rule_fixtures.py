"""Every rule fixture: findings match the `# expect:` markers, and fixing gives
the `.fixed.py` beside it, which compiles, is stable and no longer fires."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import RULE_FIXTURES
from linter.engine import FileOptions, lint_text
from linter.fixing.fixer import fix_text
from linter.fixing.transform import apply_edits
from linter.project.accumulators import parse_accumulator
from linter.project.requirements import declared_requirements, parse_declarations
from rules import ALL_RULES

ALL_CODES = frozenset(rule.code for rule in ALL_RULES)
OPTIONS = FileOptions(ALL_CODES)
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>LAM\d+(?:\s*,\s*LAM\d+)*)")
CASES = sorted(p for p in RULE_FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def case_id(path):
    return str(path.relative_to(RULE_FIXTURES))


def expected_findings(text):
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found |= {(number, code.strip()) for code in match.group("codes").split(",")}
    return found


DECLARED = re.compile(r"#\s*warmstate-test:\s*accumulators\s*=\s*(?P<specs>.+)")


def wants_unsafe(text):
    return "# warmstate-test: unsafe-fixes" in text


def options(text):
    """The options a fixture asks for: the accumulating types it declares, as
    ``[tool.warmstate] accumulators`` would (``# warmstate-test: accumulators = SPEC SPEC``)."""
    match = DECLARED.search(text)
    if match is None:
        return OPTIONS
    return replace(OPTIONS, accumulators=tuple(parse_accumulator(spec) for spec in match.group("specs").split()))


def identity(diagnostic):
    return diagnostic.code, re.sub(r"\(line \d+\)", "", diagnostic.message)


def declared(path):
    """The library versions the fixture's folder declares (LAM304 needs a Powertools pin)."""
    return declared_requirements([path.parent])


def lint(path, text, requirements=None):
    result = lint_text(str(path), text, options(text), ALL_RULES, requirements or declared(path))
    assert result.errors == []
    return result.diagnostics


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_findings_match_markers(case):
    text = case.read_text()
    assert {(d.line, d.code) for d in lint(case, text)} == expected_findings(text)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fix_gives_expected_output(case):
    text = case.read_text()
    unsafe = wants_unsafe(text)
    diagnostics = lint(case, text)
    fixable = [d for d in diagnostics if d.fix and (d.fix.applicability == "safe" or unsafe)]
    expected_path = case.with_name(case.stem + ".fixed.py")
    outcome = fix_text(str(case), text, options(text), ALL_RULES, unsafe, declared(case))
    assert outcome.errors == []
    if not fixable:
        assert not expected_path.exists(), "a fixed file for a case with nothing to fix"
        assert outcome.fixed == text
        return
    assert expected_path.exists(), f"missing expected fix output {expected_path.name}"
    assert outcome.fixed == expected_path.read_text()

    compile(outcome.fixed, str(expected_path), "exec")
    again = fix_text(str(expected_path), outcome.fixed, options(text), ALL_RULES, unsafe, declared(case))
    assert again.fixed == outcome.fixed, "a second fix changed the file"
    remaining = {identity(d) for d in lint(expected_path, outcome.fixed)}
    assert remaining.isdisjoint(identity(d) for d in fixable), "a fixed finding still fires"
    assert remaining <= {identity(d) for d in diagnostics}, "the fix created a new finding"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_offered_fix_is_applied(case):
    """A finding that claims a fix gets it: each fix's edits find the code
    they edit, and after `fix --unsafe-fixes` no finding that offered a fix
    is left."""
    text = case.read_text()
    result = lint_text(str(case), text, options(text), ALL_RULES, declared(case))
    offered = [d for d in result.diagnostics if d.fix is not None]
    for diagnostic in offered:
        unapplied = []
        assert apply_edits(result.module, diagnostic.fix.edits, unapplied).code != text
        assert unapplied == [], f"{diagnostic.code} at line {diagnostic.line} offers a fix it cannot apply"
    outcome = fix_text(str(case), text, options(text), ALL_RULES, True, declared(case))
    assert outcome.errors == []
    remaining = {identity(d) for d in lint(case, outcome.fixed)}
    assert remaining.isdisjoint(identity(d) for d in offered), "a finding that offered a fix is still there"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_has_flagged_and_clean_fixtures(rule):
    directory = RULE_FIXTURES / rule.code
    cases = [p for p in directory.rglob("*.py") if not p.name.endswith(".fixed.py")]
    assert any(rule.code in {c for _, c in expected_findings(p.read_text())} for p in cases)
    assert any(p.name.startswith("not_flagged") for p in cases)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_documentation_examples(rule):
    """The bad example is flagged, the good one is not, and fixing bad gives good."""
    bad = rule.bad.lstrip("\n")
    good = rule.good.lstrip("\n")
    requirements = parse_declarations(rule.example_requirements, "example")
    assert rule.code in {d.code for d in lint(Path("bad.py"), bad, requirements)}
    assert rule.code not in {d.code for d in lint(Path("good.py"), good, requirements)}
    fixed = fix_text("bad.py", bad, OPTIONS, ALL_RULES, True, requirements).fixed
    assert fixed == (bad if rule.safety.startswith("none") else good)


def applied(text, text_edits):
    """``text`` with ruff-shaped whole-line replacements applied, as an editor applies them."""
    lines = text.splitlines(keepends=True)
    for change in sorted(text_edits, key=lambda c: c["location"]["row"], reverse=True):
        start, end = change["location"]["row"] - 1, change["end_location"]["row"] - 1
        lines[start:end] = [change["content"]]
    return "".join(lines)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_text_edits_rebuild_the_fixed_file(case):
    """What JSON and SARIF output show for each fix, applied to the file,
    gives what ``fix`` writes for that fix alone."""
    text = case.read_text()
    result = lint_text(str(case), text, replace(options(text), text_edits=True), ALL_RULES, declared(case))
    for diagnostic in (d for d in result.diagnostics if d.fix is not None):
        assert diagnostic.fix.text_edits, f"{diagnostic.code} at line {diagnostic.line} shows no text edits"
        assert applied(text, diagnostic.fix.text_edits) == apply_edits(result.module, diagnostic.fix.edits).code
