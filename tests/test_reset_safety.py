"""Resets a safe fix inserts must run and restore what a cold start has.

The rule fixtures show each case in realistic code; these go through every
spelling of it: each ``bytearray`` constructor, each pattern that captures a
name in a ``match``, each place code run at import can fill state.
"""
from __future__ import annotations

import pytest

from linter.engine import FileOptions, lint_text
from linter.fixing.fixer import fix_text
from rules import ALL_RULES

OPTIONS = FileOptions(frozenset(rule.code for rule in ALL_RULES))


def findings_and_fix(text, code="LAM101"):
    """The findings of ``code`` in ``text``, and ``text`` after ``warmstate fix``."""
    result = lint_text("app.py", text, OPTIONS, ALL_RULES, {})
    assert result.errors == []
    outcome = fix_text("app.py", text, OPTIONS, ALL_RULES, False, {})
    assert outcome.errors == []
    return [d for d in result.diagnostics if d.code == code], outcome.fixed


def assert_flagged_without_fix(text):
    found, fixed = findings_and_fix(text)
    assert found, "the leak is not reported"
    assert all(d.fix is None for d in found), [d.message for d in found]
    assert fixed == text


BYTEARRAY_HANDLER = """
BUFFER = {made}


def lambda_handler(event, context):
    BUFFER.extend(b"|" + event.encode())
    return bytes(BUFFER)
"""


@pytest.mark.parametrize("made", [
    "bytearray(4)",
    "bytearray(True)",
    "bytearray(source=2)",
    'bytearray(b"WSv1")',
    "bytearray()",
    "bytearray([1, 2, 3])",
    "bytearray((0x7f,))",
    'bytearray("order_id,total\\n", "utf-8")',
    'bytearray("caf\\u00e9", encoding="latin-1", errors="strict")',
    'bytearray("a" "b", "ascii")',
])
def test_bytearray_reset_gives_back_what_its_constructor_made(made):
    """Fixed, the second (warm) invocation returns what a first one does."""
    found, fixed = findings_and_fix(BYTEARRAY_HANDLER.format(made=made))
    assert found and found[0].fix is not None and found[0].fix.applicability == "safe"
    warm, cold = {}, {}
    exec(compile(fixed, "app.py", "exec"), warm)
    exec(compile(fixed, "app.py", "exec"), cold)
    warm["lambda_handler"]("first", None)
    assert warm["lambda_handler"]("second", None) == cold["lambda_handler"]("second", None)


def test_bytearray_from_a_computed_size_gets_no_fix():
    assert_flagged_without_fix(BYTEARRAY_HANDLER.format(made="bytearray(64 * 1024)"))


MATCH_HANDLER = """
from dataclasses import dataclass

items = []


@dataclass
class Point:
    x: object = None


def _remember(value):
    items.append(value)


def lambda_handler(event, context):
    _remember(event)
    match event:
        case {pattern}:
            return "matched"
    return "other"
"""

CAPTURES = [
    "[items, *_]",
    "items",
    '{"k": items}',
    "Point(x=items)",
    "Point(items)",
    "[*items]",
    "{**items}",
    "_ as items",
    "[1, items] | [items, 1]",
    "{'k': [{'j': (1 | 2) as items}]}",
]


@pytest.mark.parametrize("pattern", CAPTURES)
def test_no_fix_when_a_case_pattern_makes_the_name_local(pattern):
    """``items.clear()`` at the start of the handler would raise UnboundLocalError."""
    assert_flagged_without_fix(MATCH_HANDLER.format(pattern=pattern))


@pytest.mark.parametrize("pattern", ['{"items": []}', "Point(x=0)", "[first, *rest]", "str() as text"])
def test_patterns_that_capture_other_names_keep_the_fix(pattern):
    found, fixed = findings_and_fix(MATCH_HANDLER.format(pattern=pattern))
    assert found[0].fix is not None
    assert "    items.clear()\n    _remember(event)" in fixed


