"""End-to-end: the installed `warmstate` command, as a user runs it."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import RULE_FIXTURES, SAMPLE_APP, installed_command

LEAK = textwrap.dedent(
    """\
    RESULTS = []


    def lambda_handler(event, context):
        RESULTS.append(event["id"])
        return RESULTS
    """
)
CLEAN = textwrap.dedent(
    """\
    import os

    TABLE = os.environ.get("TABLE", "t")


    def lambda_handler(event, context):
        return {"table": TABLE, "id": event["id"]}
    """
)


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def finding_lines(stdout):
    return [line for line in stdout.splitlines() if ": LAM" in line]


# -- check ---------------------------------------------------------------------


def test_sample_app_findings(run_warmstate):
    completed = run_warmstate("check", SAMPLE_APP)
    assert completed.returncode == 1
    found = {(line.split(":")[0].rsplit("sample_app/", 1)[1], line.split(": ")[1].split()[0])
             for line in finding_lines(completed.stdout)}
    assert found == {
        ("billing/handler.py", "LAM105"),
        ("billing/handler.py", "LAM101"),
        ("orders/app.py", "LAM101"),
        ("reports/handler.py", "LAM102"),
        ("reports/handler.py", "LAM103"),
        ("users/handler.py", "LAM104"),
        ("notifications/handler.py", "LAM201"),
        ("notifications/handler.py", "LAM303"),
    }
    assert len(finding_lines(completed.stdout)) == 9
    assert "scripts/seed.py" not in completed.stdout  # excluded by the sample's configuration
    assert completed.stdout.splitlines()[-1].startswith("Found 9 findings")


def test_clean_code_exits_zero(run_warmstate, tmp_path):
    write(tmp_path, "app.py", CLEAN)
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 0
    assert finding_lines(completed.stdout) == []
    assert "No findings in 1 file." in completed.stdout


def test_text_format_and_sorting(run_warmstate, tmp_path):
    write(tmp_path, "b.py", LEAK)
    write(tmp_path, "a.py", LEAK)
    completed = run_warmstate("check", "a.py", "b.py", cwd=tmp_path)
    assert finding_lines(completed.stdout) == [
        "a.py:1:1: LAM101 module-level list 'RESULTS' is appended to in lambda_handler() (line 5), "
        "reached from handler lambda_handler(), and never reset between invocations",
        "b.py:1:1: LAM101 module-level list 'RESULTS' is appended to in lambda_handler() (line 5), "
        "reached from handler lambda_handler(), and never reset between invocations",
    ]


def test_json_format(run_warmstate, tmp_path):
    write(tmp_path, "app.py", LEAK)
    completed = run_warmstate("check", "--output-format", "json", "app.py", cwd=tmp_path)
    assert completed.returncode == 1
    [item] = json.loads(completed.stdout)
    assert item["code"] == "LAM101" and item["path"] == "app.py" and item["handler"] == "lambda_handler"
    assert (item["line"], item["column"], item["end_line"], item["end_column"]) == (1, 1, 1, 13)
    assert item["fix"]["applicability"] == "safe"
    assert item["fix"]["edits"] == [
        {"content": "    RESULTS.clear()\n", "location": {"row": 5, "column": 1}, "end_location": {"row": 5, "column": 1}}
    ]


def test_json_and_sarif_fixes_name_the_other_file_they_edit(run_warmstate, tmp_path):
    """A finding in store.py is fixed in the handler's module: its JSON fix
    had no edits at all, and SARIF would have put them into store.py."""
    write(tmp_path, "store.py", "AUDIT = []\n")
    write(tmp_path, "app.py", "import store\n\n\ndef lambda_handler(event, context):\n"
                              "    store.AUDIT.append(event['id'])\n    return len(store.AUDIT)\n")
    completed = run_warmstate("check", "--output-format", "json", ".", cwd=tmp_path)
    [item] = json.loads(completed.stdout)
    assert item["path"] == "store.py"
    assert item["fix"]["edits"] == [{"content": "    store.AUDIT.clear()\n", "location": {"row": 5, "column": 1},
                                     "end_location": {"row": 5, "column": 1}, "path": "app.py"}]
    sarif = json.loads(run_warmstate("check", "--output-format", "sarif", ".", cwd=tmp_path).stdout)
    [change] = sarif["runs"][0]["results"][0]["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app.py"
    assert change["replacements"][0]["insertedContent"]["text"] == "    store.AUDIT.clear()\n"


def test_select_ignore_and_unknown_codes(run_warmstate, tmp_path):
    write(tmp_path, "app.py", LEAK)
    assert run_warmstate("check", "--select", "LAM102", tmp_path).returncode == 0
    assert run_warmstate("check", "--ignore", "LAM1", tmp_path).returncode == 0
    assert run_warmstate("check", "--select", "LAM10", tmp_path).returncode == 1
    bad = run_warmstate("check", "--select", "XYZ9", tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "warmstate: error: --select: unknown rule code or prefix 'XYZ9'"


def test_exit_zero_and_statistics(run_warmstate, tmp_path):
    write(tmp_path, "a.py", LEAK)
    write(tmp_path, "b.py", LEAK)
    assert run_warmstate("check", "--exit-zero", tmp_path).returncode == 0
    completed = run_warmstate("check", "--statistics", tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[0].startswith("2\tLAM101\t[*] module-level list")


# -- errors --------------------------------------------------------------------


def test_bad_files_get_one_line_errors_and_the_run_goes_on(run_warmstate, tmp_path):
    write(tmp_path, "good.py", LEAK)
    write(tmp_path, "broken.py", "def lambda_handler(event, context:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff\xfe'\n")
    write(tmp_path, "deep.py", "x = " + "[" * 100000 + "]" * 100000 + "\n")
    write(tmp_path, "chain.py", "x = " + "-" * 100000 + "1\n")
    # valid, and parsed by CPython in milliseconds, but LibCST would take minutes (it nests 9,000 deep)
    write(tmp_path, "checksum.py", "def lambda_handler(event, context):\n    return "
          + " + ".join(f"event['c{index}']" for index in range(9000)) + "\n")
    # an if with 5,000 elif branches: each is inside the one before, past the analysis's recursion limit
    write(tmp_path, "route.py", "def lambda_handler(event, context):\n    if event == 0:\n        return 0\n"
          + "".join(f"    elif event == {index}:\n        return {index}\n" for index in range(1, 5000)))
    # flat in CPython's tree, but 8,000 nested operations in LibCST's, whose parser's stack overflows
    write(tmp_path, "flags.py", "READY = " + " or ".join(["flag"] * 8000) + "\n\n\n"
          "def lambda_handler(event, context):\n    return READY\n")
    # rejected by every Python, and taken by LibCST, which keeps strings as written: no analysis of either
    write(tmp_path, "paths.py", 'LOG_DIR = "C:\\Users\\deploy\\logs"\nSEEN = []\n\n\n'
          'def lambda_handler(event, context):\n    SEEN.append(event)\n')
    (tmp_path / "stray.py").write_bytes(b"SEEN = []\n\n\ndef lambda_handler(event, context):\n    SEEN.append(event)\x00\n")
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 2
    assert len(finding_lines(completed.stdout)) == 1  # good.py is still reported
    errors = completed.stderr.strip().splitlines()
    assert len(errors) == 9
    assert f"{tmp_path}/stray.py:5:23: error: cannot parse: source code string cannot contain null bytes" in errors
    assert any(e.startswith(f"{tmp_path}/paths.py:1:") and "cannot parse: (unicode error) 'unicodeescape'" in e
               for e in errors)
    assert f"{tmp_path}/flags.py:1:1: error: cannot parse: an expression nested more than 1,000 deep" in errors
    assert any(e.startswith(f"{tmp_path}/route.py:") and "statements nested more than 1,000 deep" in e for e in errors)
    assert any(e.startswith(f"{tmp_path}/checksum.py:2:5: error: cannot parse: an expression nested more than 1,000 deep")
               for e in errors)
    assert any(e.startswith(f"{tmp_path}/broken.py:") and ": error: cannot parse:" in e for e in errors)  # 3.9 says line 2
    assert any(e.startswith(f"{tmp_path}/latin.py: error: cannot decode:") for e in errors)
    assert any(e.startswith(f"{tmp_path}/deep.py:1:") and "nested" in e for e in errors)
    assert any(e.startswith(f"{tmp_path}/chain.py") and "nested too deeply" in e for e in errors)


def test_special_files_and_unknown_codecs_are_one_error_line_each(run_warmstate, tmp_path):
    """A FIFO named like a module blocked the run forever, a link to
    /dev/zero read until memory ran out, a codec that cannot decode at all
    (``# coding: undefined``) ended every check of the project in a traceback."""
    write(tmp_path, "app.py", LEAK)
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "zeros.py").symlink_to("/dev/zero")
    write(tmp_path, "legacy.py", "# coding: undefined\nVALUE = 1\n")
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 2
    assert len(finding_lines(completed.stdout)) == 1
    assert sorted(completed.stderr.strip().splitlines()) == [
        f"{tmp_path}/legacy.py: error: cannot decode: decoding with 'undefined' codec failed "
        "(UnicodeError: undefined encoding)",
        f"{tmp_path}/pipe.py: error: cannot read: not a regular file",
        f"{tmp_path}/zeros.py: error: cannot read: not a regular file",
    ]


