"""The README's rule table is checked against the rules themselves."""
from __future__ import annotations

from conftest import ROOT
from rules import ALL_RULES


def readme_rule_rows():
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith("LAM") and len(cells) == 4:
            rows[cells[0]] = cells[1:]
    return rows


def test_readme_rule_table_matches_rules():
    assert readme_rule_rows() == {rule.code: [rule.summary, rule.fix, rule.safety] for rule in ALL_RULES}


def test_every_rule_is_documented_with_examples():
    for rule in ALL_RULES:
        assert rule.code.startswith("LAM") and rule.why and rule.bad.strip() and rule.good.strip()
        assert rule.documentation().startswith(f"{rule.code} ({rule.name})")
