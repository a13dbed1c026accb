"""The ``warmstate`` command: check, fix, handlers, rule.

LibCST is imported only by the commands that parse files, so ``--help`` and
``rule`` answer instantly.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Dict, List, Optional, Sequence

from linter import __version__
from linter.probe.events import TRIGGERS
from rules import CODES
from linter.project.config import ConfigError
from linter.output.diagnostics import FileError
from linter.project.file_facts import FileFacts
from linter.project.file_options import FileOptions
from linter.project.settings import Project, Selection, open_project
from linter.output.reporters import RENDERERS, render_statistics, summary_line
from linter.parsing.source import SourceError, read_source
from linter.recursion import allow_deep_recursion

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _rules():
    from rules import ALL_RULES

    return ALL_RULES


def _add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .)")
    parser.add_argument("--select", type=_codes, help="rule codes or prefixes to enable (replaces the configuration)")
    parser.add_argument("--ignore", type=_codes, default=[], help="rule codes or prefixes to disable")
    parser.add_argument(
        "--handler", action="append", default=[], metavar="MODULE_OR_PATH:FUNC",
        help="a Lambda handler (repeatable); replaces the heuristics for the file it names",
    )
    parser.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml instead of the nearest one")
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N",
        help="worker processes (default: one per CPU; 1 runs in this process)",
    )
    parser.add_argument(
        "--force-exclude", action="store_true",
        help="apply `exclude` to files named on the command line too (for pre-commit)",
    )


def _add_cache_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache of earlier results")
    parser.add_argument(
        "--cache-dir", metavar="DIR",
        help="where earlier results are kept (default: $WARMSTATE_CACHE_DIR, else .warmstate_cache at the project root)",
    )


def _variable(value: str) -> tuple:
    name, equals, text = value.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value!r}")
    return name, text


def _codes(value: str) -> List[str]:
    return [code for code in value.split(",") if code.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warmstate",
        description="Find and fix module-level state that leaks between warm AWS Lambda invocations.",
    )
    parser.add_argument("--version", action="version", version=f"warmstate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser("check", help="report findings")
    _add_selection_arguments(check)
    _add_cache_arguments(check)
    check.add_argument("--output-format", choices=sorted(RENDERERS), default="text")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--statistics", action="store_true", help="print a count per rule instead of each finding")

    fix = commands.add_parser("fix", help="apply fixes in place")
    _add_selection_arguments(fix)
    _add_cache_arguments(fix)
    fix.add_argument("--unsafe-fixes", action="store_true", help="apply unsafe fixes too")
    fix.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")

    handlers = commands.add_parser("handlers", help="list the handlers found and how each was found")
    _add_selection_arguments(handlers)

    probe = commands.add_parser(
        "probe", help="run a handler warm and cold on the same events and show the state that leaks",
        description="Run TARGET warm (every event in one interpreter) and cold (a fresh interpreter per event) "
                    "and compare each invocation after the first: exit 1 when warm differs from cold, 0 when "
                    "consistent, 2 when the handler cannot be run. The handler's code runs in child processes "
                    "and may reach the network: stub its clients (--setup).",
    )
    probe.add_argument("target", metavar="TARGET",
                       help="path/to/app.py:handler, package.module:handler, or a function of the deployment "
                            "definitions (OrdersFunction)")
    probe.add_argument("--events", metavar="FILE.json", help="a JSON list of events (default: sample events)")
    probe.add_argument("--trigger", choices=TRIGGERS,
                       help="which sample events to send (default: guessed from what the handler reads)")
    probe.add_argument("--invocations", type=int, metavar="N", help="how many events to send (default: as many "
                       "as there are, at least 2; the events repeat when there are fewer)")
    probe.add_argument("--setup", metavar="FILE.py", help="run this file in each process before the handler's "
                       "module is imported (stub clients with moto or botocore's Stubber, freeze a clock); it "
                       "may define before_invocation(number, event)")
    probe.add_argument("--env", action="append", default=[], type=_variable, metavar="NAME=VALUE",
                       help="an environment variable of the function (repeatable)")
    probe.add_argument("--allow", action="append", default=[], metavar="STATE",
                       help="state meant to outlive invocations, as the report names it (app.price, *.CACHE): "
                            "it may differ (repeatable)")
    probe.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="how long each process may run (default: 60)")

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. LAM101")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.add_argument("--output-format", choices=["text", "json", "markdown"], default="text")
    return parser


def _selection(args) -> Selection:
    return Selection(args.select, args.ignore, args.handler, args.config, args.force_exclude)


def _report_errors(errors: Sequence[FileError]) -> None:
    for error in errors:
        print(error.render(), file=sys.stderr)


def _tasks(args, project: Project, fix: bool = False, text_edits: bool = False, whole: bool = False):
    """One task per unit; unless ``whole``, a large unit is split into pieces."""
    from linter.pieces_run import Split
    from linter.project.pieces import PIECE_FILES, split
    from linter.runner import Task

    settings, requested = project.settings, frozenset(project.files)
    options: Dict[str, FileOptions] = {}  # a file shared by pieces is in several tasks
    distinct: Dict[tuple, FileOptions] = {}  # equal options as one object: the cache describes each once

    def options_for(path: str) -> FileOptions:
        if path not in options:
            codes, handlers, optional = (settings.codes_for(path), settings.handlers_for(path),
                                         settings.optional_handlers_for(path))
            same = (codes, None if handlers is None else tuple(sorted(handlers.items())), optional)
            if same not in distinct:
                distinct[same] = FileOptions(codes, handlers, optional, text_edits,
                                             accumulators=settings.config.accumulators)
            options[path] = distinct[same]
        return options[path]

    possible: Dict[str, bool] = {}  # a file shared by pieces is asked about by each

    def may_hold_handler(path: str) -> bool:
        if path not in possible:
            explicit = options_for(path).handlers
            possible[path] = bool(explicit) if explicit is not None else project.facts.may_hold_handler(path)
        return possible[path]

    def task(files, **piece) -> Task:
        return Task(tuple((path, options_for(path)) for path in files), requested & frozenset(files), project.layout,
                    fix, getattr(args, "unsafe_fixes", False), **piece,
                    possible=frozenset(path for path in files if may_hold_handler(path)))

    graph = project.import_graph()
    work, loose = [], []
    for unit in project.units(graph):
        if not requested.intersection(unit):
            continue
        if len(unit) == 1 and not may_hold_handler(unit[0]):
            loose.append(unit[0])
            continue
        unit_task = task(unit)
        pieces = None if whole else split(graph, unit, may_hold_handler)
        if pieces is None:
            work.append(unit_task)
            continue
        declared_in = tuple(unit_task.requirement_directories())
        work.append(Split(unit_task, tuple(
            task(piece.files, shared=piece.shared, declared_in=declared_in)
            for piece in pieces if piece.shared or requested.intersection(piece.files)
        )))
    # A file alone in its unit that cannot hold a handler (a script, a CDK stack) is only parsed:
    # such files go together, a task per PIECE_FILES, not a task and a cache entry each.
    work.extend(task(loose[start:start + PIECE_FILES]) for start in range(0, len(loose), PIECE_FILES))
    return work


def _cache(args, root: str):
    """The cache of the project at ``root``; None with ``--no-cache`` (and for ``handlers``, which has none)."""
    from linter.cache import ResultCache, cache_directory

    return None if getattr(args, "no_cache", True) else ResultCache(cache_directory(root, args.cache_dir))


def _file_facts(args, root: str) -> FileFacts:
    cache = _cache(args, root)
    return cache.file_facts(root) if cache is not None else FileFacts()


def _results(args, project: Project, fix: bool = False, text_edits: bool = False):
    from linter.pieces_run import run_work

    work = _tasks(args, project, fix, text_edits)
    cache = _cache(args, project.root)
    results = run_work(work, args.jobs, cache, project.facts.digests())
    if cache is not None:
        cache.keep_facts(project.root, project.facts)
    return results


def _as_reported(project: Project, diagnostics) -> list:
    """Each file's findings once, under the path it is reported by
    (``project.reported_as``): a module reached through a link and its
    target, or through two links, is analysed under each path, and the
    finding made at the same place of the same file under several of them is
    one finding (the one made under the path reported, else under the first)."""
    names = project.reported_as
    if not names:
        return list(diagnostics)
    kept, made_under = [], {}
    for diagnostic in sorted(diagnostics, key=lambda d: (d.path in names, d.sort_key())):
        name = names.get(diagnostic.path, diagnostic.path)
        where = (name, diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column)
        if made_under.setdefault(where, diagnostic.path) == diagnostic.path:
            kept.append(diagnostic if name == diagnostic.path else replace(diagnostic, path=name))
    return kept


def _errors_as_reported(project: Project, errors: Sequence[FileError]) -> List[FileError]:
    """``errors``, each file's once, under the path it is reported by (see :func:`_as_reported`)."""
    names = project.reported_as
    if not names:
        return list(errors)
    renamed = (replace(error, path=names[error.path]) if error.path in names else error for error in errors)
    return list(dict.fromkeys(renamed))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def run_check(args, project: Project) -> int:
    errors = list(project.errors)
    diagnostics = []
    for unit in _results(args, project, text_edits=args.output_format in ("json", "sarif")):
        for result in unit.files:
            diagnostics.extend(result.diagnostics)
            errors.extend(result.errors)
    diagnostics = _as_reported(project, diagnostics)
    diagnostics.sort(key=lambda d: d.sort_key())
    _report_errors(sorted(_errors_as_reported(project, errors), key=lambda e: (e.path, e.line)))
    if args.statistics:
        lines = render_statistics(diagnostics, {rule.code: rule.summary for rule in _rules()})
    else:  # only SARIF describes the rules: importing them imports LibCST, which cached results do not need
        lines = RENDERERS[args.output_format](diagnostics, _rules() if args.output_format == "sarif" else ())
    if args.output_format == "text":
        lines = lines + [summary_line(diagnostics, len(project.files) - len(project.reported_as))]
    for line in lines:
        print(line)
    if any(error.fails for error in errors):
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics and not args.exit_zero else EXIT_CLEAN