def test_a_fix_the_files_encoding_cannot_hold_is_an_error_and_the_file_is_left(run_warmstate, tmp_path):
    """The reset of a list defined with a euro sign in a UTF-8 module goes
    into the latin-1 handler module that appends to it."""
    write(tmp_path, "prices.py", "SYMBOLS = ['€']\n")
    handler = "# -*- coding: latin-1 -*-\nfrom prices import SYMBOLS\n\n\ndef lambda_handler(event, context):\n" \
              "    SYMBOLS.append(event['symbol'])\n    return SYMBOLS\n"
    (tmp_path / "app.py").write_bytes(handler.encode("latin-1"))
    completed = run_warmstate("fix", tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[0].startswith(f"{tmp_path}/app.py: error: cannot write: 'latin-1' codec can't encode")
    assert (tmp_path / "app.py").read_bytes() == handler.encode("latin-1")


def test_fix_reports_the_files_it_cannot_parse_and_fixes_the_others(run_warmstate, tmp_path):
    """A file with a syntax error passed ``warmstate fix`` silently (exit 0):
    the analysis's errors were lost on the way to the report."""
    write(tmp_path, "broken.py", "def lambda_handler(event, context:\n    pass\n")
    write(tmp_path, "app.py", LEAK)
    completed = run_warmstate("fix", tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[0].startswith(f"{tmp_path}/broken.py:1:")
    assert "cannot parse" in completed.stderr
    assert completed.stdout.strip() == "Fixed 1 finding in 1 file; 0 remaining."


def test_a_bytes_path_under_tmp_is_a_path_like_any_other(run_warmstate, tmp_path):
    """``open(b"/tmp/out", "wb")`` made LAM402's rule raise, which cost the
    file every finding (an internal error)."""
    write(tmp_path, "app.py", LEAK.replace("    return RESULTS\n", "    with open(b\"/tmp/out\", \"wb\") as output:\n"
                                           "        output.write(b\"done\")\n    return RESULTS\n"))
    completed = run_warmstate("check", tmp_path)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert [line.split(": ")[1].split()[0] for line in finding_lines(completed.stdout)] == ["LAM101"]


@pytest.mark.parametrize("pyproject", [
    "tool = 1\n", "project = 1\n", "[project]\ndependencies = 5\n", "[tool]\npoetry = 3\n",
    '[tool.poetry]\ndependencies = "boto3"\n',
])
def test_other_tools_tables_of_an_unexpected_shape_are_not_a_traceback(run_warmstate, tmp_path, pyproject):
    """Only [tool.warmstate] is warmstate's to judge; the rest of a
    pyproject.toml is read for library versions, whatever its shape."""
    write(tmp_path, "pyproject.toml", pyproject)
    write(tmp_path, "app.py", LEAK)
    completed = run_warmstate("check", tmp_path)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert len(finding_lines(completed.stdout)) == 1


NEWER_SYNTAX = textwrap.dedent("""\
    type Record = dict[str, object]

    RESULTS = []


    def first[T](items: list[T]) -> T:
        return items[0]


    def lambda_handler(event, context):
        record: Record = first(event["Records"])
        RESULTS.append(f"{record["messageId"]}: {record["body"]}")
        return {"processed": len(RESULTS)}
""")


def test_syntax_newer_than_the_running_python_is_checked_and_fixed(run_warmstate, tmp_path):
    """PEP 695 and PEP 701 (Python 3.12) parse with LibCST whatever Python runs warmstate."""
    import libcst

    app = write(tmp_path, "app.py", NEWER_SYNTAX)
    check = run_warmstate("check", app)
    assert check.returncode == 1, check.stderr
    [finding] = finding_lines(check.stdout)
    assert finding.startswith(f"{app}:3:1: LAM101 module-level list 'RESULTS' is appended to in lambda_handler() (line 12)")
    assert run_warmstate("fix", app).returncode == 0
    fixed = app.read_text()
    libcst.parse_module(fixed)
    assert "def lambda_handler(event, context):\n    RESULTS.clear()\n" in fixed
    assert run_warmstate("fix", app).returncode == 0 and app.read_text() == fixed


def test_a_named_directory_is_searched_even_when_an_ancestor_ignores_it(run_warmstate, tmp_path):
    """git's and ruff's rule: ignore files apply below the path you named."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "vendor/\n")
    tool = tmp_path / "vendor" / "tool"
    write(tool, "app.py", LEAK)
    write(tool, ".gitignore", "generated/\n")
    write(tool / "generated", "copy.py", LEAK)
    assert run_warmstate("check", tmp_path).stdout.strip() == "No findings in 0 files."
    named = run_warmstate("check", tool)
    assert named.returncode == 1
    assert [line.split(":")[0] for line in finding_lines(named.stdout)] == [f"{tool}/app.py"]


def test_nothing_to_check_is_said_on_stderr(run_warmstate, tmp_path):
    write(tmp_path, "README.md", "# not Python\n")
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 0
    assert completed.stderr.strip() == f"{tmp_path}: warning: no Python files found under this directory"


def test_fix_leaves_a_read_only_file_as_it_was_and_fixes_the_others(run_warmstate, tmp_path):
    locked = write(tmp_path, "locked.py", LEAK)
    other = write(tmp_path, "other.py", LEAK)
    locked.chmod(0o444)
    try:
        completed = run_warmstate("fix", tmp_path)
    finally:
        locked.chmod(0o644)
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{locked}: error: cannot write: the file is read-only; not fixed"
    assert locked.read_text() == LEAK
    assert "RESULTS.clear()" in other.read_text()


def test_fix_that_cannot_be_written_leaves_the_file_as_it_was(run_warmstate, tmp_path):
    """A full disk, simulated: the process may not write files larger than
    the small one's fixed text, so writing the big one fails half-way."""
    import resource
    import signal

    small = write(tmp_path, "small.py", LEAK)
    padding = "".join(f"# {index:04d} {'-' * 70}\n" for index in range(200))
    big_text = padding + LEAK
    big = write(tmp_path, "big.py", big_text)
    limit = len(LEAK) + 200

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = installed_command("warmstate")
    completed = subprocess.run([command, "fix", str(tmp_path)], capture_output=True, text=True, timeout=120,
                               preexec_fn=limit_file_size)
    assert "Traceback" not in completed.stderr
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{big}: error: cannot write: File too large; not fixed"
    assert big.read_text() == big_text
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".warmstate-")]
    assert "RESULTS.clear()" in small.read_text()


