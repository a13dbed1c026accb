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
    from linter.runner import default_jobs

    with tempfile.TemporaryDirectory() as directory:
        paths = generate(Path(directory) / "corpus", args.files)
        lines = sum(p.read_text().count("\n") for p in paths)
        sources = [p.read_text() for p in paths]

        def parse_only():
            for source in sources:
                libcst.parse_module(source)

        def check(*options):
            def run():
                with contextlib.redirect_stdout(io.StringIO()):
                    warmstate(["check", "--exit-zero", "--no-cache", *options, str(Path(directory) / "corpus")])

            return run

        serial, parallel = check("--jobs", "1"), check()

        findings = io.StringIO()
        with contextlib.redirect_stdout(findings):
            warmstate(["check", "--exit-zero", "--statistics", str(Path(directory) / "corpus")])

        # Interleaved, so that drift on a shared machine hits all alike.
        runs = [(timed(parse_only), timed(serial), timed(parallel)) for _ in range(args.repeat)]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "linter", "check", "--exit-zero", "--no-cache", directory], capture_output=True)
        command = time.perf_counter() - start

    print(f"corpus: {args.files} modules, {lines} lines")
    print(findings.getvalue().rstrip())
    names = ("libcst.parse_module alone", "warmstate check --jobs 1", f"warmstate check --jobs {default_jobs()}")
    for index, name in enumerate(names):
        times = [run[index] for run in runs]
        line = f"{name}: best {min(times):.3f}s  median {statistics.median(times):.3f}s"
        if index:
            ratios = [run[index] / run[0] for run in runs]
            line += f"  ratio to parse: best-to-best {min(times) / min(r[0] for r in runs):.2f}x, "
            line += f"median of paired runs {statistics.median(ratios):.2f}x"
        print(line)
    print(f"python -m linter check (new process, imports included): {command:.3f}s")


if __name__ == "__main__":
    main()
