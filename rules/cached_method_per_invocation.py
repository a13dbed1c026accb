"""LAM203: lru_cache/cache on a method of a class instantiated per invocation."""
from __future__ import annotations

from linter.analysis.calls import reached_calls
from linter.analysis.rule import Finding, Rule, handler_phrase

CODE = "LAM203"
CACHES = frozenset({"functools.lru_cache", "functools.cache", "cachetools.func.lru_cache"})


def _cache_decorator(analysis, method):
    from linter.parsing.syntax import decorating_callable

    for decorator in method.node.decorators:
        if analysis.qualify(method.module, decorating_callable(decorator)) in CACHES:
            return decorator.decorator
    return None


def _instantiations(analysis, ref):
    """(function, handlers) where the class ``ref`` is instantiated on the
    invocation path, in its module or, imported, in another."""
    for info, _, handlers, call in reached_calls(analysis):
        root = call.path.root
        if not call.path.attrs and analysis.scope_of(info, root) is None:
            if analysis.project.class_ref(info.module, root) == ref:
                yield info, handlers


def check(analysis):
    for module in analysis.project.modules.values():
        for class_name, class_info in module.classes.items():
            cached = []
            for method, key in class_info.methods.items():
                decorator = _cache_decorator(analysis, analysis.function(key))
                if decorator is not None:
                    cached.append((method, decorator))
            if not cached:
                continue
            made = list(_instantiations(analysis, (module.name, class_name)))
            if not made:
                continue
            info, handlers = made[0]
            for method, decorator in cached:
                message = (
                    f"cache on method {class_name}.{method}() keeps every {class_name} instance alive, and "
                    f"{class_name} is created per invocation in {info.display}() (reached from "
                    f"{handler_phrase(handlers, module.name)}): the cache (keyed by `self`) grows with every "
                    "invocation and never frees them; cache a module-level function instead, or keep the cache "
                    "on the instance"
                )
                yield Finding(CODE, decorator, message, tuple(handlers), None, module.name)


RULE = Rule(
    code=CODE,
    name="cached-method-per-invocation",
    summary="`functools.lru_cache`/`cache` on a method of a class whose instances are created per invocation",
    why=(
        "A cache on a method is shared by the class and keyed by `self`, so it holds a reference to every\n"
        "instance it has seen. When the handler creates a new instance per invocation, none of them is\n"
        "ever freed: memory grows with every invocation (and `maxsize` only bounds how many are kept)."
    ),
    bad='''
import functools

class Pricing:
    @functools.lru_cache(maxsize=None)
    def price(self, sku):
        return len(sku) * 100

def lambda_handler(event, context):
    return Pricing().price(event["sku"])
''',
    good='''
import functools

@functools.lru_cache(maxsize=1024)
def price(sku):
    return len(sku) * 100

def lambda_handler(event, context):
    return price(event["sku"])
''',
    fix="none; cache a module-level function, or keep a per-instance dict",
    safety="none (no automatic fix)",
    check=check,
)
