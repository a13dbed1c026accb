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
