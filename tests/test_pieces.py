"""Units cut into pieces (linter/project/pieces.py, linter/pieces_run.py):
the results are exactly those of the whole unit, over every fixture and on
a project whose shared layer several functions reach; a rerun after one
service changed analyses that service's piece only."""
from __future__ import annotations

import ast
import os
import shutil

import pytest

from conftest import FIXTURES
from linter.analysis.entry_points import may_hold_handler, may_hold_handler_text
from test_cache import FIXTURE_ROOTS, run


@pytest.fixture
def analysed(monkeypatch):
    """The files of each task analysed, in order."""
    import linter.runner

    seen = []
    real = linter.runner.run_task
    monkeypatch.setattr(linter.runner, "run_task", lambda task, declared=None: seen.append(sorted(p for p, _ in task.files))
                        or real(task, declared))
    return seen


def pieces_of_one_handler_file(monkeypatch):
    import linter.project.pieces

    monkeypatch.setattr(linter.project.pieces, "PIECE_FILES", 1)
    monkeypatch.setattr(linter.project.pieces, "SPLIT_MINIMUM", 2)
    monkeypatch.setattr(linter.project.pieces, "OVERLAP_LIMIT", 10 ** 9)


def whole_and_in_pieces(monkeypatch, *args):
    whole = run("check", "--output-format", "json", "--no-cache", "--jobs", "1", *args)
    with monkeypatch.context() as patch:
        pieces_of_one_handler_file(patch)
        cut = run("check", "--output-format", "json", "--no-cache", "--jobs", "1", *args)
    return whole, cut


@pytest.mark.parametrize("name", FIXTURE_ROOTS)
def test_pieces_give_the_whole_units_results_over_every_fixture(monkeypatch, analysed, name):
    root = FIXTURES / name if name in ("rules", "sample_app") else FIXTURES / "projects" / name
    monkeypatch.chdir(root)
    whole, cut = whole_and_in_pieces(monkeypatch, ".")
    assert cut == whole


def fixed_whole_and_in_pieces(monkeypatch, *args):
    command = ("fix", "--diff", "--unsafe-fixes", "--no-cache", "--jobs", "1", *args)
    whole = run(*command)
    with monkeypatch.context() as patch:
        pieces_of_one_handler_file(patch)
        cut = run(*command)
    return whole, cut


@pytest.fixture
def merges(monkeypatch):
    """The result of each attempt to put a unit's pieces together (None: analysed whole)."""
    import linter.pieces_run

    found = []
    real = linter.pieces_run.merged
    monkeypatch.setattr(linter.pieces_run, "merged", lambda parts: found.append(real(parts)) or found[-1])
    return found


@pytest.mark.parametrize("name", FIXTURE_ROOTS)
def test_fixing_in_pieces_gives_the_whole_units_fixes_over_every_fixture(monkeypatch, name):
    root = FIXTURES / name if name in ("rules", "sample_app") else FIXTURES / "projects" / name
    monkeypatch.chdir(root)
    whole, cut = fixed_whole_and_in_pieces(monkeypatch, ".")
    assert cut == whole


@pytest.mark.parametrize("name, outcome", [("sam_app", "whole"), ("serverless_app", "whole"), ("cdk_app", "pieces"), ("powertools_routes", "pieces")])
def test_fixture_projects_are_cut_into_pieces(monkeypatch, name, outcome):
    """The comparison above compares something: these projects are cut, and
    their pieces' results are used, or set aside for the whole unit's (a
    layer's leak found by some pieces: sam_app's, serverless_app's)."""
    import linter.pieces_run

    merges = []
    real = linter.pieces_run.merged
    monkeypatch.setattr(linter.pieces_run, "merged", lambda parts: merges.append(real(parts)) or merges[-1])
    monkeypatch.chdir(FIXTURES / "projects" / name)
    pieces_of_one_handler_file(monkeypatch)
    run("check", "--no-cache", "--jobs", "1", ".")
    assert len(merges) == 1
    assert (merges[0] is None) == (outcome == "whole")


LAYER = '''"""Audit trail shared by every function (a Lambda layer)."""
import logging

logger = logging.getLogger("audit")
TRAIL = []


def record(entry):
    TRAIL.append(entry)
    logger.info("recorded %s", entry["id"])


def describe(entry):
    return f"{entry['id']}: {entry.get('status', 'new')}"
'''

SERVICE = '''"""The {name} function."""
import json

from common import audit


def lambda_handler(event, context):
    body = json.loads(event["body"])
    audit.{call}(body)
    return {{"statusCode": 200, "body": json.dumps({{"ok": True}})}}
'''