def run_fix(args, project: Project) -> int:
    from linter.applying import apply_fixes

    errors = list(project.errors)
    remaining = []
    units = list(_results(args, project, fix=True))
    for result in (result for unit in units for result in unit.files):
        errors.extend(result.errors)
        remaining.extend(result.diagnostics)
    applied = apply_fixes(units, project.reported_as, args.diff)
    fixed = applied.fixed
    errors = _errors_as_reported(project, errors + applied.errors)
    _report_errors(errors)
    if args.diff:
        sys.stdout.flush()  # the diff comes before the summary, also when both streams go to one pipe
        print(f"Would fix {_plural(fixed, 'finding')} in {_plural(applied.changed_files, 'file')}.", file=sys.stderr)
        return EXIT_ERROR if any(e.fails for e in errors) else (EXIT_FINDINGS if applied.changed_files else EXIT_CLEAN)
    remaining = _as_reported(project, remaining)
    remaining.sort(key=lambda d: d.sort_key())
    for line in RENDERERS["text"](remaining):
        print(line)
    print(f"Fixed {_plural(fixed, 'finding')} in {_plural(applied.changed_files, 'file')}; "
          f"{len(remaining)} remaining.")
    if any(error.fails for error in errors):
        return EXIT_ERROR
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def run_handlers(args, project: Project) -> int:
    from linter.engine import SourceText, analyse

    errors = list(project.errors)
    listed = []
    for task in _tasks(args, project, whole=True):
        sources = []
        for path, options in task.files:
            try:
                sources.append(SourceText(path, read_source(path).text, options))
            except SourceError as error:
                if path in task.requested:
                    errors.append(FileError(path, str(error)))
        unit = analyse(sources, task.layout)
        errors.extend(error for error in unit.errors if error.path in task.requested)
        handlers = unit.analysis.handlers if unit.analysis else []
        entries = [(h.module, h.node, f"{h.name} ({h.reason})") for h in handlers]
        entries += [(h.function.module, h.function.node, h.explanation) for h in unit.helpers]
        for module, node, text in entries:
            if module in task.requested:
                listed.append((project.reported_as.get(module, module), unit.analysis.line(node, module), text))
    for path, line, text in sorted(set(listed)):  # a module reached through a link and its target: listed once
        print(f"{path}:{line}: {text}")
    if not listed:
        print(f"No handler found in {_plural(len(project.files), 'file')}: name one with --handler MODULE:FUNC "
              "or `handlers` in the configuration (see the README's 'Handlers and the invocation path').")
    errors = _errors_as_reported(project, errors)
    _report_errors(errors)
    return EXIT_ERROR if any(error.fails for error in errors) else EXIT_CLEAN


