"""LAM103: a mutable class attribute mutated on the invocation path."""
from __future__ import annotations

from linter.summary.kinds import CONTAINER_KINDS
from linter.analysis.leaks import Consequence, find_leaks, owner, reset_findings
from linter.analysis.rule import Rule
from rules.unbounded_container import counts, is_complete_reset

CODE = "LAM103"


def check(analysis):
    leaks = find_leaks(
        analysis,
        wants_state=lambda key, b: b.kind in CONTAINER_KINDS and owner(analysis, key) == "class",
        counts=counts,
        is_complete_reset=is_complete_reset,
    )
    shared = "is shared by every instance across invocations"
    return reset_findings(
        analysis, CODE, leaks,
        describe=lambda state: f"class attribute '{state.display}' (a {state.kind})",
        consequence=Consequence(shared, f"{shared}, and not reset on every invocation"),
        is_complete_reset=is_complete_reset,
    )


RULE = Rule(
    code=CODE,
    name="mutable-class-attribute",
    summary="mutable class attribute (`class C: items = []`) mutated on the invocation path",
    why=(
        "A class attribute is created once, when the class body runs at import time, and every\n"
        "instance shares it. Creating a new instance per invocation does not give a new list: what one\n"
        "invocation appends through `self.items` is there for the next caller."
    ),
    bad='''
class Batch:
    items = []

    def add(self, item):
        self.items.append(item)

def lambda_handler(event, context):
    batch = Batch()
    batch.add(event["id"])
    return {"items": batch.items}
''',
    good='''
class Batch:
    items = []

    def add(self, item):
        self.items.append(item)

def lambda_handler(event, context):
    Batch.items.clear()
    batch = Batch()
    batch.add(event["id"])
    return {"items": batch.items}
''',
    fix="insert a reset that restores the class-body contents (`Class.attribute.clear()`, "
    "`Class.attribute[:] = [...]`) as the first statement of each handler that reaches the mutation (giving "
    "each instance its own list in `__init__` is the better long-term change)",
    safety="safe; unsafe when the invocation path reads the attribute back by key, membership or size",
    check=check,
)
