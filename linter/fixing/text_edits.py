"""A fix as text replacements (1-based rows, ruff's shape), for JSON and
SARIF output.

Diffing the whole module before and after the fix cost two code
generations of the module per finding, most of a JSON run on a large
project.  The edits rebuild only the top-level statements they change
(:func:`linter.fixing.transform.apply_edits` keeps every other statement
the very same object), so only those are generated and compared; where
each top-level statement starts is worked out once per module.
"""
from __future__ import annotations

import difflib
from itertools import accumulate
from typing import Dict, Iterable, List, Tuple

import libcst as cst

from linter.fixing.transform import apply_edits


class TextEdits:
    """Text replacements of fixes over the modules of one analysis."""

    def __init__(self) -> None:
        self._starts: Dict[int, Tuple[cst.Module, List[int]]] = {}

    def of(self, module: cst.Module, text: str, edits: Iterable[object]) -> tuple:
        """The changes ``edits`` make to ``module`` (whose code is ``text``),
        as replacements of whole lines."""
        after = apply_edits(module, edits)
        if after.header is not module.header or after.footer is not module.footer:
            return _replacements(module.code, after.code, 0)
        before_body, after_body = module.body, after.body
        first = _common_prefix(before_body, after_body)
        last = _common_prefix(before_body[first:][::-1], after_body[first:][::-1])
        old = "".join(module.code_for_node(statement) for statement in before_body[first:len(before_body) - last])
        new = "".join(after.code_for_node(statement) for statement in after_body[first:len(after_body) - last])
        if not last and not module.footer and not module.has_trailing_newline:
            old, new = old[:-1], new[:-1]  # the module's code drops its last newline
        return _replacements(old, new, self._start_line(module, text, first, old))

    def _start_line(self, module: cst.Module, text: str, index: int, code: str) -> int:
        """The 0-based line where top-level statement ``index`` (with its
        leading blank lines and comments), whose code starts with ``code``, starts."""
        found = text.find(code) if code else -1
        if found >= 0 and (found == 0 or text[found - 1] == "\n") and text.find(code, found + 1) < 0:
            return text.count("\n", 0, found)
        if id(module) not in self._starts:
            lengths = [module.code_for_node(statement).count("\n") for statement in module.body]
            self._starts[id(module)] = (module, list(accumulate(lengths, initial=len(module.header))))
        return self._starts[id(module)][1][index]


def _common_prefix(before, after) -> int:
    count = 0
    for old, new in zip(before, after):
        if old is not new:
            break
        count += 1
    return count


def _replacements(before: str, after: str, offset: int) -> tuple:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag != "equal":
            changes.append({
                "content": "".join(new[b_start:b_end]),
                "location": {"row": offset + a_start + 1, "column": 1},
                "end_location": {"row": offset + a_end + 1, "column": 1},
            })
    return tuple(changes)
