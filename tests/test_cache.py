"""The cache of earlier results (``.warmstate_cache/``): it must never change a
result, only skip work.  Every comparison runs the installed command, with
and without the cache, on the same files."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, SAMPLE_APP, installed_command

FIXTURE_ROOTS = ["rules", "sample_app", *sorted(p.name for p in (FIXTURES / "projects").iterdir() if p.is_dir()
                                                  and not p.name.endswith(".expected"))]


def run(*args):
    """(exit code, stdout, stderr) of warmstate run in this process: comparing
    over every fixture would otherwise spend most of its time starting
    interpreters (the installed command is compared in the tests below)."""
    from linter.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*map(str, args)])
    return code, out.getvalue(), err.getvalue()


def outputs(*args, fix=True):
    """`check`, and `fix --diff` (which uses a stored result when it has nothing to fix)."""
    commands = [["check", "--output-format", "json"]] + ([["fix", "--diff"]] if fix else [])
    return [run(*command, "--jobs", "1", *args, ".") for command in commands]


def entries(cache):
    return sorted(cache.rglob("*.json"))


@pytest.mark.parametrize("name", FIXTURE_ROOTS)
def test_cached_results_equal_uncached_over_every_fixture(tmp_path, monkeypatch, name):
    source = FIXTURES / name if name in ("rules", "sample_app") else FIXTURES / "projects" / name
    directory = tmp_path / name
    shutil.copytree(source, directory, ignore=shutil.ignore_patterns(".warmstate_cache"))  # tests elsewhere leave one
    monkeypatch.chdir(directory)
    cache = tmp_path / "cache"
    uncached = outputs("--no-cache")
    assert not (directory / ".warmstate_cache").exists() and not cache.exists()
    filling = outputs("--cache-dir", cache, fix=False)
    assert entries(cache), "check stored nothing"
    from_cache = outputs("--cache-dir", cache)
    assert filling == uncached[:1]
    assert from_cache == uncached


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_project_changing_between_runs_gets_the_uncached_result_each_time(tmp_path, monkeypatch):
    """Each change is one a cache keyed too narrowly would miss: a file's text,
    a file added or removed, the rules configured, a requirements pin, and
    which files are asked about (a finding in a shared module is shown at the
    handler when only the handler's file is checked)."""
    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    shutil.copytree(FIXTURES / "rules" / "LAM304" / "powertools_3_8", project / "buffered")
    cache = tmp_path / "cache"
    monkeypatch.chdir(project)
    def add_shared_audit_trail():
        (project / "shared" / "audit.py").write_text("TRAIL = []\n\n\ndef record(entry):\n    TRAIL.append(entry)\n")
        edit(project / "users" / "handler.py", "import boto3\n", "import boto3\nfrom shared import audit\n")
        edit(project / "users" / "handler.py", "    _recent.clear()\n", "    _recent.clear()\n    audit.record(event)\n")

    changes = [
        lambda: edit(project / "orders" / "app.py", "def ", "AUDIT_TRAIL = []\n\n\ndef "),
        add_shared_audit_trail,
        lambda: (project / "shared" / "audit.py").unlink(),
        lambda: edit(project / "pyproject.toml", 'exclude = ["scripts/"]', 'exclude = ["scripts/"]\nignore = ["LAM104"]'),
        lambda: (project / "buffered" / "requirements.txt").write_text("aws-lambda-powertools==3.9.0\n"),
    ]
    before = None
    for change in [lambda: None, *changes]:
        change()
        reported = []
        for paths in (["."], ["users/handler.py"]):
            results = [run("check", "--output-format", "json", "--jobs", "1", *cache_args, *paths)
                       for cache_args in (["--no-cache"], ["--cache-dir", cache], ["--cache-dir", cache])]
            assert results[1] == results[0] and results[2] == results[0]
            reported.append(results[0])
        assert reported != before, "each change must change what is reported, or it tests nothing"
        before = reported


def test_a_rerun_analyses_only_the_units_that_changed(tmp_path, monkeypatch, capsys):
    """Counted in this process (``--jobs 1``): the second run analyses
    nothing, the third only the unit of the file that changed."""
    import linter.runner
    from linter.cli import main

    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    monkeypatch.chdir(project)
    analysed = []
    real = linter.runner.run_task
    monkeypatch.setattr(linter.runner, "run_task", lambda task, declared=None: analysed.append(task) or real(task, declared))

    def check():
        analysed.clear()
        code = main(["check", "--jobs", "1", "."])
        return code, capsys.readouterr().out, len(analysed)

    cold = check()
    assert cold[2] >= 3, "the sample app has several independent units"
    assert check() == (*cold[:2], 0)
    with open(project / "users" / "handler.py", "a") as handle:
        handle.write("# reviewed by the platform team\n")
    changed = check()
    assert changed[:2] == cold[:2] and changed[2] == 1


def test_cache_directory_layout_and_where_it_goes(run_warmstate, tmp_path):
    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    (project / ".git").mkdir()  # the project root
    environment = {name: value for name, value in os.environ.items() if name != "WARMSTATE_CACHE_DIR"}
    subprocess.run([installed_command("warmstate"), "check", "orders"], cwd=project, env=environment, timeout=120,
                   capture_output=True)
    default = project / ".warmstate_cache"
    assert (default / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (default / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert entries(default)

    elsewhere = tmp_path / "from-environment"
    completed = subprocess.run([installed_command("warmstate"), "check", "."], cwd=project, capture_output=True,
                               text=True, timeout=120, env={**environment, "WARMSTATE_CACHE_DIR": str(elsewhere)})
    assert completed.returncode == 1 and entries(elsewhere)
    option = tmp_path / "from-option"
    run_warmstate("check", "--cache-dir", option, ".", cwd=project)
    assert entries(option)


def test_an_unusable_cache_is_never_an_error(run_warmstate, tmp_path):
    """A corrupt entry is a miss; a cache directory that cannot be written is not used."""
    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    cache = tmp_path / "cache"
    expected = run_warmstate("check", "--no-cache", ".", cwd=project)
    run_warmstate("check", "--cache-dir", cache, ".", cwd=project)
    for entry in entries(cache):
        entry.write_text('{"files": [{"path": 1')
    assert run_warmstate("check", "--cache-dir", cache, ".", cwd=project).stdout == expected.stdout

    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory\n")  # cannot hold a cache, whoever runs the test
    completed = run_warmstate("check", "--cache-dir", blocked / "cache", ".", cwd=project)
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        expected.returncode, expected.stdout, expected.stderr)


def test_a_run_whose_results_are_all_cached_does_not_import_libcst(tmp_path):
    """LibCST and the rules cost a fifth of a second to import: a rerun with
    nothing changed (pre-commit, an editor on save) must not pay for them,
    nor for the text test and the CDK stack reader that make a file's facts."""
    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    modules = ["libcst", "rules.unbounded_container", "linter.analysis.entry_points",
               "linter.project.deployment.cdk_stacks"]
    script = ("import sys\nimport linter.project.file_facts\nfrom linter.cli import main\n"
              "linter.project.file_facts.RACY_NANOSECONDS = 0  # files copied just now: their facts are kept too\n"
              f"code = main(sys.argv[1:])\nprint(code, *[name in sys.modules for name in {modules!r}])\n")
    command = [sys.executable, "-c", script, "check", "--cache-dir", str(tmp_path / "cache"), "--jobs", "1", "."]
    first = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    again = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert first.stdout.splitlines()[-1] == "1 True True True True"
    assert again.stdout.splitlines()[-1] == "1 False False False False"
    assert again.stdout.splitlines()[:-1] == first.stdout.splitlines()[:-1]


def test_file_facts_are_read_again_whenever_a_file_may_have_changed(tmp_path, monkeypatch):
    """Kept facts are trusted only for a file whose inode, size and times are
    those recorded; a file written in the last two seconds is not kept."""
    import linter.project.file_facts as file_facts
    from linter.project.file_facts import FileFacts

    app, cdk_stack = tmp_path / "app.py", tmp_path / "stack.py"
    app.write_text("from shared import audit\n\n\ndef lambda_handler(event, context):\n    return audit\n")
    cdk_stack.write_text("from aws_cdk import aws_lambda as _lambda\n\n_lambda.Function(self, 'Orders', "
                         "runtime=_lambda.Runtime.PYTHON_3_12, handler='app.lambda_handler', "
                         "code=_lambda.Code.from_asset('src'))\n")
    paths = [str(app), str(cdk_stack)]
    fresh = FileFacts()
    assert [fresh.of(path) is not None for path in paths] == [True, True] and fresh.to_keep() is None  # nothing to keep

    monkeypatch.setattr(file_facts, "RACY_NANOSECONDS", 0)
    read = []
    real = file_facts.read_source
    monkeypatch.setattr(file_facts, "read_source", lambda path: read.append(path) or real(path))

    def look(known):
        read.clear()
        facts = FileFacts.from_kept(known) if known else FileFacts()
        return [facts.of(path) for path in paths], facts.to_keep(), list(read)

    first, kept, was_read = look({})
    assert was_read == paths and set(kept["files"]) == set(paths)
    assert first[0].imports == ("shared", "shared.audit") and first[0].may_hold_handler
    assert first[1].cdk_functions == (("Function Orders", "src", "app", "lambda_handler"),)
    assert look(json.loads(json.dumps(kept))) == (first, None, [])  # kept as JSON in the cache

    time.sleep(0.05)  # a later clock tick: the same size and modification time, a new change time
    status = os.stat(app)
    app.write_text(app.read_text().replace("audit", "AUDIT"))
    os.utime(app, ns=(status.st_atime_ns, status.st_mtime_ns))
    second, kept_again, was_read = look(kept)
    assert was_read == [str(app)] and second[0].digest != first[0].digest and second[1] == first[1]
    os.unlink(cdk_stack)
    third, kept_last, was_read = look(kept_again)
    assert was_read == [] and third == [second[0], None] and list(kept_last["files"]) == [str(app)]
    monkeypatch.chdir(tmp_path)  # run from another directory, the file has another name: still known
    read.clear()
    relative = FileFacts.from_kept(kept_last)
    assert relative.of("app.py") == second[0] and relative.to_keep() is None and read == []


def test_imports_are_resolved_again_only_for_a_changed_file_or_a_changed_layout(tmp_path, monkeypatch):
    """The files each file imports are kept with its facts, for the layout
    they were resolved in: a file added anywhere may change where any import
    goes, an edit only where the edited file's do."""
    import linter.project.file_facts as file_facts
    from linter.project.file_facts import FileFacts
    from linter.project.layout import Layout

    monkeypatch.setattr(file_facts, "RACY_NANOSECONDS", 0)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("")
    (tmp_path / "shared" / "audit.py").write_text("import json\n\nTRAIL = []\n")
    (tmp_path / "app.py").write_text("from shared import audit\n\n\ndef lambda_handler(event, context):\n"
                                     "    audit.TRAIL.append(event)\n")
    resolved = []
    real = file_facts.imported_files
    monkeypatch.setattr(file_facts, "imported_files",
                        lambda layout, path, names: resolved.append(path) or real(layout, path, names))

    def graph(kept):
        resolved.clear()
        files = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.py"))
        facts = FileFacts.from_kept(kept) if kept else FileFacts()
        edges = {path: facts.imported_files(path, Layout(str(tmp_path), files)) for path in files}
        to_keep = facts.to_keep()
        return edges, list(resolved), json.loads(json.dumps(to_keep)) if to_keep else kept

    edges, first, kept = graph(None)
    assert edges["app.py"] == {"shared/__init__.py", "shared/audit.py"} and len(first) == 3
    assert graph(kept) == (edges, [], kept)

    time.sleep(0.05)  # a later clock tick for the edit's times
    (tmp_path / "app.py").write_text("import json\n\n\ndef lambda_handler(event, context):\n    return json\n")
    edited, again, kept = graph(kept)
    assert again == ["app.py"] and edited["app.py"] == set()

    (tmp_path / "json.py").write_text("LOADED = []\n")  # now `import json` names a project file
    added, everything, kept = graph(kept)
    assert sorted(everything) == sorted(added) and added["app.py"] == added["shared/audit.py"] == {"json.py"}


def test_absolute_paths_are_what_os_path_abspath_gives(tmp_path, monkeypatch):
    from linter.project.paths import absolute_paths

    monkeypatch.chdir(tmp_path)
    paths = ["app.py", "orders/app.py", "./orders/app.py", "orders//app.py", "../other/app.py", "orders/../app.py",
             "/srv/app.py", "/app.py", "//app.py", "orders/", ".", "..", "orders/."]
    assert absolute_paths(paths) == {path: os.path.abspath(path) for path in paths}


TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: app.lambda_handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: !Ref OrdersTable
"""


def test_deployment_templates_are_read_back_from_the_file_facts(tmp_path, monkeypatch):
    """A template whose stamp is unchanged is not parsed again (nor PyYAML
    imported for it); one that changed is; a document JSON cannot give back
    exactly (a YAML date) is never kept."""
    import linter.project.file_facts as file_facts
    from linter.project.deployment.documents import load_document
    from linter.project.file_facts import FileFacts

    monkeypatch.setattr(file_facts, "RACY_NANOSECONDS", 0)
    template, dated = tmp_path / "template.yaml", tmp_path / "serverless.yml"
    template.write_text(TEMPLATE)
    dated.write_text("service: orders\nreleased: 2024-05-01\nfunctions: {}\n")
    parsed = []

    def parse(path):
        parsed.append(os.path.basename(path))
        return load_document(path)

    def read(kept):
        facts = FileFacts.from_kept(kept) if kept else FileFacts()
        documents = [facts.document(str(path), parse) for path in (template, dated)]
        return documents, json.loads(json.dumps(facts.to_keep() or kept))

    parsed.clear()
    first, kept = read(None)
    assert parsed == ["template.yaml", "serverless.yml"]
    assert first[0]["Resources"]["OrdersFunction"]["Properties"]["Environment"]["Variables"]["TABLE"] == \
        {"Ref": "OrdersTable"}
    parsed.clear()
    again, kept = read(kept)
    assert again == first and parsed == ["serverless.yml"]
    time.sleep(0.05)
    template.write_text(TEMPLATE.replace("python3.12", "python3.13"))
    parsed.clear()
    changed, kept = read(kept)
    assert parsed == ["template.yaml", "serverless.yml"]
    assert changed[0]["Resources"]["OrdersFunction"]["Properties"]["Runtime"] == "python3.13"