TEST = '''from {name} import app


def test_handler_answers():
    assert app.lambda_handler({{"body": '{{"id": "o-1"}}'}}, None)["statusCode"] == 200
'''


def layered_project(root, calls):
    (root / "common").mkdir(parents=True)
    (root / "common" / "__init__.py").write_text("")
    (root / "common" / "audit.py").write_text(LAYER)
    (root / "pyproject.toml").write_text("[tool.warmstate]\n")
    for name, call in calls.items():
        (root / name).mkdir()
        (root / name / "__init__.py").write_text("")
        (root / name / "app.py").write_text(SERVICE.format(name=name, call=call))
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / f"test_{name}.py").write_text(TEST.format(name=name))


@pytest.mark.parametrize("asked", [".", "common/audit.py"])
def test_a_layer_reached_from_two_functions_is_analysed_whole(tmp_path, monkeypatch, analysed, asked):
    """orders and refunds both append to the layer's TRAIL: each piece names
    its own handler, the whole unit names both, so the unit is analysed whole."""
    layered_project(tmp_path, {"orders": "record", "refunds": "record", "reports": "describe"})
    monkeypatch.chdir(tmp_path)
    whole, cut = whole_and_in_pieces(monkeypatch, asked)
    assert cut == whole
    assert "handlers lambda_handler() in orders/app.py and lambda_handler() in refunds/app.py" in whole[1]
    assert len(analysed) > 2 and analysed[-1] == analysed[0], "the last analysis is not the whole unit"


def reset_first(path):
    path.write_text(path.read_text().replace("    audit.record(body)\n", "    audit.TRAIL.clear()\n    audit.record(body)\n"))


@pytest.mark.parametrize("asked", [".", "common/audit.py"])
@pytest.mark.parametrize("refunds", ["describes", "resets first"])
def test_a_layer_leak_one_function_reaches_is_analysed_whole(tmp_path, monkeypatch, analysed, asked, refunds):
    """Only orders' piece finds the leak, but the whole unit's message may
    name what the others hold: here refunds' reset, which does not run when
    orders is invoked."""
    layered_project(tmp_path, {"orders": "record", "refunds": "record" if refunds == "resets first" else "describe",
                               "reports": "describe"})
    if refunds == "resets first":
        reset_first(tmp_path / "refunds" / "app.py")
    monkeypatch.chdir(tmp_path)
    whole, cut = whole_and_in_pieces(monkeypatch, asked)
    assert cut == whole
    assert "module-level list 'TRAIL' is appended to" in whole[1]
    assert ("does not run when lambda_handler() is invoked" in whole[1]) == (refunds == "resets first")
    assert analysed[-1] == analysed[0], "the last analysis is not the whole unit"


@pytest.mark.parametrize("asked", [".", "common/audit.py", "orders/app.py"])
def test_a_leak_in_one_service_beside_a_clean_layer_is_found_in_its_piece(tmp_path, monkeypatch, analysed, asked):
    layered_project(tmp_path, {"orders": "describe", "refunds": "describe", "reports": "describe"})
    orders = tmp_path / "orders" / "app.py"
    orders.write_text(orders.read_text().replace("def lambda_handler(", "SEEN_ORDERS = set()\n\n\ndef lambda_handler(")
                      .replace("    audit.describe(body)\n", "    SEEN_ORDERS.add(body['id'])\n"))
    monkeypatch.chdir(tmp_path)
    whole, cut = whole_and_in_pieces(monkeypatch, asked)
    assert cut == whole
    assert ("module-level set 'SEEN_ORDERS' is added to" in whole[1]) == (asked != "common/audit.py")
    if asked != "orders/app.py":  # then the unit is orders' alone, too small to cut
        assert len(analysed) > 2 and analysed[0] not in analysed[1:], "the unit was analysed whole"


def test_a_rerun_after_one_service_changed_analyses_its_piece(tmp_path, monkeypatch, analysed):
    layered_project(tmp_path, {"orders": "describe", "refunds": "describe", "reports": "describe"})
    monkeypatch.chdir(tmp_path)
    pieces_of_one_handler_file(monkeypatch)
    first = run("check", "--jobs", "1", ".")
    text = (tmp_path / "reports" / "app.py").read_text()
    (tmp_path / "reports" / "app.py").write_text(text.replace("json.dumps(", "json.dumps(  # compact\n    "))
    analysed.clear()
    again = run("check", "--jobs", "1", ".")
    assert again == first
    assert analysed == [["common/__init__.py", "common/audit.py", "reports/app.py"]]  # its test is a piece of its own