FILLED_AT_IMPORT = {
    "guard that holds on Lambda": 'if __name__ != "__main__":\n    ITEMS.append("deployed")\n',
    "else of the main guard": 'if __name__ == "__main__":\n    print("local")\nelse:\n    ITEMS.append("deployed")\n',
    "elif of the main guard": 'if __name__ == "__main__":\n    print("local")\nelif ITEMS:\n    ITEMS.append("more")\n',
    "class body": 'class Config:\n    name = "orders"\n    ITEMS.append(name)\n',
    "class body in an if": 'if True:\n    class Config:\n        ITEMS.append("orders")\n',
    "class base": "class Config(dict(x=ITEMS.append(1)).__class__):\n    pass\n",
    "default value": "def audit(entry, sink=ITEMS.append(1)):\n    return entry\n",
    "keyword-only default": "def audit(*, sink=ITEMS.append(1)):\n    return sink\n",
    "method default": "class Audit:\n    def write(self, sink=ITEMS.append(1)):\n        return sink\n",
    "method decorator": ("def register(func):\n    ITEMS.append(func.__name__)\n    return func\n\n\n"
                         "class Routes:\n    @register\n    def orders(self):\n        return []\n"),
}
IMPORT_TIME_HANDLER = """
ITEMS = ["first"]

{filled}

def lambda_handler(event, context):
    ITEMS.append(event)
    return len(ITEMS)
"""


@pytest.mark.parametrize("where", FILLED_AT_IMPORT)
def test_no_fix_when_code_run_at_import_fills_the_state(where):
    """A reset to ``["first"]`` would delete what import added."""
    assert_flagged_without_fix(IMPORT_TIME_HANDLER.format(filled=FILLED_AT_IMPORT[where]))


@pytest.mark.parametrize("filled", [
    'if __name__ == "__main__":\n    ITEMS.append("local")\n',
    'if "__main__" == __name__:\n    ITEMS.append("local")\nelse:\n    print("deployed")\n',
    'class Config:\n    ITEMS = ["a class attribute"]\n    TIMEOUT = 3\n',
    "def audit(entry, retries=len([1, 2])):\n    return entry\n",
])
def test_code_that_does_not_fill_it_at_import_keeps_the_fix(filled):
    """What runs only as a script, a class attribute of the same name, a
    default that leaves the state alone: the reset still restores a cold start."""
    found, fixed = findings_and_fix(IMPORT_TIME_HANDLER.format(filled=filled))
    assert found[0].fix is not None, found[0].message
    assert '    ITEMS[:] = ["first"]\n    ITEMS.append(event)' in fixed


def test_state_assigned_where_only_lambda_runs_is_state():
    """``if __name__ != "__main__": ITEMS = []`` creates state on Lambda."""
    found, _ = findings_and_fix(IMPORT_TIME_HANDLER.replace('ITEMS = ["first"]', 'if __name__ != "__main__":\n'
                                                            '    ITEMS = ["first"]').format(filled=""))
    assert found


def test_no_fix_when_the_body_of_a_class_nothing_names_fills_the_state():
    """Such a body was elided (linter/parsing/unreferenced.py) as if it never ran."""
    assert_flagged_without_fix(IMPORT_TIME_HANDLER.format(filled=(
        'class OrderPlaced:\n    """Registered at import."""\n\n    detail_type = "OrderPlaced"\n'
        "    ITEMS.append(detail_type)\n")))


def test_bytearray_fixture_leaks_without_its_reset():
    """The events of LAM101/bytearray_contents show the leak its fix removes
    (the fix's own proofs run in test_behaviour, whose LEAK_PROOFS could list it)."""
    from test_behaviour import observe

    assert all(original.warm != original.cold[-1]
               for original, _ in observe("LAM101/bytearray_contents.py").values())


