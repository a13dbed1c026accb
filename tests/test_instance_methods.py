"""Methods of objects the handler makes: ``batch = Batch(); batch.add(x)``
with ``Batch`` imported from another module of the project, and methods
called straight on a new object (``Batch().add(x)``, ``OrderExport(bucket).render(rows)``),
reach the method's body, so a leak there is found.  Objects made by
functions (a boto3 client, a project factory) resolve as they always did:
never to a project class's method of the same name."""
from __future__ import annotations

import textwrap

import pytest

from linter.engine import FileOptions, SourceText, analyse, lint_sources
from linter.project.layout import Layout
from linter.summary.scanner import RefPath
from rules import ALL_RULES

OPTIONS = FileOptions(frozenset(rule.code for rule in ALL_RULES))

MODELS = """\
class Batch:
    items = []

    def add(self, item):
        self.items.append(item)

    def with_size(self, size):
        return self

    @classmethod
    def create(cls):
        return cls()


class Formatter:
    def format(self, record, seen=[]):
        seen.append(record)
        return ",".join(seen)


class Uploads:
    pending = []

    @classmethod
    def client(cls):
        return boto3.client("s3")

    def add(self, item):
        self.pending.append(item)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """{path: [(line, code)]} for a project of the given files, checked together."""
    monkeypatch.chdir(tmp_path)

    def check(files):
        files = {name: textwrap.dedent(text) for name, text in files.items()}
        for name, text in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
        sources = [SourceText(name, text, OPTIONS) for name, text in files.items()]
        results = lint_sources(sources, ALL_RULES, Layout(str(tmp_path), list(files)))
        assert not any(result.errors for result in results.values())
        return {name: [(d.line, d.code) for d in result.diagnostics]
                for name, result in results.items() if result.diagnostics}

    return check


def handler(body, imports="from models import Batch, Formatter"):
    return f"{imports}\n\n\ndef lambda_handler(event, context):\n" + textwrap.indent(textwrap.dedent(body), "    ")


def test_an_instance_of_an_imported_class_reaches_its_methods(project):
    found = project({"models.py": MODELS, "app.py": handler("""\
        batch = Batch()
        batch.add(event["id"])
        return {"n": len(batch.items)}
    """)})
    assert found == {"models.py": [(2, "LAM103")]}


@pytest.mark.parametrize("body, imports", [
    ('Batch().add(event["id"])', "from models import Batch"),
    ('models.Batch().add(event["id"])', "import models"),
    ('m.Batch().add(event["id"])', "import models as m"),
    ('from models import Batch\nBatch().add(event["id"])', "import json"),  # imported in the handler
    ('from models import Batch\nbatch = Batch()\nbatch.add(event["id"])', "import json"),
])
def test_a_method_called_on_a_new_object_of_an_imported_class(project, body, imports):
    found = project({"models.py": MODELS, "app.py": handler(body, imports)})
    assert found == {"models.py": [(2, "LAM103")]}


@pytest.mark.parametrize("body, imports", [
    ('Batch.create().add(event["id"])', "from models import Batch"),
    ('batch = Batch.create()\nbatch.add(event["id"])', "from models import Batch"),
    ('batch = models.Batch.create()\nbatch.add(event["id"])', "import models"),
])
def test_an_object_from_a_classmethod_returning_cls(project, body, imports):
    """``Repository.from_env()``: an alternative constructor makes an instance as the class does."""
    found = project({"models.py": MODELS, "app.py": handler(body, imports)})
    assert found == {"models.py": [(2, "LAM103")]}


def test_a_module_level_object_from_a_classmethod_returning_cls(project):
    """``BATCH = Batch.create()`` at module level is a module-level object of the class, as ``Batch()`` is."""
    app = "from models import Batch\n\nBATCH = Batch.create()\n\n\n" + handler('BATCH.add(event["id"])', "import json")
    assert project({"models.py": MODELS, "app.py": app}) == {"models.py": [(2, "LAM103")]}


@pytest.mark.parametrize("body", ['Uploads.client().add(event["id"])',
                                  'uploads = Uploads.client()\nuploads.add(event["id"])'])
def test_a_classmethod_returning_something_else_makes_no_instance(project, body):
    found = project({"models.py": MODELS, "app.py": handler(body, "from models import Uploads")})
    assert found == {}


def test_a_method_called_on_a_new_object_of_a_class_of_the_module(project):
    found = project({"app.py": MODELS + "\n\n" + handler('Batch().add(event["id"])', "import json")})
    assert found == {"app.py": [(2, "LAM103")]}


def test_a_mutable_default_of_a_method_of_a_new_object(project):
    found = project({"models.py": MODELS, "app.py": handler('return Formatter().format(event["id"])')})
    assert found == {"models.py": [(16, "LAM104")]}


def test_a_helper_a_method_of_a_new_object_calls(project):
    repository = """\
        TRAIL = []


        def _audit(key):
            TRAIL.append(key)


        class OrderRepository:
            def __init__(self, table_name):
                self.table_name = table_name

            def save(self, order):
                _audit(order["id"])
    """
    found = project({"repository.py": repository,
                     "app.py": handler('OrderRepository("orders").save(event)', "from repository import OrderRepository")})
    assert found == {"repository.py": [(1, "LAM101")]}


def test_module_state_passed_to_a_method_of_a_new_object(project):
    """The method's parameters get what the call passes (``Arguments``)."""
    models = "class Recorder:\n    def record(self, store, item):\n        store.append(item)\n"
    app = "from models import Recorder\n\nSEEN = []\n\n\ndef lambda_handler(event, context):\n" \
          "    Recorder().record(SEEN, event['id'])\n"
    assert project({"models.py": models, "app.py": app}) == {"app.py": [(3, "LAM101")]}


