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


def test_a_cycle_of_two_thousand_modules_each_filling_its_own_list(tmp_path):
    """Each module's list is reached through the calls of the whole cycle,
    each under a guard: asking, per list, whether every way to it is guarded
    took time growing with the square of the cycle (over two minutes), and
    each message printed the whole chain (30 MB in all)."""
    count = 2000
    for index in range(count):
        following = (index + 1) % count
        (tmp_path / f"stage_{index}.py").write_text(
            f"import stage_{following}\n\nPROCESSED_{index} = []\n\n\n"
            f"def process_{index}(record, remaining):\n"
            f"    PROCESSED_{index}.append(record['id'])\n"
            f"    if remaining:\n"
            f"        stage_{following}.process_{following}(record, remaining - 1)\n")
    (tmp_path / "app.py").write_text(
        "import stage_0\n\n\ndef lambda_handler(event, context):\n"
        "    for record in event['Records']:\n        stage_0.process_0(record, 3)\n    return {}\n")
    check = subprocess.run([installed_command("warmstate"), "check", "--no-cache", "."], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 1, check.stderr
    lines = check.stdout.splitlines()
    assert lines[-1] == "Found 2000 findings (2000 fixable with `warmstate fix`)."
    last = next(line for line in lines if line.startswith("stage_1999.py:3:1: LAM101"))
    assert ("(lambda_handler() → process_0() → process_1() → process_2() → … 1,993 more … → process_1996() → "
            "process_1997() → process_1998() → process_1999())") in last


def test_an_inheritance_chain_of_ten_thousand_classes(tmp_path):
    """Whether a class shares its attributes as written depends on its whole
    chain of bases; walking each class's chain took time growing with the
    square of its length (10,000 classes: three and a half minutes)."""
    classes = "".join(f"\n\nclass Stage{index}(Stage{index - 1}):\n    pass\n" for index in range(1, 10000))
    (tmp_path / "app.py").write_text(
        "class Stage0:\n    seen = []\n\n    def record(self, item):\n        self.seen.append(item)\n"
        + classes
        + "\n\ndef lambda_handler(event, context):\n    stage = Stage9999()\n    stage.record(event['id'])\n"
        "    return len(stage.seen)\n")
    check = subprocess.run([installed_command("warmstate"), "check", "--no-cache", "app.py"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 1, check.stderr
    assert check.stdout.startswith("app.py:2:5: LAM103 class attribute 'Stage0.seen' (a list) is appended to"), \
        check.stdout
