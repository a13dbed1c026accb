"""Text edits of a fix (JSON/SARIF output) where the changed statements are
hard to place: code that appears twice in the file, no final newline, an
edit to the last statement, an added import, a handler inside ``if``.
Each is compared with the plain answer, a diff of the whole module."""
from __future__ import annotations

import difflib

import libcst as cst
import pytest

from linter.fixing.edits import AddImport, PrependStatements
from linter.fixing.text_edits import TextEdits
from linter.fixing.transform import apply_edits

RESET = PrependStatements(("app.py", "lambda_handler"), ("SEEN.clear()",))

HANDLER = (
    "def lambda_handler(event, context):\n"
    "    SEEN.add(event['id'])\n"
    "    return {'seen': len(SEEN)}\n"
)

CASES = {
    "handler_last_without_final_newline": "SEEN = set()\n\n\n" + HANDLER.rstrip("\n"),
    "handler_quoted_in_the_docstring": '"""Usage example:\n\n' + HANDLER + '"""\nSEEN = set()\n\n\n' + HANDLER,
    "handler_first_after_comments": "# Orders API.\n\n" + HANDLER + "\n\nSEEN = set()\n",
    "handler_under_if": "import os\n\nSEEN = set()\n\nif os.environ.get('ORDERS'):\n"
                        + "".join("    " + line + "\n" for line in HANDLER.splitlines()) + "\nprint('loaded')\n",
}


def whole_module_diff(before, after):
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return tuple(
        {"content": "".join(new[b0:b1]), "location": {"row": a0 + 1, "column": 1},
         "end_location": {"row": a1 + 1, "column": 1}}
        for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        if tag != "equal"
    )


@pytest.mark.parametrize("edits", [(RESET,), (RESET, AddImport("app.py", "import threading"))],
                         ids=["reset", "reset_and_import"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_text_edits_equal_a_diff_of_the_whole_module(name, edits):
    text = CASES[name]
    module = cst.parse_module(text)
    expected = whole_module_diff(text, apply_edits(module, edits).code)
    assert expected, "the edits change nothing: the case proves nothing"
    assert TextEdits().of(module, text, edits) == expected


def test_one_module_many_fixes():
    """The line of each top-level statement, worked out once per module,
    serves every fix of that module."""
    text = CASES["handler_quoted_in_the_docstring"]
    module = cst.parse_module(text)
    as_text = TextEdits()
    for _ in range(3):
        assert as_text.of(module, text, (RESET,)) == whole_module_diff(text, apply_edits(module, (RESET,)).code)


def test_two_names_imported_from_one_module_share_a_line():
    """Resets of two states of store.py, added to a handler module that
    imports neither: one `from store import AUDIT, Cart`, not a line each."""
    text = "import json\n\nimport helpers\n\n\n" + HANDLER
    edits = (AddImport("app.py", "from store import AUDIT"), AddImport("app.py", "from store import Cart"), RESET)
    fixed = apply_edits(cst.parse_module(text), edits).code
    assert fixed.startswith("import json\n\nimport helpers\nfrom store import AUDIT, Cart\n\n\ndef lambda_handler")
