"""Bodies of functions nothing can call are not parsed by LibCST
(linter/parsing/unreferenced.py): which are elided, that results are those
of parsing everything, and that a fix writes the bodies back unchanged."""
from __future__ import annotations

import textwrap

import pytest

from conftest import FIXTURES
from linter.engine import FileOptions, SourceText, analyse
from linter.fixing.fixer import fix_text
from linter.parsing.parse import prepare
from linter.parsing.unreferenced import elide_unreferenced
from rules import ALL_RULES
from test_cache import FIXTURE_ROOTS, run

APP = textwrap.dedent('''\
    """Orders API: one Lambda function behind API Gateway."""
    import json
    import logging

    from orders import pricing

    logger = logging.getLogger(__name__)
    SEEN_ORDERS = []


    def _legacy_export(rows):
        """Kept for the 2023 migration script; nothing calls it any more."""
        lines = []
        for row in rows:
            lines.append(json.dumps(row, sort_keys=True))
        return "\\n".join(lines)


    def _parse(body):
        data = json.loads(body or "{}")
        if "id" not in data:
            raise ValueError("an order needs an id")
        return data


    def _by_name(rows):
        ordered = sorted(rows, key=lambda row: row["name"])
        for row in ordered:
            logger.debug("row %s", row["name"])
        return ordered


    def lambda_handler(event, context):
        order = _parse(event.get("body"))
        SEEN_ORDERS.append(order["id"])
        order["total"] = pricing.total(order)
        return {"statusCode": 200, "body": json.dumps(order)}


    EXPORTS = {"by_name": globals()["_by_name"]}
''')

PRICING = textwrap.dedent('''\
    """Prices for the orders function."""
    from decimal import Decimal


    def total(order):
        amount = sum(Decimal(str(line["price"])) * line["quantity"] for line in order.get("lines", []))
        if order.get("coupon"):
            amount = amount * Decimal("0.9")
        return str(amount)


    def _unused_rounding(amount):
        quantized = amount.quantize(Decimal("0.01"))
        if quantized < 0:
            return Decimal("0")
        return quantized
''')


def elided_functions(files, handlers=None):
    prepared = [prepare(path, text) for path, text in files.items()]
    importers = {"orders/pricing.py": ["orders/app.py"]}
    result = elide_unreferenced(prepared, lambda path: importers.get(path, ()), handlers or {})
    return {file.path: file for file in result}


def test_only_functions_nothing_names_are_elided():
    files = {"orders/app.py": APP, "orders/pricing.py": PRICING}
    result = elided_functions(files)
    app, pricing = result["orders/app.py"].elided, result["orders/pricing.py"].elided
    assert "_legacy_export(rows):\n    \"\"\"__warmstate_body_0__" in app.text  # nothing names it
    assert "    data = json.loads" in app.text  # called by the handler
    assert "    ordered = sorted" in app.text  # named in a string: globals()["_by_name"]
    assert "    order = _parse" in app.text  # the handler
    assert "    amount = sum(" in pricing.text  # named by the module importing it
    assert "    quantized = amount" not in pricing.text
    for path, text in files.items():
        assert result[path].elided.text.count("\n") == text.count("\n")  # every line where it was
        assert result[path].elided.restore(result[path].elided.text) == text


def test_a_star_import_keeps_every_name_anyone_mentions():
    caller = "from orders.pricing import *\n\n\ndef lambda_handler(event, context):\n    return _unused_rounding(1)\n"
    result = elided_functions({"orders/app.py": caller, "orders/pricing.py": PRICING})
    assert "    quantized = amount" in result["orders/pricing.py"].elided.text


def test_named_handlers_decorated_and_dunder_functions_are_kept():
    module = textwrap.dedent('''\
        import functools


        def process(payload):
            rows = payload["rows"]
            rows.sort()
            return rows


        @functools.lru_cache(maxsize=32)
        def lookup(key):
            value = key.upper()
            value = value.strip()
            return value


        def __getattr__(name):
            if name == "VERSION":
                return "1.0"
            raise AttributeError(name)


        def _mark_warm():
            global WARM
            WARM = True
            return WARM


        def handle(event, ctx):
            records = event["Records"]
            records.sort()
            return records
    ''')
    text = elided_functions({"jobs/worker.py": module}, {"jobs/worker.py": {"process"}})["jobs/worker.py"].elided.text
    assert text == module


