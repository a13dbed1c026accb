"""LAM202: a module-level dict used as a memo, keyed by request data, never bounded."""
from __future__ import annotations

from linter.summary.kinds import MAPPING_KINDS
from linter.analysis.leaks import Consequence, find_leaks, is_memo, owner, reset_findings
from linter.analysis.rule import Rule
from rules.unbounded_container import is_complete_reset

CODE = "LAM202"


def check(analysis):
    def wants_state(key, binding):
        return (
            binding.kind in MAPPING_KINDS
            and owner(analysis, key) != "class"
            and is_memo(analysis, key)
            and not analysis.reset_kinds_anywhere(key) & {"evict", "clear"}
        )

    def keyed_by_request(binding, item):
        return any(analysis.taint.is_tainted(item.function, key) for key in item.mutation.keys)

    leaks = find_leaks(analysis, wants_state, keyed_by_request, is_complete_reset=is_complete_reset)
    unbounded = "has no bound or eviction; use cachetools.LRUCache/TTLCache if it should outlive invocations"
    return reset_findings(
        analysis, CODE, leaks,
        describe=lambda state: f"module-level {state.kind} '{state.display}' used as a memo keyed by request data",
        consequence=Consequence(unbounded, unbounded),
        is_complete_reset=is_complete_reset,
    )


RULE = Rule(
    code=CODE,
    name="unbounded-memo",
    summary="module-level dict used as a memo (lookup, then store) keyed by event-derived data, with no bound",
    why=(
        "A hand-written memo keyed by request data keeps one entry per distinct request for the life of\n"
        "the execution environment: memory grows with traffic, and stale values computed for earlier\n"
        "callers keep being served. A memo keyed only by configuration is bounded and not flagged."
    ),
    bad='''
_PRICES = {}

def lambda_handler(event, context):
    sku = event["sku"]
    if sku not in _PRICES:
        _PRICES[sku] = len(sku) * 100
    return _PRICES[sku]
''',
    good='''
_PRICES = {}

def lambda_handler(event, context):
    _PRICES.clear()
    sku = event["sku"]
    if sku not in _PRICES:
        _PRICES[sku] = len(sku) * 100
    return _PRICES[sku]
''',
    fix="insert a reset that restores the import-time contents (`NAME.clear()`) as the first statement of each "
    "handler (when the memo should outlive invocations, a `cachetools.LRUCache`/`TTLCache` is the right change "
    "instead)",
    safety="unsafe: the memo may be meant to outlive invocations",
    check=check,
)