def test_a_file_changed_on_disk_since_it_was_read_is_not_overwritten(tmp_path):
    from linter.parsing.source import SourceError, read_source, write_atomically

    path = write(tmp_path, "app.py", LEAK)
    source = read_source(str(path))
    path.write_text(LEAK + "# saved by an editor meanwhile\n")
    try:
        write_atomically(source, "RESULTS = []\n")
    except SourceError as error:
        assert str(error) == "changed on disk since it was read; not fixed"
    else:
        raise AssertionError("the file was overwritten")
    assert path.read_text().endswith("# saved by an editor meanwhile\n")


def test_missing_path_is_an_error(run_warmstate, tmp_path):
    completed = run_warmstate("check", tmp_path / "nope.py")
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{tmp_path}/nope.py: error: no such file or directory"


def test_bad_configuration(run_warmstate, tmp_path):
    write(tmp_path, "app.py", LEAK)
    write(tmp_path, "pyproject.toml", "[tool.warmstate]\nselekt = ['LAM1']\n")
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 2
    assert "unknown key 'selekt'" in completed.stderr and "pyproject.toml" in completed.stderr
    write(tmp_path, "pyproject.toml", "[tool.warmstate]\nignore = ['LAM999']\n")
    assert "unknown rule code or prefix 'LAM999'" in run_warmstate("check", tmp_path).stderr
    write(tmp_path, "pyproject.toml", "[tool.warmstate\n")
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 2 and "invalid TOML" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


