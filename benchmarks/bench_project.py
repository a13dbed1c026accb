"""Time warmstate on a whole directory, beside LibCST parse-only, flake8 and ruff.

    python benchmarks/bench_project.py DIR [--jobs N]

DIR is copied to a temporary directory first (one file is touched there).
Each line is one fresh process, timed from start to exit (interpreter and
imports included), with its peak resident memory (the largest single
process: workers are counted one at a time):

- LibCST parse-only: every file parsed by ``libcst.parse_module`` and nothing
  else, in N worker processes like warmstate;
- warmstate cold: ``check`` with an empty cache; warm: the same again;
  one file changed: again, after appending a comment to one handler file;
- warmstate in one process (``--jobs 1 --no-cache``): the peak memory figure;
- flake8 and ruff, when installed, for scale (flake8 also runs warmstate's
  plugin when both are installed in one environment).

Long-running; not part of CI.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIPPED = shutil.ignore_patterns(".git", ".venv", "venv", "node_modules", ".warmstate_cache", ".ruff_cache",
                                 "__pycache__", ".aws-sam", "cdk.out")


def parse_only(directory: str, jobs: int) -> None:
    """Parse every Python file under ``directory`` with LibCST (in ``jobs`` processes)."""
    from concurrent.futures import ProcessPoolExecutor

    paths = [str(p) for p in Path(directory).rglob("*.py")]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_parse_file, paths, chunksize=max(1, len(paths) // (jobs * 8))))


def _parse_file(path: str) -> None:
    import libcst

    try:
        libcst.parse_module(Path(path).read_bytes())
    except Exception:  # noqa: BLE001 - a file LibCST rejects costs what it cost
        pass


def measure(command, cwd) -> tuple:
    """(seconds, peak MB) of ``command`` run to completion in a fresh process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    output = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True, text=True,
                            check=True).stdout.split()
    return float(output[0]), int(output[1]) / 1024


def touched_file(directory: Path) -> Path:
    """A handler file to change: the first (sorted) that defines ``lambda_handler``, else the first file."""
    paths = sorted(directory.rglob("*.py"))
    for path in paths:
        if "def lambda_handler(" in path.read_text(errors="replace"):
            return path
    return paths[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--skip", default="", metavar="TOOLS", help="comma-separated: flake8, ruff")
    parser.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        parse_only(str(args.directory), args.jobs)
        return

    work = Path(tempfile.mkdtemp(prefix="warmstate-bench-"))
    try:
        copy = work / args.directory.resolve().name
        shutil.copytree(args.directory, copy, ignore=SKIPPED)
        files = list(copy.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        warmstate = [sys.executable, "-m", "linter", "check", "--exit-zero", "--cache-dir", str(work / "cache"),
                     "--jobs", str(args.jobs), "."]
        rows = [("LibCST parse-only", measure([sys.executable, __file__, "--parse-only", "--jobs", str(args.jobs),
                                               str(copy)], copy))]
        rows.append(("warmstate check, cold", measure(warmstate, copy)))
        rows.append(("warmstate check, warm (nothing changed)", measure(warmstate, copy)))
        changed = touched_file(copy)
        with changed.open("a") as handle:
            handle.write("# touched by the benchmark\n")
        rows.append((f"warmstate check, {changed.relative_to(copy)} changed", measure(warmstate, copy)))
        rows.append(("warmstate check --jobs 1 --no-cache", measure(
            [sys.executable, "-m", "linter", "check", "--exit-zero", "--no-cache", "--jobs", "1", "."], copy)))
        skipped = set(args.skip.split(","))
        if shutil.which("flake8") and "flake8" not in skipped:
            rows.append(("flake8", measure(["flake8", "--exit-zero", "-j", str(args.jobs), "."], copy)))
        if shutil.which("ruff") and "ruff" not in skipped:
            rows.append(("ruff check --no-cache", measure(["ruff", "check", "--no-cache", "--exit-zero", "."], copy)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cpus = len(os.sched_getaffinity(0))
    print(f"{args.directory}: {len(files)} Python files, {lines} lines; {cpus} CPUs, --jobs {args.jobs}, "
          f"Python {sys.version.split()[0]}")
    baseline = rows[0][1][0]
    for name, (seconds, megabytes) in rows:
        print(f"{name:<55} {seconds:8.2f} s  {seconds / baseline:6.2f}x parse-only  peak {megabytes:6.0f} MB")


if __name__ == "__main__":
    main()