@pytest.mark.parametrize("body, imports", [
    # objects functions make: a boto3 client, a project factory, a library class
    ('client = boto3.client("s3")\nclient.add(event["id"])', "import boto3\nfrom models import Batch"),
    ('boto3.client("s3").add(event["id"])', "import boto3\nfrom models import Batch"),
    ('batch = make_batch()\nbatch.add(event["id"])', "from factories import make_batch"),
    ('make_batch().add(event["id"])', "from factories import make_batch"),
    ('batch = factories.make_batch()\nbatch.add(event["id"])', "import factories"),
    ('formatter = logging.Formatter("%(message)s")\nformatter.format(event["id"])', "import logging"),
    # a class method is not a constructor; a local named like the class is not it
    ('Batch.create().items', "from models import Batch"),
    ('Batch = dict\nbatch = Batch()\nbatch.add(event["id"])', "from models import Batch"),
])
def test_objects_made_by_functions_are_not_project_classes(project, body, imports):
    factories = "import json\n\n\ndef make_batch():\n    return set()\n"
    found = project({"models.py": MODELS, "factories.py": factories, "app.py": handler(body, imports)})
    assert found == {}


def test_a_local_made_by_a_function_then_bound_to_a_module_object_still_resolves(project):
    """Not a project class: the old resolution goes on (here, the alias to a module-level object)."""
    app = """\
        from factories import open_store


        class Store:
            def __init__(self):
                self.seen = []

            def add(self, item):
                self.seen.append(item)


        SHARED = Store()


        def lambda_handler(event, context):
            store = open_store()
            store = SHARED
            store.add(event["id"])
    """
    found = project({"factories.py": "def open_store():\n    return set()\n", "app.py": app})
    assert [code for _, code in found.get("app.py", [])] == ["LAM101"]


def test_the_scanner_names_the_call_that_made_the_object():
    source = handler("""\
        Batch().add(1)
        models.Batch(size=2).add(2)
        Batch().with_size(2).add(3)
        items[0].add(4)
        batch = Batch()
        client = boto3.client("s3")
    """)
    unit = analyse([SourceText("app.py", source, OPTIONS)])
    info = unit.analysis.project.modules["app.py"].functions[("app.py", "lambda_handler")]
    methods = [call.path for step in info.steps for call in step.calls if call.path.attrs[-1:] == ("add",)]
    assert methods == [RefPath("Batch()", ("add",)), RefPath("models.Batch()", ("add",)), RefPath("", ("add",)),
                       RefPath("", ("add",))]
    assert info.local_instances == {"batch": "Batch", "client": "boto3.client"}