def test_a_class_nothing_names_is_elided_unless_something_could_register_it():
    module = textwrap.dedent('''\
        import abc


        class LegacyExporter:
            """Replaced by exports.v2; kept for the migration script."""
            sent = []

            def send(self, row):
                self.sent.append(row)


        class Plugin(abc.ABC):
            registry = []

            def __init_subclass__(cls, **kwargs):
                Plugin.registry.append(cls)


        class AuditPlugin(Plugin):
            seen = []

            def run(self, event):
                self.seen.append(event["id"])


        class Orders:
            pending = []

            def add(self, order):
                self.pending.append(order)


        def lambda_handler(event, context):
            for plugin in Plugin.registry:
                plugin().run(event)
            Orders().add(event)
    ''')
    text = elided_functions({"app.py": module})["app.py"].elided.text
    assert '"""__warmstate_body_0__' in text and "    sent = []" not in text  # nothing names it
    assert "        self.seen.append" in text  # its base registers it
    assert "        self.pending.append" in text  # the handler names it


def test_a_class_nothing_names_is_kept_when_its_body_does_something_at_import():
    """A class body runs at import, named or not: one that fills module-level
    state must stay in sight (a reset would delete what it added)."""
    module = textwrap.dedent('''\
        import dataclasses
        import datetime

        from app_routes import router
        from settings import Setting

        DETAIL_TYPES = set()
        SCHEMAS = {}


        class OrderPlaced:
            """An EventBridge detail type, registered at import."""
            detail_type = "OrderPlaced"
            DETAIL_TYPES.add(detail_type)


        class OrderShipped:
            """Its schema, keyed at import."""
            detail_type = "OrderShipped"
            SCHEMAS[detail_type] = {"type": "object"}


        class HealthRoutes:
            """A route registered by its method's decorator."""

            @router.get("/health")
            def health(self):
                return {"ok": True}


        @dataclasses.dataclass
        class OrderLine:
            """Fields and constants only: nothing runs but the class's own."""
            sku: str
            quantity: int = 1
            tags: list = dataclasses.field(default_factory=list)
            created: object = dataclasses.field(default_factory=lambda: datetime.datetime.now())

            def total(self, price=0):
                return price * self.quantity


        class Field:
            def __set_name__(self, owner, name):
                SCHEMAS.setdefault(owner.__name__, []).append(name)


        class ProductRecord:
            """A model whose fields register themselves."""
            sku = Field()
            price = Field()


        class Settings:
            """Settings registered by the project's descriptor."""
            region = Setting()
            stage = Setting()


        def listener(function):
            DETAIL_TYPES.add(function.__name__)
            return function


        class _OrderListeners:
            """Listeners registered at import by a bare decorator."""

            @staticmethod
            @listener
            def audit(order):
                return {"audit": order["id"]}


        SHARED = Field()


        class _Totals:
            """A descriptor object bound without a call."""
            total = SHARED
            currency = SHARED


        def lambda_handler(event, context):
            return {"types": sorted(DETAIL_TYPES), "schemas": SCHEMAS}
    ''')
    text = elided_functions({"app.py": module})["app.py"].elided.text
    assert "    DETAIL_TYPES.add(detail_type)" in text
    assert "    sku = Field()" in text  # the module's own Field: its __set_name__ registers the field
    assert "    region = Setting()" in text  # a Setting of the project, imported
    assert "    @listener" in text  # applying a decorator is a call: it registers the method
    assert "    total = SHARED" in text  # an object bound in a class body gets __set_name__ called
    assert "    SCHEMAS[detail_type] = " in text
    assert '    @router.get("/health")' in text
    assert "    sku: str" not in text and text.count("__warmstate_body_") == 1


def test_what_only_unreachable_code_names_is_elided_too():
    """A helper only a dead function calls, a dataclass only dead functions
    build or name in annotations, a function only calling itself: nothing
    an invocation runs can reach them.  A class a decorator may register is kept."""
    models = textwrap.dedent('''\
        """Order models for the orders service."""
        import dataclasses
        import decimal
        import json
        from typing import List, Optional

        from orders import registry


        @dataclasses.dataclass(frozen=True)
        class LegacyOrder:
            identifier: str
            amount: decimal.Decimal

            def total(self) -> decimal.Decimal:
                return self.amount * decimal.Decimal("1.19")


        def _round(amount):
            quantized = amount.quantize(decimal.Decimal("0.01"))
            if quantized < 0:
                return decimal.Decimal("0")
            return quantized


        def parse_legacy(body: str) -> Optional["LegacyOrder"]:
            data = json.loads(body)
            if "amount" not in data:
                return None
            amount = _round(decimal.Decimal(data["amount"]))
            return LegacyOrder(data["id"], amount)


        def summarise(orders: List[LegacyOrder]) -> str:
            totals = [order.total() for order in orders]
            summary = {"count": len(totals)}
            summary["sum"] = str(sum(totals))
            return json.dumps(summary)


        def flatten(tree, into):
            for child in tree.get("children", []):
                flatten(child, into)
            into.append(tree["id"])
            return into


        @registry.model
        class AuditedOrder:
            trail = []

            def record(self, event):
                self.trail.append(event["id"])


        def lambda_handler(event, context):
            return {"statusCode": 200, "body": event.get("body")}
    ''')
    text = elided_functions({"orders/models.py": models})["orders/models.py"].elided.text
    for kept in ("        self.trail.append", "class LegacyOrder:\n", "def summarise(orders: List[LegacyOrder]) -> str:"):
        assert kept in text
    for gone in ("    identifier: str", "    quantized = amount", "    data = json.loads", "    totals = [",
                 "        flatten(child, into)"):
        assert gone not in text
    assert elided_functions({"orders/models.py": models})["orders/models.py"].elided.restore(text) == models