# Making a class runs more than its body: the ``__init_subclass__`` of its
# bases, its metaclass, the ``__set_name__`` of what its body binds.
CLASS_HOOKS = {
    "__init_subclass__ of a base": (
        "class Plugin:\n    def __init_subclass__(cls, **kwargs):\n        ITEMS.append(cls.__name__)\n\n\n"
        "class CsvPlugin(Plugin):\n    pass\n"),
    "__init_subclass__ two bases up": (
        "class Plugin:\n    def __init_subclass__(cls, **kwargs):\n        super().__init_subclass__(**kwargs)\n"
        "        ITEMS.append(cls.__name__)\n\n\n"
        "class Formatter(Plugin):\n    pass\n\n\nclass CsvFormatter(Formatter):\n    pass\n"),
    "__init_subclass__ calling a helper": (
        "def _register(cls):\n    ITEMS.append(cls.__name__)\n\n\n"
        "class Plugin:\n    def __init_subclass__(cls):\n        _register(cls)\n\n\n"
        "class CsvPlugin(Plugin):\n    pass\n"),
    "__init_subclass__ of a generic base": (
        "class Plugin:\n    def __class_getitem__(cls, item):\n        return cls\n\n"
        "    def __init_subclass__(cls):\n        ITEMS.append(cls.__name__)\n\n\n"
        "class CsvPlugin(Plugin[str]):\n    pass\n"),
    "__init_subclass__ of a base with a keyword": (
        "class Plugin:\n    def __init_subclass__(cls, kind=None):\n        ITEMS.append(kind)\n\n\n"
        'class CsvPlugin(Plugin, kind="csv"):\n    pass\n'),
    "metaclass __new__": (
        "class Registering(type):\n    def __new__(mcs, name, bases, namespace):\n        ITEMS.append(name)\n"
        "        return super().__new__(mcs, name, bases, namespace)\n\n\n"
        "class Handler(metaclass=Registering):\n    pass\n"),
    "metaclass __init__": (
        "class Registering(type):\n    def __init__(cls, name, bases, namespace):\n"
        "        super().__init__(name, bases, namespace)\n        ITEMS.append(name)\n\n\n"
        "class Handler(metaclass=Registering):\n    pass\n"),
    "metaclass __prepare__": (
        "class Registering(type):\n    @classmethod\n    def __prepare__(mcs, name, bases):\n"
        "        ITEMS.append(name)\n        return {}\n\n\n"
        "class Handler(metaclass=Registering):\n    pass\n"),
    "metaclass of a base": (
        "class Registering(type):\n    def __new__(mcs, name, bases, namespace):\n"
        "        if bases:\n            ITEMS.append(name)\n"
        "        return super().__new__(mcs, name, bases, namespace)\n\n\n"
        "class Handler(metaclass=Registering):\n    pass\n\n\nclass Orders(Handler):\n    pass\n"),
    "metaclass's hook in its base": (
        "class Registering(type):\n    def __new__(mcs, name, bases, namespace):\n        ITEMS.append(name)\n"
        "        return super().__new__(mcs, name, bases, namespace)\n\n\n"
        "class Routing(Registering):\n    pass\n\n\nclass Handler(metaclass=Routing):\n    pass\n"),
    "function as metaclass": (
        "def registering(name, bases, namespace):\n    ITEMS.append(name)\n    return type(name, bases, namespace)\n\n\n"
        "class Handler(metaclass=registering):\n    pass\n"),
    "__set_name__ of a descriptor": (
        "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
        "class Model:\n    sku = Field()\n"),
    "__set_name__ of an annotated descriptor": (
        "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
        "class Model:\n    sku: str = Field()\n"),
    "__set_name__ of a descriptor's base": (
        "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
        "class Number(Field):\n    pass\n\n\nclass Model:\n    price = Number()\n"),
    "__set_name__ of a descriptor a method returns": (
        "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n"
        "    def required(self):\n        return self\n\n\n"
        "class Model:\n    sku = Field().required()\n"),
    "__set_name__ of a module-level descriptor": (
        "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
        "SKU = Field()\n\n\nclass Model:\n    sku = SKU\n"),
    "__set_name__ of a decorator's descriptor": (
        "class Route:\n    def __init__(self, func):\n        self.func = func\n\n"
        "    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
        "class Api:\n    @Route\n    def orders(self):\n        return []\n"),
    "class nested in a class": (
        "class Plugin:\n    def __init_subclass__(cls):\n        ITEMS.append(cls.__name__)\n\n\n"
        "class Outer:\n    class CsvPlugin(Plugin):\n        pass\n"),
    "class under a try": (
        "class Plugin:\n    def __init_subclass__(cls):\n        ITEMS.append(cls.__name__)\n\n\n"
        "try:\n    class CsvPlugin(Plugin):\n        pass\nexcept ImportError:\n    pass\n"),
}


@pytest.mark.parametrize("where", CLASS_HOOKS)
def test_no_fix_when_making_a_class_fills_the_state(where):
    """Python calls these hooks when it makes the class, at import: a reset
    to ``["first"]`` would delete what they added."""
    found, _ = findings_and_fix(IMPORT_TIME_HANDLER.format(filled=CLASS_HOOKS[where]))
    assert found and all("code run at import names it" in d.message for d in found), [d.message for d in found]
    assert_flagged_without_fix(IMPORT_TIME_HANDLER.format(filled=CLASS_HOOKS[where]))


def run_cold(text, event):
    """What a handler returns on a cold start: the module run in a fresh namespace."""
    namespace = {"__name__": "app"}
    exec(compile(text, "app.py", "exec"), namespace)
    return namespace["lambda_handler"](event, None)


@pytest.mark.parametrize("where", ["__init_subclass__ two bases up", "metaclass of a base",
                                   "__set_name__ of a descriptor"])