def rules_markdown(rules) -> str:
    """docs/rules.md: ``warmstate rule --all --output-format markdown > docs/rules.md``."""
    sections = "\n".join(rule.markdown() for rule in rules)
    return f"# warmstate rules\n\nGenerated by `warmstate rule --all --output-format markdown`.\n\n{sections}"


def run_rule(args) -> int:
    from rules import ALL_RULES, RULES_BY_CODE

    if args.all:
        chosen = list(ALL_RULES)
    elif args.code and args.code.upper() in RULES_BY_CODE:
        chosen = [RULES_BY_CODE[args.code.upper()]]
    else:
        known = ", ".join(RULES_BY_CODE)
        print(f"warmstate: error: unknown rule '{args.code or ''}' (known: {known}; or use --all)", file=sys.stderr)
        return EXIT_ERROR
    if args.output_format == "json":
        fields = ("code", "name", "summary", "why", "bad", "good", "fix", "safety")
        print(json.dumps([{f: getattr(rule, f) for f in fields} for rule in chosen], indent=2))
    elif args.output_format == "markdown":
        print(rules_markdown(chosen), end="")
    elif args.all:
        for rule in chosen:
            print(f"{rule.code}\t{rule.name}\t{rule.summary}")
    else:
        print(chosen[0].documentation(), end="")
    return EXIT_CLEAN