# -- suppression and configuration ----------------------------------------------


def test_noqa_comments(run_warmstate, tmp_path):
    write(tmp_path, "specific.py", LEAK.replace("RESULTS = []", "RESULTS = []  # noqa: LAM101"))
    write(tmp_path, "bare.py", LEAK.replace("RESULTS = []", "RESULTS = []  # noqa"))
    write(tmp_path, "other.py", LEAK.replace("RESULTS = []", "RESULTS = []  # noqa: LAM102"))
    write(tmp_path, "whole.py", "# warmstate: noqa\n" + LEAK)
    completed = run_warmstate("check", tmp_path)
    assert [line.split(":")[0] for line in finding_lines(completed.stdout)] == [f"{tmp_path}/other.py"]


def test_config_select_exclude_and_per_file_ignores(run_warmstate, tmp_path):
    write(tmp_path, "pyproject.toml", textwrap.dedent(
        """\
        [tool.warmstate]
        exclude = ["generated/"]
        per-file-ignores = { "legacy/*.py" = ["LAM101"] }
        """
    ))
    write(tmp_path, "app.py", LEAK)
    write(tmp_path, "generated/app.py", LEAK)
    write(tmp_path, "legacy/old.py", LEAK)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in finding_lines(completed.stdout)] == ["app.py"]
    # A file named on the command line is checked even if excluded, unless --force-exclude.
    assert run_warmstate("check", "generated/app.py", cwd=tmp_path).returncode == 1
    assert run_warmstate("check", "--force-exclude", "generated/app.py", cwd=tmp_path).returncode == 0