def test_fix_keeps_what_class_hooks_added_on_a_cold_start(where):
    """``warmstate fix`` once inserted ``ITEMS[:] = ["first"]``: cold, the
    handler then returned 2 (``"first"`` and the event), the classes'
    registrations lost."""
    text = IMPORT_TIME_HANDLER.format(filled=CLASS_HOOKS[where])
    _, fixed = findings_and_fix(text)
    assert run_cold(fixed, "event") == run_cold(text, "event") > 2


@pytest.mark.parametrize("filled", [
    "class OrderError(Exception):\n    pass\n",
    "import json\n\n\nclass Encoder(json.JSONEncoder):\n    def default(self, o):\n        return str(o)\n",
    "from abc import ABC, ABCMeta\n\n\nclass Base(ABC):\n    pass\n\n\nclass Order(Base):\n    kind = 'order'\n\n\n"
    "class Port(metaclass=ABCMeta):\n    pass\n",
    "from dataclasses import dataclass, field\n\n\n@dataclass\nclass Line:\n    sku: str = field(default='')\n",
    # the hook class itself: ``__init_subclass__`` runs for subclasses, none is made
    "class Plugin:\n    def __init_subclass__(cls):\n        ITEMS.append(cls.__name__)\n",
    # ``__class_getitem__`` runs when the class is subscripted, nothing does at import
    "class Typed:\n    def __class_getitem__(cls, item):\n        ITEMS.append(item)\n        return cls\n\n\n"
    "class Order(Typed):\n    pass\n",
    # a metaclass's ``__call__`` runs when an instance is made, not the class
    "class Counting(type):\n    def __call__(cls, *args):\n        ITEMS.append(cls.__name__)\n"
    "        return super().__call__(*args)\n\n\nclass Service(metaclass=Counting):\n    pass\n",
    # a descriptor made in a function, not in a class body
    "class Field:\n    def __set_name__(self, owner, name):\n        ITEMS.append(name)\n\n\n"
    "def make_field():\n    return Field()\n",
])
def test_classes_whose_making_leaves_the_state_alone_keep_the_fix(filled):
    """Bases from libraries, hooks nothing triggers at import: the reset still restores a cold start."""
    text = IMPORT_TIME_HANDLER.format(filled=filled)
    found, fixed = findings_and_fix(text)
    assert found[0].fix is not None, found[0].message
    assert '    ITEMS[:] = ["first"]\n    ITEMS.append(event)' in fixed


HOOKS_IN_ANOTHER_MODULE = {
    "registry.py": "REGISTERED = []\n",
    "plugins.py": ("from registry import REGISTERED\n\n\nclass Plugin:\n    def __init_subclass__(cls, **kwargs):\n"
                   "        super().__init_subclass__(**kwargs)\n        REGISTERED.append(cls.__name__)\n"),
    "csv_plugin.py": ("from plugins import Plugin\n\n\nclass Formatter(Plugin):\n    pass\n\n\n"
                      "class CsvFormatter(Formatter):\n    pass\n"),
    "app.py": ("import csv_plugin\nfrom registry import REGISTERED\n\n\ndef lambda_handler(event, context):\n"
               "    REGISTERED.append(event)\n    return list(REGISTERED)\n"),
}


def test_no_fix_when_a_class_imported_from_another_module_registers_its_subclasses(tmp_path, monkeypatch):
    """The hook is in plugins.py, the list in registry.py, the subclasses in
    csv_plugin.py, which imports registry.py only through plugins.py."""
    from linter.cli import findings

    for name, text in HOOKS_IN_ANOTHER_MODULE.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    found = [d for d in findings(["."]) if d.code == "LAM101"]
    assert found and all(d.fix is None for d in found), [d.message for d in found]
    assert "(plugins.py, line 7)" in found[0].message, found[0].message


def test_no_fix_when_another_name_for_the_same_object_is_filled_at_import():
    """``ALLOWED = DEFAULT_ALLOWED = ["admin"]`` then ``DEFAULT_ALLOWED.append("ops")``:
    ``ALLOWED[:] = ["admin"]`` lost "ops" on every invocation."""
    assert_flagged_without_fix(
        'ALLOWED = DEFAULT_ALLOWED = ["admin"]\nDEFAULT_ALLOWED.append("ops")\n\n\n'
        "def lambda_handler(event, context):\n"
        '    ALLOWED.append(event["user"])\n'
        "    return list(ALLOWED)\n")