def python_files():
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text()
        try:
            yield path, ast.parse(text), text
        except SyntaxError:
            continue


def test_the_text_finds_every_file_the_parser_would_take_for_a_handler():
    """Pieces are cut from the text: a file that may hold a handler must never be missed."""
    found = [path for path, tree, text in python_files() if may_hold_handler(tree, text)]
    assert len(found) > 200
    assert [path for path in found if not may_hold_handler_text(path.read_text())] == []
    assert may_hold_handler_text("def process(\n    # the SQS batch\n    event: dict, context) -> None:\n    pass\n")
    assert not may_hold_handler_text(shutil.__doc__ or "")
    assert may_hold_handler_text("class Batch:\n    pass\n\n\ndef process[T](event: T, context) -> T:\n    return event\n")
    # a handler's name counts where it could be bound, not where a test calls it or in a longer name
    for bound in ("from orders.app import lambda_handler\n", "handler = Mangum(app)\n",
                  "import app as handler\n", "routes, handler = build()\n", "for handler in HANDLERS:\n    pass\n"):
        assert may_hold_handler_text(bound), bound
    stack = ('from aws_cdk import aws_lambda as _lambda\n\n_lambda.Function(self, "Orders", handler="app.main",\n'
             '                 runtime=_lambda.Runtime.PYTHON_3_12, code=_lambda.Code.from_asset("orders"))\n'
             'function.add_event_source(SqsEventSource(queue))\n')
    assert not may_hold_handler_text(stack)  # a keyword argument, as the parser tells
    assert may_hold_handler_text("routes, handler = build_routes()\n")  # a binding, as the parser tells
    assert may_hold_handler_text("handler=make_handler(\n")  # the parser cannot tell: kept
    rows = "ROUTES = [\n" + "".join(f"    dict(handler='route_{n}', path='/r/{n}'),\n" for n in range(6000)) + "]\n"
    assert len(rows) > 200_000 and may_hold_handler_text(rows)  # generated data: kept, not parsed whole
    for signature in ('def process(event: Dict[str, "A, B"] = {"k": (1, 2)},  # the batch\n    ctx):\n',
                      "def process(event, /, context):\n", "def process(event, \\\r\n context):\n"):
        assert may_hold_handler_text(signature), signature
    for signature in ("def test_orders(event, monkeypatch):\n", "def parse(event: Dict[str, Any]) -> dict:\n",
                      "def process(e, *records):\n", "def process(event, *, context):\n"):
        assert not may_hold_handler_text(signature), signature
    assert not may_hold_handler_text("from orders import app\n\n\ndef test_orders(sqs_event):\n"
                                     "    assert app.lambda_handler(sqs_event, None) == {}\n"
                                     "    logging.getLogger().handlers.clear()\n")


PIPELINE = '''"""Shared processing step (a Lambda layer)."""
SEEN = []


def process(event, context):
    SEEN.append(event["id"])
    return {"statusCode": 200, "body": str(len(SEEN))}


def describe(event):
    return f"request {event['id']}"
'''


def test_a_layer_function_that_is_a_helper_in_one_piece_only_is_analysed_whole(tmp_path, monkeypatch, analysed):
    """``process(event, context)`` looks like a handler.  orders calls it after
    clearing SEEN, so it is orders' helper and nothing leaks; in refunds'
    piece alone nothing reaches it, and it would be taken for a handler that
    leaks SEEN.  The pieces disagree on what it is, so the unit is analysed whole."""
    layered_project(tmp_path, {"orders": "describe", "refunds": "describe"})
    (tmp_path / "common" / "pipeline.py").write_text(PIPELINE)
    orders = tmp_path / "orders" / "app.py"
    orders.write_text(orders.read_text().replace("from common import audit\n", "from common import audit, pipeline\n")
                      .replace('    audit.describe(body)\n', '    pipeline.SEEN.clear()\n'
                                                               '    return pipeline.process(body, context)\n'))
    refunds = tmp_path / "refunds" / "app.py"
    refunds.write_text(refunds.read_text().replace("from common import audit\n", "from common import audit, pipeline\n")
                       .replace("audit.describe(body)", "pipeline.describe(body)"))
    monkeypatch.chdir(tmp_path)
    whole, cut = whole_and_in_pieces(monkeypatch, ".")
    assert cut == whole
    assert "SEEN" not in whole[1]
    assert analysed[-1] == analysed[0], "the last analysis is not the whole unit"