def findings(paths: Sequence[str]) -> List:
    """What ``warmstate check PATHS`` finds (without the cache): the probe
    names the rule that finds each piece of state it saw leak."""
    args = build_parser().parse_args(["check", "--no-cache", "--jobs", "1", *paths])
    project = open_project(args.paths, _selection(args), CODES)
    return [diagnostic for unit in _results(args, project) for result in unit.files
            for diagnostic in result.diagnostics]


def run_probe(args) -> int:
    from linter.probe.events import EventsError, choose_events
    from linter.probe.probe import probe
    from linter.probe.target import TargetError, resolve_target

    try:
        target = resolve_target(args.target)
        events, origin = choose_events(target.path, path=args.events, trigger=args.trigger,
                                       invocations=args.invocations)
    except (TargetError, EventsError) as error:
        print(f"warmstate: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    problem = ("a probe needs at least 2 invocations" if len(events) < 2 else
               f"{args.setup}: no such file" if args.setup and not os.path.isfile(args.setup) else
               "--timeout must be more than 0 seconds" if args.timeout <= 0 else None)
    if problem is not None:
        print(f"warmstate: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    print(f"events: {origin}")
    report = probe(target, events, args.setup, args.timeout, dict(args.env), static=findings, allow=args.allow)
    for line in report.lines():
        print(line)
    if report.problems:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.differences else EXIT_CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # `warmstate check | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS


def _run(args) -> int:
    if args.command == "rule":
        return run_rule(args)
    if args.command == "probe":
        return run_probe(args)
    allow_deep_recursion()
    try:
        project = open_project(args.paths, _selection(args), CODES,
                               lambda root: _file_facts(args, root))
    except ConfigError as error:
        print(f"warmstate: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if args.jobs is None:
        from linter.runner import default_jobs

        args.jobs = default_jobs()
    runner = {"check": run_check, "fix": run_fix, "handlers": run_handlers}[args.command]
    return runner(args, project)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
