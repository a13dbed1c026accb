"""Worker processes: forked from a fork server that has imported the analysis,
started early on a cold run (:mod:`linter.workers`)."""
from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

import linter.cli
import linter.project.file_facts
from linter.cli import main
from linter.workers import RECURSION_LIMIT, pool

from test_cli import LEAK, write

needs_fork_server = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                       reason="the platform has no fork server (Windows)")


@needs_fork_server
def test_a_worker_starts_with_the_analysis_imported_and_deep_recursion_allowed():
    with pool(2) as workers:
        modules = set(workers.submit(eval, "list(__import__('sys').modules)").result())
        limit = workers.submit(eval, "__import__('sys').getrecursionlimit()").result()
    assert {"libcst.native", "linter.engine", "rules.unbounded_container", "linter.analysis.restore"} <= modules
    assert limit >= RECURSION_LIMIT


@needs_fork_server
def test_a_worker_imports_nothing_more_to_check_a_project(tmp_path, monkeypatch):
    """Everything a check imports in its workers is imported by the fork
    server before: a module left out would be imported by each worker."""
    for index in range(30):
        write(tmp_path, f"service_{index:02d}/app.py", LEAK)
    monkeypatch.chdir(tmp_path)
    script = ("import sys; from linter.cli import main; before = set(sys.modules); "
              "main(['check', '--no-cache', '--jobs', '1', '--exit-zero', '--output-format', 'json', '.']); "
              "print(' '.join(sorted(set(sys.modules) - before)))")
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    with pool(2) as workers:
        server = set(workers.submit(eval, "list(__import__('sys').modules)").result())
    by_analysis = [name for name in imported.splitlines()[-1].split()
                   if name.startswith(("linter.analysis", "linter.summary", "linter.parsing", "rules.", "libcst"))]
    assert by_analysis, "the check imported nothing: the test looks at the wrong run"
    assert [name for name in by_analysis if name not in server] == []


@pytest.mark.parametrize("args, started", [
    (["check", "--jobs", "2", "."], True),
    (["fix", "--diff", "--jobs", "2", "."], True),
    (["check", "--no-cache", "--jobs", "2", "."], True),
    (["check", "--jobs", "1", "."], False),
    (["check", "--jobs", "2", "service_00/app.py"], False),
    (["handlers", "--jobs", "2", "."], False),
])
def test_a_cold_run_starts_the_fork_server_before_reading(tmp_path, monkeypatch, args, started):
    for index in range(3):
        write(tmp_path, f"service_{index:02d}/app.py", LEAK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARMSTATE_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(linter.cli, "prestart", lambda: calls.append(args))
    main(args)
    assert bool(calls) == started


def test_a_run_with_what_an_earlier_run_kept_starts_no_fork_server(tmp_path, monkeypatch):
    """A rerun reads only changed files, and runs at most the units they are
    in: too little for workers to be worth a server."""
    write(tmp_path, "app.py", LEAK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARMSTATE_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(linter.cli, "prestart", lambda: calls.append(1))
    monkeypatch.setattr(linter.project.file_facts, "RACY_NANOSECONDS", 0)  # keep the facts of a file just written
    main(["check", "--jobs", "2", "."])
    write(tmp_path, "app.py", LEAK + "\n# changed\n")
    main(["check", "--jobs", "2", "."])
    assert calls == [1]
