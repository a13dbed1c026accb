"""LAM101: a module-level container that grows across warm invocations."""
from __future__ import annotations

from linter.analysis.guards import filled_once, runs_at_first_invocation
from linter.analysis.leaks import Consequence, find_leaks, is_memo, owner, reset_findings
from linter.summary.kinds import CONTAINER_KINDS, MAPPING_KINDS
from linter.analysis.rule import Rule

CODE = "LAM101"


def counts(binding, item) -> bool:
    """In-place growth; a mapping written only under constant keys cannot grow."""
    mutation = item.mutation
    if mutation.rebind and not mutation.augmented:
        return False  # ``X = X + [...]`` is LAM105's
    if binding.kind in MAPPING_KINDS:
        return mutation.grows_mapping or not item.path.const_keys
    return True


NEVER_RESET = Consequence("never reset between invocations", "not reset on every invocation")


def is_complete_reset(kinds) -> bool:
    return "clear" in kinds


def _bounded(analysis, item) -> bool:
    """Filled once, behind a test of its own contents (``if "keys" not in
    _JWKS: _JWKS.update(fetch_jwks())``) or at the first invocation only,
    behind a flag the module then sets for good (``if _policies is None:``),
    with data that is not the request's.  Filled from the event, the first
    caller's data would stay for every later caller, so that is not bounded."""
    once = filled_once(analysis, item) or analysis.mutation_guarded(
        item, "first invocation", lambda guard: runs_at_first_invocation(analysis, guard), True)
    return once and not analysis.taint.is_tainted(item.function, item.mutation.statement)


def check(analysis):
    def wanted(item, binding) -> bool:
        """Memos are LAM202's, but a list growing inside one (``MEMO["seen"].append(x)``) is this rule's."""
        if binding.kind in MAPPING_KINDS and is_memo(analysis, item.state):
            return item.path.element and item.mutation.appends
        return True

    leaks = find_leaks(
        analysis,
        wants_state=lambda key, b: b.kind in CONTAINER_KINDS and owner(analysis, key) != "class",
        counts=lambda binding, item: wanted(item, binding) and counts(binding, item) and not _bounded(analysis, item),
        is_complete_reset=is_complete_reset,
    )
    return reset_findings(
        analysis, CODE, leaks,
        describe=lambda state: f"module-level {state.kind} '{state.display}'",
        consequence=NEVER_RESET,
        is_complete_reset=is_complete_reset,
    )


RULE = Rule(
    code=CODE,
    name="unbounded-container",
    summary="module-level list/dict/set/deque/… mutated on the invocation path and never reset",
    why=(
        "Lambda runs module-level code once per execution environment and then calls the handler\n"
        "again and again in the same process. A module-level container that the handler fills keeps\n"
        "everything earlier invocations put in it: memory grows until the environment is recycled, and\n"
        "one caller's data ends up in the next caller's response. `sam local` starts a fresh process for\n"
        "every call, so local tests never show it."
    ),
    bad='''
VALIDATED = []

def lambda_handler(event, context):
    VALIDATED.append(event["id"])
    return {"validated": VALIDATED}
''',
    good='''
VALIDATED = []

def lambda_handler(event, context):
    VALIDATED.clear()
    VALIDATED.append(event["id"])
    return {"validated": VALIDATED}
''',
    fix="insert a reset that restores the import-time contents as the first statement of each handler that "
    "reaches the mutation: `NAME.clear()`, or `NAME[:] = [...]` / `NAME.clear(); NAME.update({...})` for a "
    "container created with literal contents; no fix when the contents are computed or filled by module-level code",
    safety=(
        "safe; unsafe when the invocation path reads the container back by key, membership or size "
        "(a cache or a batch that a later invocation may rely on)"
    ),
    check=check,
)
