"""Large generated modules: their literal data is elided before parsing
(linter/parsing/elide.py), found leaks are reported at the right lines, and a
fix writes the data back exactly as it was."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import installed_command
from linter.parsing.elide import ELIDED_SIZE, elide

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.data_module import module_text  # noqa: E402


def test_a_generated_data_module_is_checked_and_fixed_with_its_data_kept(tmp_path):
    text = module_text(0.3)
    path = tmp_path / "catalogue.py"
    path.write_text(text)
    command = installed_command("warmstate")
    check = subprocess.run([command, "check", str(path)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 1, check.stderr
    line = text.splitlines().index("SEEN_SKUS = []") + 1
    assert check.stdout.startswith(f"{path}:{line}:1: LAM101 module-level list 'SEEN_SKUS'")
    fix = subprocess.run([command, "fix", str(path)], capture_output=True, text=True, timeout=120)
    assert fix.returncode == 0, fix.stderr
    fixed = path.read_text()
    data_end = text.index("\n}\n") + 3
    assert fixed[:data_end] == text[:data_end]
    assert "def lambda_handler(event, context):\n    SEEN_SKUS.clear()\n" in fixed


def test_only_large_literals_of_constants_are_elided():
    rows = "".join(f'    "key-{index}": [{index}, -{index}.5, "text {index}", None],\n' for index in range(2000))
    constant = f"TABLE = {{\n{rows}}}\n"
    assert len(constant) > ELIDED_SIZE
    elided = elide(constant + "def handler(event, context):\n    return TABLE\n")
    assert elided.text.startswith("TABLE = dict(__warmstate_elided_0__\n")
    assert elided.text.count("\n") == (constant + "def handler(event, context):\n    return TABLE\n").count("\n")
    assert elided.restore(elided.text) == constant + "def handler(event, context):\n    return TABLE\n"
    for impure in ('    "call": record_event,\n', '    "made": [x for x in range(3)],\n', '    **DEFAULTS,\n'):
        text = f"TABLE = {{\n{rows}{impure}}}\n"
        assert elide(text).originals == {}, impure
    assert elide(f"TABLE = {{\n{rows[:500]}}}\n").originals == {}  # small: parsed as written