def test_fixes_made_in_pieces_are_written_as_the_whole_unit_writes_them(tmp_path, monkeypatch, merges):
    """Each service keeps its own set of seen orders; the layer is only read.
    The pieces fix their own handlers and are used; the files written are
    those a fix of the whole unit writes, and the summary counts the same."""
    services = {"orders": "describe", "refunds": "describe", "reports": "describe"}
    for copy in ("whole", "pieces"):
        layered_project(tmp_path / copy, services)
        for name in services:
            app = tmp_path / copy / name / "app.py"
            app.write_text(app.read_text().replace("def lambda_handler(", "SEEN = set()\n\n\ndef lambda_handler(")
                           .replace("    audit.describe(body)\n", "    SEEN.add(body['id'])\n    audit.describe(body)\n"))
    monkeypatch.chdir(tmp_path / "whole")
    whole = run("fix", "--unsafe-fixes", "--no-cache", "--jobs", "1", ".")
    assert merges == []
    monkeypatch.chdir(tmp_path / "pieces")
    pieces_of_one_handler_file(monkeypatch)
    cut = run("fix", "--unsafe-fixes", "--no-cache", "--jobs", "1", ".")
    assert len(merges) == 1 and merges[0] is not None, "the pieces' fixes were not used"
    assert cut == whole
    assert "Fixed 3 findings in 3 files" in whole[1]
    for name in services:
        fixed = (tmp_path / "pieces" / name / "app.py").read_text()
        assert fixed == (tmp_path / "whole" / name / "app.py").read_text()
        assert "    SEEN.clear()\n" in fixed


def test_fixing_in_pieces_after_a_check_reads_the_clean_pieces_back(tmp_path, monkeypatch, merges, analysed):
    """After a check, only orders' piece has something to fix: the other
    pieces' stored results are used, and the fix is the one made without a cache."""
    layered_project(tmp_path, {"orders": "describe", "refunds": "describe", "reports": "describe"})
    orders = tmp_path / "orders" / "app.py"
    orders.write_text(orders.read_text().replace("def lambda_handler(", "SEEN = set()\n\n\ndef lambda_handler(")
                      .replace("    audit.describe(body)\n", "    SEEN.add(body['id'])\n"))
    monkeypatch.chdir(tmp_path)
    pieces_of_one_handler_file(monkeypatch)
    run("check", "--jobs", "1", ".")
    analysed.clear()
    cached = run("fix", "--diff", "--jobs", "1", ".")
    assert [files for files in analysed if "orders/app.py" not in files] == []
    assert cached == run("fix", "--diff", "--no-cache", "--jobs", "1", ".")
    assert "+    SEEN.clear()" in cached[1]
    assert all(merged is not None for merged in merges)


def test_fixing_a_layer_state_two_functions_reach_is_done_whole(tmp_path, monkeypatch, merges):
    """orders and refunds both append to the layer's TRAIL: each piece would
    reset it in its own handler only, with a message naming one handler; the
    whole unit names both, so its fix is the one made."""
    layered_project(tmp_path, {"orders": "record", "refunds": "record", "reports": "describe"})
    monkeypatch.chdir(tmp_path)
    whole, cut = fixed_whole_and_in_pieces(monkeypatch, ".")
    assert cut == whole
    assert "+    audit.TRAIL.clear()" in whole[1] and "refunds/app.py" in whole[1]
    assert merges == [None]


def test_a_fix_one_piece_sets_aside_stops_every_piece_as_it_stops_the_whole_unit(tmp_path, monkeypatch, merges):
    """The whole unit stops fixing at the first fix that cannot be applied;
    a piece that did fix its files must not be used then."""
    import linter.fixing.fixer

    services = {"orders": "describe", "refunds": "describe"}
    layered_project(tmp_path, services)
    for name in services:
        app = tmp_path / name / "app.py"
        app.write_text(app.read_text().replace("def lambda_handler(", "SEEN = []\n\n\ndef lambda_handler(")
                       .replace("    audit.describe(body)\n", "    SEEN.append(body['id'])\n"))
    real = linter.fixing.fixer._compile_error
    monkeypatch.setattr(linter.fixing.fixer, "_compile_error",
                        lambda path, text, original: "disk quota" if path.startswith("refunds") else real(path, text, original))
    monkeypatch.chdir(tmp_path)
    whole, cut = fixed_whole_and_in_pieces(monkeypatch, ".")
    assert cut == whole
    assert "SEEN.clear()" not in whole[1]
    assert merges == [None]


