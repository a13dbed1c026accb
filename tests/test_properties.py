"""Properties over generated programs (hypothesmith): whatever the code,
`check` never crashes or hangs, `fix` output parses, compiles and is stable
under a second `fix`, and a file without findings is never written.

The programs come from Python's grammar (odd but valid code, the kind real
tools meet in generated files), alone and followed by a handler that leaks,
so that `fix` has something to do next to the odd code.
"""
from __future__ import annotations

import ast
import contextlib
import io
import signal
import warnings

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.cli import main
from linter.recursion import allow_deep_recursion

HANDLER = '''

AUDIT_TRAIL = []
SEEN = set()


def lambda_handler(event, context):
    AUDIT_TRAIL.append(event.get("id"))
    SEEN.add(event.get("id"))
    return {"statusCode": 200, "body": str(len(AUDIT_TRAIL))}
'''
allow_deep_recursion()  # as the command does, before hypothesis
SECONDS_PER_RUN = 30  # a hang, not a slow example: a run takes well under a second

PROGRAMS = st.one_of(
    hypothesmith.from_grammar(),
    hypothesmith.from_grammar().map(lambda code: code.rstrip("\n") + "\n" + HANDLER),
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"warmstate ran for more than {SECONDS_PER_RUN} s")


def run(*args) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_RUN)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--no-cache", "--jobs", "1"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "internal error" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_check_and_fix_hold_on_generated_programs(tmp_path):
    path = tmp_path / "app.py"
    fixed_files = []

    @SETTINGS
    @given(program=PROGRAMS)
    def holds(program):
        path.write_text(program, encoding="utf-8")
        check = run("check", str(path))
        assert check[0] in (0, 1, 2)
        before = path.read_bytes()
        fixed = run("fix", "--unsafe-fixes", str(path))
        after = path.read_bytes()
        if check[0] == 0:
            assert after == before, "a file without findings was written"
        if after == before:
            return
        text = after.decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # odd generated code, such as ``1()``
            compile(ast.parse(text), str(path), "exec")
        assert fixed[0] in (0, 1)
        run("fix", "--unsafe-fixes", str(path))
        assert path.read_bytes() == after, "a second fix changed the file again"
        fixed_files.append(text)

    holds()
    assert len(fixed_files) >= 5, "too few generated programs were fixed for the properties to say much"
