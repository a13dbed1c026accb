"""LAM201: an unbounded cache filled with request-derived arguments."""
from __future__ import annotations

from linter.analysis.calls import handler_trace, ignored_reset_note, reached_calls
from linter.analysis.fixes import insert_in_handlers
from linter.analysis.rule import Finding, Rule, reached_from, where_in
from linter.output.diagnostics import Fix

CODE = "LAM201"
UNBOUNDED_ALWAYS = frozenset({"functools.cache"})
LRU = frozenset({"functools.lru_cache", "cachetools.func.lru_cache"})
CACHED = frozenset({"cachetools.cached"})


def unbounded_decorator(model, decorator) -> bool:
    """``@cache``, ``@lru_cache(maxsize=None)``, ``@cached(cache={})`` (in the
    module ``model``); a bare ``@lru_cache`` keeps 128 entries and is bounded."""
    expression = decorator.decorator
    is_call = type(expression).__name__ == "Call"
    name = model.qualify(expression.func if is_call else expression)
    if name in UNBOUNDED_ALWAYS:
        return True
    if not is_call:
        return False
    for index, arg in enumerate(expression.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if name in LRU and (keyword == "maxsize" or (keyword is None and index == 0)):
            return type(arg.value).__name__ == "Name" and arg.value.value == "None"
        if name in CACHED and (keyword == "cache" or (keyword is None and index == 0)):
            value = arg.value
            return type(value).__name__ == "Dict" or (
                type(value).__name__ == "Call" and model.qualify(value.func) == "dict"
            )
    return False


def tainted_calls(analysis, targets):
    """Calls of the functions in ``targets`` with a request-derived argument:
    (target key, calling function, call, handlers)."""
    taint = analysis.taint
    for info, receiver, handlers, call in reached_calls(analysis):
        for key, _ in analysis.resolve_callee(info, receiver, call.path):
            if key in targets and any(taint.is_tainted(info, arg.value) for arg in call.node.args):
                yield key, info, call, handlers

def _cache_events(analysis, handler, key):
    """Uses and ``cache_clear()`` calls of the cached function ``key``, in the
    order ``handler`` runs them, however the function is imported."""
    from linter.summary.scanner import RefPath

    def calls(info, receiver, path) -> bool:
        return any(callee == key for callee, _ in analysis.resolve_callee(info, receiver, path))

    def classify(info, receiver, call):
        path = call.path
        if path.attrs[-1:] == ("cache_clear",):
            return "clear" if calls(info, receiver, RefPath(path.root, path.attrs[:-1])) else None
        return "use" if calls(info, receiver, path) else None

    return handler_trace(analysis, handler, classify)


def _cleared_first(events) -> bool:
    """Whether the cache is cleared before it is used, or in a finally."""
    uses = [index for index, event in enumerate(events) if event.kind == "use"]
    return any(
        event.kind == "clear" and not event.conditional and (event.in_finally or not uses or index < uses[0])
        for index, event in enumerate(events)
    )


def check(analysis):
    cached = {}
    for module in analysis.project.modules.values():
        for name, node in module.top_level_functions.items():
            for decorator in node.decorators:
                if unbounded_decorator(module, decorator):
                    cached[(module.name, name)] = decorator.decorator
    if not cached:
        return
    found = {}
    for key, info, call, handlers in tainted_calls(analysis, cached):
        entry = found.setdefault(key, [info, call, [], None])
        for handler in handlers:
            events = _cache_events(analysis, handler, key)
            if handler not in entry[2] and not _cleared_first(events):
                entry[3] = entry[3] or ignored_reset_note(analysis, events, {"clear"})
                entry[2].append(handler)
    for key, (info, call, handlers, note) in found.items():
        if not handlers:
            continue
        module, name = key
        evicted = "is never evicted" if note is None else f"is not evicted on every invocation ({note})"
        message = (
            f"unbounded cache on {name}() is filled with request-derived arguments in "
            f"{where_in(analysis, call.statement, info, module)}, reached from {reached_from(analysis, handlers, info, module)}: every distinct "
            f"request adds an entry that {evicted}; bound it (`lru_cache(maxsize=N)`) or clear it"
        )
        inserted = insert_in_handlers(analysis, handlers, key, lambda spelled: (f"{spelled}.cache_clear()",))
        fix = None
        if inserted.problem is None:
            where = inserted.place(handlers, module)
            fix = Fix("unsafe", f"Clear the cache of {name}() at the start of {where}", inserted.edits)
        yield Finding(CODE, cached[key], message, tuple(handlers), fix, module)


RULE = Rule(
    code=CODE,
    name="unbounded-cache",
    summary="`lru_cache(maxsize=None)`/`cache`/`cachetools.cached(cache={})` on a function called with event-derived values",
    why=(
        "An unbounded cache keeps every distinct argument it has seen for the life of the execution\n"
        "environment. Keyed by request data (a user id, an order id), it grows with every invocation until\n"
        "the function runs out of memory, and it keeps serving values computed for earlier callers. Calls\n"
        "with constants, configuration or environment values are bounded by nature and not flagged."
    ),
    bad='''
import functools

@functools.lru_cache(maxsize=None)
def price_for(sku):
    return len(sku) * 100

def lambda_handler(event, context):
    return {"price": price_for(event["sku"])}
''',
    good='''
import functools

@functools.lru_cache(maxsize=None)
def price_for(sku):
    return len(sku) * 100

def lambda_handler(event, context):
    price_for.cache_clear()
    return {"price": price_for(event["sku"])}
''',
    fix="insert `FUNC.cache_clear()` as the first statement of each handler (a bound, `maxsize=N`, is often "
    "the better change)",
    safety="unsafe: the cache may be meant to outlive invocations",
    check=check,
)