def test_a_package_whose_modules_import_most_of_it_is_not_cut(tmp_path, monkeypatch):
    """Every handler imports a large core (moto's services and its backends):
    each piece would hold nearly the whole package, analysing it many times
    over, so the unit is analysed whole."""
    import linter.project.pieces
    from linter.project.layout import Layout
    from linter.project.pieces import split
    from linter.project.units import ImportGraph, imported_files, imported_names

    monkeypatch.setattr(linter.project.pieces, "PIECE_FILES", 1)
    monkeypatch.setattr(linter.project.pieces, "SPLIT_MINIMUM", 2)
    monkeypatch.chdir(tmp_path)
    core = [f"core/module_{n}.py" for n in range(10)]
    texts = {"core/__init__.py": "", **{path: "import json\n" for path in core}}
    for n in range(6):
        texts[f"service_{n}.py"] = ("from core import " + ", ".join(f"module_{m}" for m in range(10)) +
                                    "\n\n\ndef lambda_handler(event, context):\n    return module_0\n")
    layout = Layout(str(tmp_path), list(texts))
    graph = ImportGraph(list(texts), lambda path: imported_files(layout, path, imported_names(texts[path])))
    unit = sorted(texts)
    assert split(graph, unit, lambda path: path.startswith("service_")) is None
    monkeypatch.setattr(linter.project.pieces, "OVERLAP_LIMIT", 10 ** 9)
    assert len(split(graph, unit, lambda path: path.startswith("service_"))) == 6


SENTRY_A = '''import sentry_sdk
from sentry_sdk.integrations.aws_lambda import AwsLambdaIntegration

from shared.config import DSN

sentry_sdk.init(dsn=DSN, integrations=[AwsLambdaIntegration()])


def lambda_handler(event, context):
    sentry_sdk.set_tag("order", event["id"])
    return {"ok": True}
'''

SENTRY_B = '''import sentry_sdk

from shared.config import DSN

sentry_sdk.init(dsn=DSN)


def lambda_handler(event, context):
    sentry_sdk.set_user({"id": event["user"]})
    return {"ok": True}
'''


def test_a_piece_sees_what_its_function_imports_not_another_functions_code(tmp_path, monkeypatch):
    """Choice (README, "Which files"): refunds initialises Sentry without the
    Lambda integration and sets the user per request (LAM307); orders, with
    its own Sentry set-up, is deployed apart and never runs in refunds'
    process.  Analysed whole, orders' integration hid refunds' finding; in
    pieces, refunds' finding is the one a check of refunds' file alone gives."""
    files = {"pyproject.toml": "[tool.warmstate]\n", "shared/__init__.py": "",
             "shared/config.py": "import os\n\nDSN = os.environ.get('SENTRY_DSN')\n",
             "orders/__init__.py": "", "orders/app.py": SENTRY_A, "refunds/__init__.py": "", "refunds/app.py": SENTRY_B}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    monkeypatch.chdir(tmp_path)
    alone = run("check", "--no-cache", "--jobs", "1", "refunds/app.py")
    assert "LAM307" in alone[1]
    pieces_of_one_handler_file(monkeypatch)
    cut = run("check", "--no-cache", "--jobs", "1", ".")
    assert [line for line in cut[1].splitlines() if "LAM" in line] == \
           [line for line in alone[1].splitlines() if "LAM" in line]


def test_workers_get_batches_of_about_equal_bytes_largest_first(tmp_path):
    """A piece of handler modules costs many times a piece of tests of as
    many files: batches are cut by bytes, so one worker is not left with the
    handlers while the others have finished."""
    from linter.project.file_options import FileOptions
    from linter.runner import BATCHES_PER_JOB, Task, _batches

    options = FileOptions(frozenset())

    def task(name, files, size):
        paths = []
        for n in range(files):
            path = tmp_path / f"{name}_{n}.py"
            path.write_text("x = 1\n" * (size // 6))
            paths.append(str(path))
        return Task(tuple((path, options) for path in paths), frozenset(paths))

    tasks = [task(f"tests{n}", 48, 300) for n in range(20)] + [task(f"handlers{n}", 48, 12_000) for n in range(6)]
    weights = [sum(os.path.getsize(path) for path, _ in t.files) for t in tasks]
    batches = _batches(tasks, 2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(tasks)))
    assert batches[0][0] >= 20  # a handlers' piece first
    target = sum(weights) // (2 * BATCHES_PER_JOB)
    assert max(sum(weights[i] for i in batch) for batch in batches) <= target + max(weights)
    assert all(len(batch) == 1 for batch in batches if any(i >= 20 for i in batch))  # each handlers' piece alone
