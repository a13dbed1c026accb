"""Time `warmstate check` against parsing the same files with LibCST alone.

    python benchmarks/bench_check.py [--files 200] [--repeat 5]

Both are measured in this process, in the same run, after imports; the
figure that matters is the ratio.  The command's own start-up (interpreter
and imports) is measured separately with a subprocess.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import generate  # noqa: E402


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import libcst

    from linter.cli import main as warmstate

    with tempfile.TemporaryDirectory() as directory:
        paths = generate(Path(directory) / "corpus", args.files)
        lines = sum(p.read_text().count("\n") for p in paths)
        sources = [p.read_text() for p in paths]

        def parse_only():
            for source in sources:
                libcst.parse_module(source)

        def check():
            with contextlib.redirect_stdout(io.StringIO()):
                warmstate(["check", "--exit-zero", str(Path(directory) / "corpus")])

        findings = io.StringIO()
        with contextlib.redirect_stdout(findings):
            warmstate(["check", "--exit-zero", "--statistics", str(Path(directory) / "corpus")])

        # Interleaved, so that drift on a shared machine hits both alike.
        pairs = [(timed(parse_only), timed(check)) for _ in range(args.repeat)]
        parse_times, check_times = [p for p, _ in pairs], [c for _, c in pairs]
        parse_best, parse_median = min(parse_times), statistics.median(parse_times)
        check_best, check_median = min(check_times), statistics.median(check_times)
        ratios = [c / p for p, c in pairs]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "linter", "check", "--exit-zero", directory], capture_output=True)
        command = time.perf_counter() - start

    print(f"corpus: {args.files} modules, {lines} lines")
    print(findings.getvalue().rstrip())
    print(f"libcst.parse_module alone: best {parse_best:.3f}s  median {parse_median:.3f}s")
    print(f"warmstate check (in process): best {check_best:.3f}s  median {check_median:.3f}s")
    print(f"ratio check / parse: best-to-best {check_best / parse_best:.2f}x  "
          f"median of paired runs {statistics.median(ratios):.2f}x")
    print(f"python -m linter check (new process, imports included): {command:.3f}s")


if __name__ == "__main__":
    main()