def test_a_body_starting_on_the_signatures_last_line_is_kept():
    module = "def helper(first,\n           second): return (first +\n    second +\n    1 +\n    2)\n"
    assert elided_functions({"app.py": module})["app.py"].elided.text == module


def test_fix_writes_elided_bodies_back():
    options = FileOptions(frozenset(rule.code for rule in ALL_RULES))
    outcome = fix_text("orders/app.py", APP, options, ALL_RULES, False)
    assert outcome.errors == []
    assert "    SEEN_ORDERS.clear()\n" in outcome.fixed
    assert outcome.fixed.replace("    SEEN_ORDERS.clear()\n", "", 1) == APP


def test_the_elided_tree_is_what_lints():
    """The elided module is parsed, its handler found, its leak at its line."""
    unit = analyse([SourceText("orders/app.py", APP, FileOptions(frozenset(rule.code for rule in ALL_RULES)))])
    assert "_legacy_export" in unit.modules["orders/app.py"].code
    assert '"""__warmstate_body_0__' in unit.modules["orders/app.py"].code
    assert [handler.name for handler in unit.analysis.handlers] == ["lambda_handler"]


def generated(name, directory):
    """A dense corpus (30 handler modules, most helpers never called) or a
    mixed project (tests, stacks, a shared layer), from the benchmarks' generators."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from benchmarks import corpus, mixed_project

    if name == "dense":
        corpus.generate(directory, 30)
    else:
        mixed_project.generate(directory, 180)
    return directory


@pytest.mark.parametrize("name", [*FIXTURE_ROOTS, "generated dense", "generated mixed"])
def test_results_equal_parsing_everything(monkeypatch, tmp_path, name):
    """Findings, positions and text edits (JSON), and every fix (fix --diff),
    over every fixture and two generated code bases, where bodies are elided."""
    import linter.parsing.unreferenced

    if name.startswith("generated"):
        directory = generated(name.split()[1], tmp_path / "code")
    else:
        directory = FIXTURES / name if name in ("rules", "sample_app") else FIXTURES / "projects" / name
    monkeypatch.chdir(directory)
    elisions = []
    real = linter.parsing.unreferenced._elided
    monkeypatch.setattr(linter.parsing.unreferenced, "_elided",
                        lambda file, reachable: elisions.append(file.path) or real(file, reachable))
    commands = [["check", "--output-format", "json"], ["fix", "--diff", "--unsafe-fixes"]]
    elided = [run(*command, "--no-cache", "--jobs", "1", ".") for command in commands]
    if name.startswith("generated"):
        assert elisions, "nothing was elided: the comparison proves nothing"
    monkeypatch.setattr(linter.parsing.unreferenced, "MINIMUM_LINES", 10 ** 9)
    everything = [run(*command, "--no-cache", "--jobs", "1", ".") for command in commands]
    assert elided == everything


REVIEWED = {  # shapes a review found elided wrongly, each kept: results must equal parsing everything
    "a_body_starting_with_a_decorated_function": {  # the stand-in must cover the decorator line too
        "handler.py": "from helpers import record\n\n\ndef lambda_handler(event, context):\n"
                      "    record(event['id'])\n    return {'statusCode': 200}\n",
        "helpers.py": "import functools\nimport time\n\nSEEN = []\n\n\ndef record(item):\n    SEEN.append(item)\n\n\n"
                      "def timed(fn):\n    @functools.wraps(fn)\n    def wrapper(*args, **kwargs):\n"
                      "        started = time.monotonic()\n        try:\n            return fn(*args, **kwargs)\n"
                      "        finally:\n            print(fn.__name__, time.monotonic() - started)\n"
                      "    return wrapper\n\n\ndef legacy_export(rows):\n"
                      "    export = timed(lambda: [dict(row) for row in rows])\n    data = export()\n"
                      "    print(len(data))\n    return data\n",
    },
    "a_class_body_starting_with_a_decorated_method": {
        "handler.py": "from versions import record\n\n\ndef lambda_handler(event, context):\n"
                      "    record(event['version'])\n    return {'statusCode': 200}\n",
        "versions.py": "import functools\n\nSEEN = []\n\n\ndef record(version):\n    SEEN.append(version)\n\n\n"
                       "@functools.total_ordering\nclass Version:\n    @classmethod\n    def parse(cls, text):\n"
                       "        return cls(*map(int, text.split('.')))\n\n    def __init__(self, major, minor):\n"
                       "        self.major, self.minor = major, minor\n\n    def __lt__(self, other):\n"
                       "        return (self.major, self.minor) < (other.major, other.minor)\n",
    },
    "a_dataclass_field_defaulting_to_the_import_time_clock": {  # LAM107 reads every class body
        "handler.py": "import json\n\nfrom models import parse_order\n\n\ndef lambda_handler(event, context):\n"
                      "    order = parse_order(event['body'])\n    return {'statusCode': 200, 'body': json.dumps(order)}\n",
        "models.py": "import json\nfrom dataclasses import dataclass, field\nfrom datetime import datetime\n\n\n"
                     "@dataclass\nclass AuditEntry:\n    action: str\n    actor: str\n"
                     "    created_at: datetime = field(default=datetime.utcnow())\n    notes: str = ''\n\n\n"
                     "def parse_order(body):\n    data = json.loads(body)\n"
                     "    return {'id': data['id'], 'amount': data['amount']}\n",
    },
    "handler_by_its_lambda_context_annotation": {
        "app.py": "from aws_lambda_powertools.utilities.typing import LambdaContext\n\nSEEN = []\n\n\n"
                  "def main(payload: dict, context: LambdaContext) -> dict:\n    SEEN.append(payload['id'])\n"
                  "    total = len(SEEN)\n    result = {'count': total}\n    return result\n",
    },
    "function_reached_through_a_package_attribute": {
        "app.py": "import shared\n\n\ndef lambda_handler(event, context):\n    shared.audit.record(event['id'])\n"
                  "    return {'ok': True}\n",
        "shared/__init__.py": "from . import audit\n",
        "shared/audit.py": "TRAIL = []\n\n\ndef record(item):\n    entry = {'item': item}\n    TRAIL.append(entry)\n"
                           "    count = len(TRAIL)\n    return count\n",
    },
    "handlers_removed_by_a_function_nothing_calls": {  # LAM302 reads every function of the module
        "app.py": "import logging\n\n\ndef lambda_handler(event, context):\n    logging.basicConfig(level=logging.INFO)\n"
                  "    logging.info('got %s', event)\n    return {'ok': True}\n\n\ndef reset_logging_for_tests():\n"
                  "    root = logging.getLogger()\n    for handler in root.handlers[:]:\n"
                  "        root.removeHandler(handler)\n    root.setLevel(logging.DEBUG)\n",
    },
    "a_subclass_its_base_registers": {
        "app.py": "class Step:\n    steps = []\n\n    def __init_subclass__(cls):\n        Step.steps.append(cls())\n\n\n"
                  "class Audit(Step):\n    trail = []\n\n    def run(self, event):\n"
                  "        self.trail.append(event['id'])\n        return len(self.trail)\n\n\n"
                  "def lambda_handler(event, context):\n    return [step.run(event) for step in Step.steps]\n",
    },
    "non_ascii_names": {
        "app.py": "VERLAUF = []\n\n\ndef größe_merken(wert):\n    eintrag = {'wert': wert}\n    VERLAUF.append(eintrag)\n"
                  "    anzahl = len(VERLAUF)\n    return anzahl\n\n\ndef lambda_handler(event, context):\n"
                  "    return größe_merken(event['größe'])\n",
    },
    "a_lone_carriage_return": {
        "app.py": '"""Orders service.\rCopied from the wiki."""\nSEEN = []\n\n\ndef unused(x):\n    y = x * 2\n'
                  "    z = y + 1\n    w = z - 3\n    return w\n\n\ndef lambda_handler(event, context):\n"
                  "    SEEN.append(event['id'])\n    return len(SEEN)\n",
    },
}


@pytest.mark.parametrize("name", sorted(REVIEWED))
def test_reviewed_shapes_equal_parsing_everything(monkeypatch, tmp_path, name):
    import linter.parsing.unreferenced

    for path, text in {"pyproject.toml": "[tool.warmstate]\n", **REVIEWED[name]}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(text.encode())
    monkeypatch.chdir(tmp_path)
    commands = [["check", "--output-format", "json"], ["fix", "--diff", "--unsafe-fixes"]]
    elided = [run(*command, "--no-cache", "--jobs", "1", ".") for command in commands]
    monkeypatch.setattr(linter.parsing.unreferenced, "MINIMUM_LINES", 10 ** 9)
    assert elided == [run(*command, "--no-cache", "--jobs", "1", ".") for command in commands]
    assert "internal error" not in elided[0][2]