def test_skipped_directories_and_gitignore(run_warmstate, tmp_path):
    write(tmp_path, ".gitignore", "ignored_dir/\n*_gen.py\n")
    write(tmp_path, "ignored_dir/app.py", LEAK)
    write(tmp_path, "thing_gen.py", LEAK)
    write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "env/lib/app.py", LEAK)
    write(tmp_path, "build/app.py", LEAK)
    write(tmp_path, "node_modules/app.py", LEAK)
    write(tmp_path, ".warmstate_cache/app.py", LEAK)  # warmstate's own cache (it holds a .gitignore)
    write(tmp_path, "src/app.py", LEAK)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in finding_lines(completed.stdout)] == ["src/app.py"]


# -- handlers ------------------------------------------------------------------


def test_handlers_command_explains_each_handler(run_warmstate, tmp_path):
    write(tmp_path, "app.py", textwrap.dedent(
        """\
        from aws_lambda_powertools import Logger
        from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
        from aws_lambda_powertools.utilities.typing import LambdaContext

        logger = Logger()


        @lambda_handler_decorator
        def middleware(handler, event, context):
            return handler(event, context)


        def by_parameters(evt, ctx):
            pass


        def by_annotation(payload, lc: LambdaContext):
            pass


        @logger.inject_lambda_context
        def by_powertools(payload, c):
            pass


        @middleware
        def by_factory(payload, c):
            pass


        def handler(payload):
            pass


        def helper(event):
            pass
        """
    ))
    completed = run_warmstate("handlers", "app.py", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == [
        "app.py:13: by_parameters (parameters (evt, ctx))",
        "app.py:17: by_annotation (parameter 'lc' annotated LambdaContext)",
        "app.py:22: by_powertools (decorated with @logger.inject_lambda_context)",
        "app.py:27: by_factory (decorated with @middleware (made by lambda_handler_decorator))",
        "app.py:31: handler (named handler)",
    ]


def test_helpers_that_look_like_handlers_are_not_entry_points(run_warmstate):
    """A function with (event, context) that the handler calls is a helper: the
    reset goes into the handler only, and `handlers` explains the helpers."""
    fixture = RULE_FIXTURES / "LAM101" / "helpers_with_handler_parameters.py"
    listed = run_warmstate("handlers", fixture.name, cwd=fixture.parent).stdout.splitlines()
    assert listed[0] == "helpers_with_handler_parameters.py:12: lambda_handler (parameters (event, context))"
    assert listed[1].startswith(
        "helpers_with_handler_parameters.py:18: generate_logs is not a handler: it runs inside lambda_handler()"
    )
    assert listed[2].startswith("helpers_with_handler_parameters.py:24: awslogs_handler is not a handler")
    diff = run_warmstate("fix", "--diff", fixture.name, cwd=fixture.parent).stdout
    assert [line for line in diff.splitlines() if line.startswith("+ ")] == ['+    tags[:] = ["forwarder:python"]']
    named = run_warmstate("handlers", "--handler", f"{fixture.name}:generate_logs", fixture.name, cwd=fixture.parent)
    assert named.stdout.splitlines() == [
        f"helpers_with_handler_parameters.py:18: generate_logs (--handler {fixture.name}:generate_logs)"
    ]


def test_explicit_handlers_replace_heuristics(run_warmstate, tmp_path):
    write(tmp_path, "pkg/service.py", LEAK.replace("def lambda_handler(event, context)", "def main(payload)"))
    assert run_warmstate("check", tmp_path).returncode == 0  # `main(payload)` is no handler by heuristics
    completed = run_warmstate("check", "--handler", "pkg.service:main", ".", cwd=tmp_path)
    assert completed.returncode == 1 and "reached from handler main()" in completed.stdout
    assert run_warmstate("check", "--handler", "pkg/service.py:main", ".", cwd=tmp_path).returncode == 1
    listed = run_warmstate("handlers", "--handler", "pkg.service:main", ".", cwd=tmp_path)
    assert listed.stdout.strip() == "pkg/service.py:4: main (--handler pkg.service:main)"
    write(tmp_path, "pyproject.toml", '[tool.warmstate]\nhandlers = ["pkg.service:main"]\n')
    assert run_warmstate("check", ".", cwd=tmp_path).returncode == 1
    missing = run_warmstate("check", "--handler", "pkg.service:nope", ".", cwd=tmp_path)
    assert missing.returncode == 2
    assert "handler 'nope' (--handler pkg.service:nope) is not a function, method or handler object here" in missing.stderr
    malformed = run_warmstate("check", "--handler", "pkg.service", ".", cwd=tmp_path)
    assert malformed.returncode == 2 and "is not MODULE_OR_PATH:FUNCTION" in malformed.stderr


# -- fix -----------------------------------------------------------------------


def test_fix_diff_writes_nothing(run_warmstate, tmp_path):
    path = write(tmp_path, "app.py", LEAK)
    completed = run_warmstate("fix", "--diff", "app.py", cwd=tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "--- app.py",
        "+++ app.py",
        "@@ -2,5 +2,6 @@",
        " ",
        " ",
        " def lambda_handler(event, context):",
        "+    RESULTS.clear()",
        '     RESULTS.append(event["id"])',
        "     return RESULTS",
    ]
    assert path.read_text() == LEAK
    write(tmp_path, "app.py", CLEAN)
    assert run_warmstate("fix", "--diff", "app.py", cwd=tmp_path).returncode == 0


def test_fix_writes_then_changes_nothing(run_warmstate, tmp_path):
    path = write(tmp_path, "app.py", LEAK)
    first = run_warmstate("fix", "app.py", cwd=tmp_path)
    assert first.returncode == 0
    assert first.stdout.strip() == "Fixed 1 finding in 1 file; 0 remaining."
    fixed = path.read_text()
    assert "    RESULTS.clear()\n    RESULTS.append" in fixed
    second = run_warmstate("fix", "app.py", cwd=tmp_path)
    assert second.returncode == 0 and path.read_text() == fixed
    assert run_warmstate("check", "app.py", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]  # no temporary files left


def test_fix_reports_what_remains(run_warmstate, tmp_path):
    write(tmp_path, "app.py", textwrap.dedent(
        """\
        import os

        started = float(os.environ.get("START_OFFSET", "0"))
        CACHE = {}


        def lambda_handler(event, context):
            global started
            started += 1
            if event["k"] not in CACHE:
                CACHE[event["k"]] = 1
            return started
        """
    ))
    completed = run_warmstate("fix", "app.py", cwd=tmp_path)
    assert completed.returncode == 1
    assert [line.split(": ")[1].split()[0] for line in finding_lines(completed.stdout)] == ["LAM105", "LAM202"]
    assert completed.stdout.splitlines()[-1] == "Fixed 0 findings in 0 files; 2 remaining."
    unsafe = run_warmstate("fix", "--unsafe-fixes", "app.py", cwd=tmp_path)
    assert unsafe.stdout.splitlines()[-1] == "Fixed 1 finding in 1 file; 1 remaining."


def test_fix_keeps_bytes_encoding_and_mode(run_warmstate, tmp_path):
    source = (
        "\ufeff# -*- coding: utf-8 -*-\r\n"
        "ITEMS = []  # 'café'\r\n"
        "\r\n"
        "def lambda_handler(event, context):\r\n"
        "\t'''Tabs, CRLF and a BOM.'''\r\n"
        "\tITEMS.append(event)\r\n"
        "\treturn ITEMS\r\n"
    )
    path = tmp_path / "app.py"
    path.write_bytes(source.encode("utf-8"))
    path.chmod(0o754)
    assert run_warmstate("fix", "app.py", cwd=tmp_path).returncode == 0
    expected = source.replace("\t'''Tabs, CRLF and a BOM.'''\r\n", "\t'''Tabs, CRLF and a BOM.'''\r\n\tITEMS.clear()\r\n")
    assert path.read_bytes() == expected.encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o754

    latin = tmp_path / "latin.py"
    latin.write_bytes(LEAK.replace("RESULTS = []", "# -*- coding: latin-1 -*-\nRESULTS = []  # \xe9").encode("latin-1"))
    assert run_warmstate("fix", "latin.py", cwd=tmp_path).returncode == 0
    assert latin.read_bytes().decode("latin-1").count("RESULTS.clear()") == 1
    assert b"\xe9" in latin.read_bytes()


def test_fix_that_would_break_the_code_is_dropped(run_warmstate, tmp_path):
    # The handler declares `global` after using the name: an inserted reset
    # before the declaration would not compile, so nothing is written.
    source = textwrap.dedent(
        """\
        total = 0


        def lambda_handler(event, context):
            print(event)
            global total
            total += event["n"]
            return total
        """
    )
    path = write(tmp_path, "app.py", source)
    completed = run_warmstate("fix", "app.py", cwd=tmp_path)
    assert completed.returncode == 2
    assert "app.py: error: fix for LAM105 dropped: the result would not compile" in completed.stderr
    assert path.read_text() == source


# -- other entry points -----------------------------------------------------------


def test_python_dash_m_and_rule_docs(tmp_path):
    write(tmp_path, "app.py", LEAK)
    completed = subprocess.run([sys.executable, "-m", "linter", "check", str(tmp_path)], capture_output=True, text=True)
    assert completed.returncode == 1 and "LAM101" in completed.stdout
    command = installed_command("warmstate")
    doc = subprocess.run([command, "rule", "LAM102"], capture_output=True, text=True)
    assert doc.returncode == 0
    for heading in ("LAM102 (unreset-buffer)", "Why this is bad", "Example", "Use instead", "Fix safety:"):
        assert heading in doc.stdout
    listing = subprocess.run([command, "rule", "--all"], capture_output=True, text=True)
    from rules import ALL_RULES

    assert [line.split("\t")[0] for line in listing.stdout.splitlines()] == [rule.code for rule in ALL_RULES]
    unknown = subprocess.run([command, "rule", "LAM999"], capture_output=True, text=True)
    assert unknown.returncode == 2


def test_unreadable_file(run_warmstate, tmp_path):
    # A dangling symlink is unreadable even for root (CI runs as root).
    (tmp_path / "app.py").symlink_to(tmp_path / "missing.py")
    write(tmp_path, "ok.py", LEAK)
    completed = run_warmstate("check", tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{tmp_path}/app.py: error: cannot read: No such file or directory"
    assert len(finding_lines(completed.stdout)) == 1


def test_parallel_run_matches_serial_run(run_warmstate, tmp_path):
    for index in range(30):
        write(tmp_path, f"pkg/module_{index:02d}.py", LEAK if index % 3 else CLEAN)
    write(tmp_path, "pkg/broken.py", "def (:\n")
    serial = run_warmstate("check", "--jobs", "1", tmp_path)
    parallel = run_warmstate("check", "--jobs", "2", tmp_path)
    assert (parallel.returncode, parallel.stdout, parallel.stderr) == (serial.returncode, serial.stdout, serial.stderr)
    assert len(finding_lines(serial.stdout)) == 20 and serial.returncode == 2
    fixed = run_warmstate("fix", "--jobs", "2", tmp_path)
    assert fixed.stdout.splitlines()[-1] == "Fixed 20 findings in 20 files; 0 remaining."


def test_workers_analyse_deep_expressions_as_one_process_does(run_warmstate, tmp_path):
    """Workers analyse with the recursion limit the command sets (they are
    forked after it is set): a sum of 800 terms needs it, scanning it
    recurses past Python's default 1,000 frames."""
    for index in range(30):
        write(tmp_path, f"pkg/module_{index:02d}.py", CLEAN)
    terms = " + ".join(f"event['n{index}']" for index in range(800))
    write(tmp_path, "pkg/totals.py", LEAK.replace('RESULTS.append(event["id"])', f"RESULTS.append({terms})"))
    serial = run_warmstate("check", "--no-cache", "--jobs", "1", tmp_path)
    parallel = run_warmstate("check", "--no-cache", "--jobs", "2", tmp_path)
    assert (parallel.returncode, parallel.stdout, parallel.stderr) == (serial.returncode, serial.stdout, serial.stderr)
    assert [line.split(": ")[1].split()[0] for line in finding_lines(serial.stdout)] == ["LAM101"]


def test_helpers_calling_shared_helpers_cost_each_function_once(run_warmstate, tmp_path):
    """A ladder of helper pairs, each calling both of the next pair, behind a
    cold-start flag: 2 ** 40 ways from the handler to the list, which were
    followed one by one to see whether the flag guards them all (22 pairs
    took over a minute; this would never end)."""
    text = ("_ready = False\nitems = []\n\n\ndef lambda_handler(event, context):\n    global _ready\n"
            "    if not _ready:\n        a0(event)\n        b0(event)\n        _ready = True\n")
    for index in range(40):
        for name in "ab":
            text += f"\n\ndef {name}{index}(x):\n    a{index + 1}(x)\n    b{index + 1}(x)\n"
    text += "\n\ndef a40(x):\n    items.append(x)\n\n\ndef b40(x):\n    items.append(x)\n"
    write(tmp_path, "app.py", text)
    completed = run_warmstate("check", "--no-cache", tmp_path)
    assert [line.split(": ")[1].split()[0] for line in finding_lines(completed.stdout)] == ["LAM101"]


def test_many_functions_shaped_like_handlers_in_one_module(run_warmstate, tmp_path):
    """Which of them are entry points and which helpers was worked out in
    time growing with the cube of their number (700: 30 s; 2,000 would take
    ten minutes); now with its square."""
    write(tmp_path, "routes.py", "".join(f"def route_{index}(event, context):\n    return event\n\n\n"
                                         for index in range(2000)))
    completed = run_warmstate("check", "--no-cache", tmp_path)
    assert (completed.returncode, completed.stdout.strip()) == (0, "No findings in 1 file.")


def test_a_deques_reset_refills_its_contents_not_its_maxlen(run_warmstate, tmp_path):
    """The reset gave ``extend`` every argument of the constructor:
    ``UNBOUNDED.extend(maxlen=None)``, ``EMPTY.extend([], None)``,
    ``SEEDED.extend(iterable=[...])``, each a TypeError at the next invocation."""
    write(tmp_path, "app.py", textwrap.dedent("""\
        from collections import deque

        UNBOUNDED = deque(maxlen=None)
        EMPTY = deque([], None)
        SEEDED = deque(iterable=["start"])


        def lambda_handler(event, context):
            UNBOUNDED.append(event["id"])
            EMPTY.append(event["id"])
            SEEDED.append(event["id"])
            return [list(UNBOUNDED), list(EMPTY), list(SEEDED)]
        """))
    assert run_warmstate("fix", "--no-cache", tmp_path).stdout.strip() == "Fixed 3 findings in 1 file; 0 remaining."
    warm = subprocess.run([sys.executable, "-c", "import app; app.lambda_handler({'id': 1}, None); "
                           "print(app.lambda_handler({'id': 2}, None))"], cwd=tmp_path, capture_output=True, text=True)
    assert (warm.stderr, warm.stdout) == ("", "[[2], [2], ['start', 2]]\n")  # as a cold start gives


def test_closed_pipe_is_not_a_traceback(tmp_path):
    for index in range(600):  # well over a pipe's 64 KiB of output, so writing must fail
        write(tmp_path, f"m{index:03d}.py", LEAK)
    command = f"'{installed_command('warmstate')}' check --jobs 1 '{tmp_path}' | head -n 1"
    completed = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert completed.stdout.count("\n") == 1
    assert completed.stderr == ""


def test_closed_pipe_is_not_a_traceback_for_rule_and_probe_either():
    """`warmstate rule --all | head -n 1` ended in a BrokenPipeError traceback (so did probe)."""
    for _ in range(3):
        command = f"'{installed_command('warmstate')}' rule --all | head -n 1"
        completed = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
        assert (completed.stdout.count("\n"), completed.stderr) == (1, "")


BATCHING_HANDLER = textwrap.dedent(
    """\
    from telemetry.batch import EventBatch

    EVENTS = EventBatch(stream="orders")


    def lambda_handler(event, context):
        for record in event["Records"]:
            EVENTS.add(record["body"])
        return {"sent": EVENTS.size()}
    """
)


def test_declared_accumulator_is_reported_and_fixed_with_its_reset(run_warmstate, tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.warmstate]\naccumulators = ["telemetry.batch.EventBatch:add,add_many=flush"]\n')
    write(tmp_path, "app.py", BATCHING_HANDLER)
    completed = run_warmstate("check", "app.py", cwd=tmp_path)
    assert completed.returncode == 1
    assert "app.py:3:1: LAM108 module-level EventBatch 'EVENTS' is added to by add()" in completed.stdout
    assert run_warmstate("fix", "app.py", cwd=tmp_path).returncode == 0
    assert "def lambda_handler(event, context):\n    EVENTS.flush()\n" in (tmp_path / "app.py").read_text()


def test_undeclared_type_is_not_an_accumulator(run_warmstate, tmp_path):
    write(tmp_path, "app.py", BATCHING_HANDLER)
    assert run_warmstate("check", "app.py", cwd=tmp_path).returncode == 0


def test_malformed_accumulator_declaration_is_a_configuration_error(run_warmstate, tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.warmstate]\naccumulators = ["EventBatch.add"]\n')
    write(tmp_path, "app.py", BATCHING_HANDLER)
    completed = run_warmstate("check", "app.py", cwd=tmp_path)
    assert completed.returncode == 2
    assert "pyproject.toml: [tool.warmstate]: accumulator 'EventBatch.add' is not" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_registry_names_every_rule_module_by_its_code():
    """The codes are known without importing the rules (``rules.REGISTRY``): each must be its module's."""
    import importlib

    import rules

    modules = {path.stem for path in Path(rules.__file__).parent.glob("*.py") if not path.stem.startswith("_")}
    assert sorted(module for _, module in rules.REGISTRY) == sorted(modules)
    assert [importlib.import_module(f"rules.{module}").RULE.code for _, module in rules.REGISTRY] == list(rules.CODES)


def test_python_m_linter_runs_from_a_directory_with_a_rules_folder_of_its_own(tmp_path):
    """``python -m`` puts the current directory first on sys.path: a project's
    ``rules/`` folder (warmstate's own fixtures have one) must not stand in
    for warmstate's rules."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "__init__.py").write_text("raise ImportError('the project\\'s own rules were imported')\n")
    (tmp_path / "app.py").write_text("SEEN = []\n\n\ndef lambda_handler(event, context):\n    SEEN.append(event)\n")
    result = subprocess.run([sys.executable, "-m", "linter", "check", "app.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "LAM101" in result.stdout
