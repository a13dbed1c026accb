"""What `warmstate fix` does to the files on disk when a module is a
symbolic link: the link stays a link and the file it points at is fixed
(as ruff and black write), once however many paths lead to it."""
from __future__ import annotations

import os
import stat

LEAK = """ITEMS = []


def handler(event, context):
    ITEMS.append(event)
    return len(ITEMS)
"""
RESET = "    ITEMS.clear()\n"


def write(root, relative, text, mode=0o644):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_module_that_is_a_link_is_fixed_through_it(run_warmstate, tmp_path):
    """The rename of the atomic write replaced the link by a regular file:
    the file it pointed at kept the leak, and the two copies diverged."""
    shared = write(tmp_path, "shared/handlers.py", LEAK, mode=0o755)
    (tmp_path / "app.py").symlink_to(os.path.join("shared", "handlers.py"))
    completed = run_warmstate("fix", "--no-cache", tmp_path / "app.py")
    assert (completed.returncode, completed.stderr) == (0, "")
    assert (tmp_path / "app.py").is_symlink()
    assert os.readlink(tmp_path / "app.py") == os.path.join("shared", "handlers.py")
    assert RESET in shared.read_text()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert not [path.name for path in tmp_path.rglob(".warmstate-*")]


def test_a_file_reached_through_a_link_and_its_target_is_fixed_once(run_warmstate, tmp_path):
    """A link to a sibling module: the target was fixed first, then the
    link's fix found the file different from what it had read and failed
    with 'changed on disk since it was read' (exit 2)."""
    target = write(tmp_path, "orders/a_handler.py", LEAK)
    (tmp_path / "orders" / "b_legacy_name.py").symlink_to("a_handler.py")
    completed = run_warmstate("fix", "--no-cache", tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert (tmp_path / "orders" / "b_legacy_name.py").is_symlink()
    assert target.read_text().count(RESET) == 1
    assert run_warmstate("check", "--no-cache", tmp_path).returncode == 0


def test_fix_writes_the_file_it_read_when_the_link_changes_meanwhile(tmp_path):
    """The link is resolved once, when the file is read: a link pointed
    elsewhere before the write does not get the fix of another file's text."""
    from linter.parsing.source import read_source, write_atomically

    first = write(tmp_path, "first.py", LEAK)
    other = write(tmp_path, "other.py", "VALUE = 1\n")
    link = tmp_path / "app.py"
    link.symlink_to("first.py")
    source = read_source(str(link))
    link.unlink()
    link.symlink_to("other.py")
    write_atomically(source, LEAK + "# fixed\n")
    assert first.read_text() == LEAK + "# fixed\n"
    assert other.read_text() == "VALUE = 1\n"
    assert link.is_symlink()


# A module reachable under two paths (a link to a sibling, or a shared
# module linked into each function's directory) is analysed under each of
# them, so that imports resolve in every function, but each real file is
# reported once and counted once, as ruff and flake8 users expect.

SHARED = """SEEN = []


def remember(item):
    SEEN.append(item)
    return len(SEEN)
"""
USES_SHARED = """from common import remember


def lambda_handler(event, context):
    return remember(event)
"""


def sibling_link_project(root):
    """functions/orders/app.py, and app_link.py, a link to it (an old handler name kept for a template)."""
    write(root, "functions/orders/app.py", LEAK)
    (root / "functions" / "orders" / "app_link.py").symlink_to("app.py")


def shared_module_project(root):
    """shared/common.py linked into two functions' directories: each function imports it as ``common``."""
    write(root, "shared/common.py", SHARED)
    for function in ("orders", "payments"):
        write(root, f"functions/{function}/app.py", USES_SHARED)
        (root / "functions" / function / "common.py").symlink_to(os.path.join("..", "..", "shared", "common.py"))


def finding_paths(output):
    return [line.split(":", 1)[0] for line in output.splitlines() if ": LAM" in line]


def test_check_reports_a_file_reached_through_a_link_once(run_warmstate, tmp_path):
    """The finding was printed under app.py and again under app_link.py ('Found 2 findings')."""
    sibling_link_project(tmp_path)
    completed = run_warmstate("check", "--no-cache", ".", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert finding_paths(completed.stdout) == ["functions/orders/app.py"]
    assert completed.stdout.splitlines()[-1] == "Found 1 finding (1 fixable with `warmstate fix`)."
    statistics = run_warmstate("check", "--no-cache", "--statistics", ".", cwd=tmp_path).stdout
    assert statistics.split()[:2] == ["1", "LAM101"]


def test_every_output_format_reports_a_linked_file_once(run_warmstate, tmp_path):
    import json

    sibling_link_project(tmp_path)
    paths = {
        "json": lambda out: [finding["path"] for finding in json.loads(out)],
        "sarif": lambda out: [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                              for result in json.loads(out)["runs"][0]["results"]],
        "github": lambda out: [line.split("file=", 1)[1].split(",", 1)[0] for line in out.splitlines()
                               if line.startswith("::")],
    }
    for output_format, found in paths.items():
        completed = run_warmstate("check", "--no-cache", "--output-format", output_format, ".", cwd=tmp_path)
        assert completed.returncode == 1, completed.stderr
        assert found(completed.stdout) == ["functions/orders/app.py"], output_format


def test_fix_counts_a_file_reached_through_a_link_once(run_warmstate, tmp_path):
    """'Fixed 2 findings in 2 files' when one file changed; --diff showed the same diff twice."""
    sibling_link_project(tmp_path)
    link = tmp_path / "functions" / "orders" / "app_link.py"
    diff = run_warmstate("fix", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert diff.stderr == "Would fix 1 finding in 1 file.\n"
    assert diff.stdout.count("+    ITEMS.clear()") == 1
    assert diff.stdout.startswith("--- functions/orders/app.py\n")
    completed = run_warmstate("fix", "--no-cache", ".", cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == "Fixed 1 finding in 1 file; 0 remaining.\n"
    assert link.is_symlink() and os.readlink(link) == "app.py"
    assert (tmp_path / "functions" / "orders" / "app.py").read_text().count(RESET) == 1


def test_a_link_named_on_the_command_line_is_reported_under_that_name(run_warmstate, tmp_path):
    """As ruff does: the name given wins over the target found in a directory named too."""
    sibling_link_project(tmp_path)
    completed = run_warmstate("check", "--no-cache", "functions/orders/app_link.py", "functions", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert finding_paths(completed.stdout) == ["functions/orders/app_link.py"]
    shared_module_project(tmp_path / "two")
    given = run_warmstate("check", "--no-cache", "functions/payments/common.py", ".", cwd=tmp_path / "two")
    assert given.returncode == 1, given.stderr
    assert finding_paths(given.stdout) == ["functions/payments/common.py"]


def test_a_shared_module_linked_into_two_functions_is_analysed_for_both_and_reported_once(run_warmstate, tmp_path):
    """Its leak is reached only through the links (each function imports
    ``common`` from its own directory): it was reported once per link, and
    never at the file itself."""
    shared_module_project(tmp_path)
    completed = run_warmstate("check", "--no-cache", ".", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert finding_paths(completed.stdout) == ["shared/common.py"]
    assert "'SEEN'" in completed.stdout
    completed = run_warmstate("fix", "--no-cache", ".", cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == "Fixed 1 finding in 2 files; 0 remaining.\n"
    for function in ("orders", "payments"):
        assert (tmp_path / "functions" / function / "common.py").is_symlink()
        assert "    SEEN.clear()\n" in (tmp_path / "functions" / function / "app.py").read_text()
    assert (tmp_path / "shared" / "common.py").read_text() == SHARED
    assert run_warmstate("check", "--no-cache", ".", cwd=tmp_path).returncode == 0


def test_an_unparsable_file_reached_through_a_link_is_one_error(run_warmstate, tmp_path):
    write(tmp_path, "functions/orders/app.py", "def lambda_handler(event, context:\n")
    (tmp_path / "functions" / "orders" / "app_link.py").symlink_to("app.py")
    completed = run_warmstate("check", "--no-cache", ".", cwd=tmp_path)
    assert completed.returncode == 2
    assert [line.split(":", 1)[0] for line in completed.stderr.splitlines()] == ["functions/orders/app.py"]


TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/orders/
      Handler: app.handler
      Runtime: python3.12
  AdminFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/admin/
      Handler: app.handler
      Runtime: python3.12
"""
SHARED_HANDLER = """from config import ALLOWED


def handler(event, context):
    ALLOWED.append(event["user"])
    return {"allowed": list(ALLOWED)}
"""


def test_a_file_whose_fix_differs_by_the_path_to_it_is_not_fixed(run_warmstate, tmp_path):
    """One handler file linked into two functions, each with its own
    config.py: the reset is right in one (an empty list) and refused in the
    other (filled at import). Writing the first function's fix into the
    shared file emptied the admin list of the second on every invocation."""
    write(tmp_path, "template.yaml", TEMPLATE)
    shared = write(tmp_path, "shared/app.py", SHARED_HANDLER)
    write(tmp_path, "functions/orders/config.py", "ALLOWED = []\n")
    write(tmp_path, "functions/admin/config.py", 'ALLOWED = []\nALLOWED.append("admin")\n')
    for function in ("orders", "admin"):
        (tmp_path / "functions" / function / "app.py").symlink_to(os.path.join("..", "..", "shared", "app.py"))
    completed = run_warmstate("fix", "--no-cache", tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [
        f"{tmp_path}/shared/app.py: error: cannot fix: reached as {tmp_path}/functions/admin/app.py, "
        f"{tmp_path}/functions/orders/app.py, {tmp_path}/shared/app.py, whose fixes differ; not fixed"]
    assert completed.stdout.splitlines()[-1] == "Fixed 0 findings in 0 files; 1 remaining."
    assert shared.read_text() == SHARED_HANDLER
