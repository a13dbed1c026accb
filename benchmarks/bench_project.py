"""Time warmstate on a whole directory, beside LibCST parse-only, flake8 and ruff.

    python benchmarks/bench_project.py DIR [--jobs N]

DIR is copied to a temporary directory first (one file is touched there).
Each line is one fresh process, timed from start to exit (interpreter and
imports included), with its peak resident memory (the largest single
process: workers are counted one at a time):

- LibCST parse-only: every file parsed by ``libcst.parse_module`` and nothing
  else, in N worker processes like warmstate;
- warmstate cold: ``check`` with an empty cache; warm: the same again
  (the median of three runs: a run of a quarter of a second varies by a
  tenth from one to the next); one file changed: again, after appending a
  comment to one handler file;
- warmstate in one process (``--jobs 1 --no-cache``): the peak memory figure;
- flake8 and ruff, when installed, for scale (flake8 also runs warmstate's
  plugin when both are installed in one environment).

Every process runs as an installed tool does, with its modules' bytecode
compiled beforehand (into a cache in the temporary directory, whatever
``PYTHONDONTWRITEBYTECODE`` says): otherwise each run of an editable
install compiles warmstate's modules again, which a rerun of a few tenths
of a second would mostly measure.

Long-running; not part of CI.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SKIPPED = shutil.ignore_patterns(".git", ".venv", "venv", "node_modules", ".warmstate_cache", ".ruff_cache",
                                 "__pycache__", ".aws-sam", "cdk.out")


ENVIRONMENT: dict = {}  # of the measured processes (as_installed)


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


def as_installed(work: Path) -> dict:
    """The environment of the measured processes: bytecode written to and
    read from ``work/pycache``, compiled now for warmstate and LibCST."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    subprocess.run([sys.executable, "-c", "import libcst, linter.cli, linter.engine, rules; rules.ALL_RULES"],
                   env=environment, check=True)
    return environment


def measure(command, cwd, environment=None) -> tuple:
    """(seconds, peak MB) of ``command`` run to completion in a fresh process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    output = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True,
                            text=True, env=environment).stdout.split()
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
    ENVIRONMENT.update(as_installed(work))
    try:
        copy = work / args.directory.resolve().name
        shutil.copytree(args.directory, copy, ignore=SKIPPED)
        files = list(copy.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        print(f"{args.directory}: {len(files)} Python files, {lines} lines; {len(os.sched_getaffinity(0))} CPUs, "
              f"--jobs {args.jobs}, Python {sys.version.split()[0]}", flush=True)
        baseline = report("LibCST parse-only", [sys.executable, __file__, "--parse-only", "--jobs", str(args.jobs),
                                                str(copy)], copy)
        warmstate = [sys.executable, "-m", "linter", "check", "--exit-zero", "--cache-dir", str(work / "cache"),
                     "--jobs", str(args.jobs), "."]
        report("warmstate check, cold", warmstate, copy, baseline)
        report("warmstate check, warm (nothing changed)", warmstate, copy, baseline, runs=3)
        changed = touched_file(copy)
        with changed.open("a") as handle:
            handle.write("# touched by the benchmark\n")
        report(f"warmstate check, {changed.relative_to(copy)} changed", warmstate, copy, baseline)
        report("warmstate check --jobs 1 --no-cache", [sys.executable, "-m", "linter", "check", "--exit-zero",
                                                      "--no-cache", "--jobs", "1", "."], copy, baseline)
        skipped = set(args.skip.split(","))
        if shutil.which("flake8") and "flake8" not in skipped:
            report("flake8", ["flake8", "--exit-zero", "-j", str(args.jobs), "."], copy, baseline)
        if shutil.which("ruff") and "ruff" not in skipped:
            report("ruff check --no-cache", ["ruff", "check", "--no-cache", "--exit-zero", "."], copy, baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(name: str, command, cwd, baseline: float = 0.0, runs: int = 1) -> float:
    """Measure ``command`` (the median of ``runs`` runs, the largest peak),
    print its line as soon as it is known, return its seconds."""
    measured = sorted(measure(command, cwd, ENVIRONMENT) for _ in range(runs))
    seconds, megabytes = measured[len(measured) // 2][0], max(peak for _, peak in measured)
    ratio = f"{seconds / baseline:6.2f}x parse-only" if baseline else " " * 17
    print(f"{name:<55} {seconds:8.2f} s  {ratio}  peak {megabytes:6.0f} MB", flush=True)
    return seconds


if __name__ == "__main__":
    main()
