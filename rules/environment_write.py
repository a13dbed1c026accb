"""LAM401: the process environment changed with request data."""
from __future__ import annotations

import json
from typing import FrozenSet, Optional, Tuple

import libcst as cst

from linter.analysis.calls import is_environ, qualified_callee, reached_calls
from linter.analysis.moved import changes_later
from linter.output.diagnostics import Fix
from linter.fixing.edits import RestoreEnvironment
from linter.analysis.rule import Finding, Rule, handler_phrase
from linter.parsing.syntax import is_constant, key_text, subscript_keys
from linter.summary.scanner import RefPath, path_of

CODE = "LAM401"
PUTENV = "os.putenv"
_NO_PATH = RefPath("")


def _writes(analysis):
    """(function, statement, handlers, mutation or None, key nodes or None) for
    environment writes; the keys are None when the write's keys are not
    known (``os.environ.update(mapping)``)."""
    for info, _, handlers in analysis.reached_functions:
        for step in info.all_steps():
            for mutation in step.mutations:
                if is_environ(analysis, info, mutation.path):
                    yield info, mutation.statement, handlers, mutation, _mutation_keys(analysis, info, step, mutation)
    for info, _, handlers, call in reached_calls(analysis):
        if qualified_callee(analysis, info, call, {PUTENV}) == PUTENV:
            yield info, call.statement, handlers, None, _first_argument(call.node)


def _mutation_keys(analysis, info, step, mutation) -> Optional[Tuple[cst.CSTNode, ...]]:
    """What ``os.environ[KEY] = v``, ``setdefault(KEY, v)`` or
    ``update(KEY=v)`` / ``update({KEY: v})`` sets; None when not known."""
    if mutation.keys:
        return tuple(mutation.keys)
    for call in step.calls:
        if call.statement is mutation.statement and _environ_method(analysis, info, call) == "update":
            return _update_keys(call.node)
    return None


def _environ_method(analysis, info, call) -> Optional[str]:
    """``pop`` for ``os.environ.pop(...)`` / ``environ.pop(...)`` (however
    ``os.environ`` is imported), the method's name; None for other calls."""
    path = call.path
    if not call.is_call or not path.attrs or path.element:
        return None
    return path.attrs[-1] if is_environ(analysis, info, RefPath(path.root, path.attrs[:-1])) else None


def _update_keys(node: cst.Call) -> Optional[Tuple[cst.CSTNode, ...]]:
    """The keys ``update(A=v)`` / ``update({"A": v})`` sets; None for a mapping it is given."""
    keys = []
    for arg in node.args:
        if arg.keyword is not None:
            keys.append(cst.SimpleString(json.dumps(arg.keyword.value)))
        elif not arg.star and type(arg.value) is cst.Dict and all(
                type(element) is cst.DictElement for element in arg.value.elements):
            keys.extend(element.key for element in arg.value.elements)
        else:
            return None
    return tuple(keys)


def _first_argument(node) -> Optional[Tuple[cst.CSTNode, ...]]:
    """The first argument of a call (``putenv(KEY, v)``, ``pop(KEY)``), as the one key it names."""
    if node is None or not node.args or node.args[0].keyword is not None or node.args[0].star:
        return None
    return (node.args[0].value,)


def _key(analysis, info, node) -> Optional[str]:
    """One spelling of the variable a key names, so that a write and its
    restore can be matched: a string's value (``'A'`` and ``"A"`` alike), a
    module constant's string value (``os.environ[VAR]`` and
    ``os.environ.pop("X")`` with ``VAR = "X"``), otherwise the key's source
    (a local, an attribute); None for a module-level name that can name
    another variable at another time (rebound under ``global`` or at module
    level), whose writes and restores cannot be matched."""
    if is_constant(node):
        return key_text(node)
    if type(node) is cst.Name and info.node is not None and not info.is_local(node.value):
        if info.nonlocals and node.value in info.nonlocals:
            return None
        model = analysis.module(info.module)
        if changes_later(analysis, info.module, node.value):
            return None
        binding = model.bindings.get(node.value)
        if binding is not None and binding.value is not None and is_constant(binding.value):
            return key_text(binding.value)
    return "source: " + analysis.source(node)


def _keys(analysis, info, nodes) -> Optional[FrozenSet[str]]:
    if nodes is None:
        return None
    keys = frozenset(_key(analysis, info, node) for node in nodes)
    return None if None in keys else keys


def _restores(analysis, info) -> Tuple[bool, FrozenSet[str]]:
    """What a ``finally:`` of the function puts back: (the whole environment,
    the keys it writes, pops or deletes).  The whole environment is put back
    by ``os.environ.clear()`` (followed by ``os.environ.update(saved)`` or
    not) or by rebinding ``os.environ``."""
    restored = set()
    for step in info.finally_steps:
        for reset in step.resets:
            if reset.kind == "clear" and is_environ(analysis, info, reset.path):
                return True, frozenset()
            if reset.kind == "evict" and is_environ(analysis, info, reset.path) and type(reset.statement) is cst.Del:
                restored.update(_deleted_keys(analysis, info, reset.statement.target))
        for mutation in step.mutations:
            if is_environ(analysis, info, mutation.path) and mutation.verb == "assigned an item":
                restored.update(_key(analysis, info, key) for key in mutation.keys)
        for call in step.calls:
            if _environ_method(analysis, info, call) in ("pop", "__delitem__"):
                keys = _first_argument(call.node) or ()
                restored.update(_key(analysis, info, key) for key in keys)
    restored.discard(None)
    return False, frozenset(restored)


def _deleted_keys(analysis, info, target):
    """The keys of ``del os.environ[KEY]`` / ``del os.environ[A], os.environ[B]``."""
    if type(target) in (cst.Tuple, cst.List):
        for element in target.elements:
            yield from _deleted_keys(analysis, info, element.value)
    elif type(target) is cst.Subscript and is_environ(analysis, info, path_of(target.value) or _NO_PATH):
        keys = subscript_keys(target)
        if len(keys) == 1:
            yield _key(analysis, info, keys[0])


def _restored(analysis, info, keys: Optional[FrozenSet[str]]) -> bool:
    """Whether a ``finally:`` of the function puts back every variable of
    ``keys`` (None: not known which), or the whole environment."""
    everything, restored = _restores(analysis, info)
    return everything or (keys is not None and keys <= restored)


def _top_level(info, statement) -> bool:
    """Whether ``statement`` is one of the function's own statements (a line
    of its body, or of a body on the ``def`` line), not inside a block."""
    body = info.node.body
    lines = [body] if type(body).__name__ == "SimpleStatementSuite" else body.body
    return any(type(line).__name__ in _LINES and statement in line.body for line in lines)


_LINES = ("SimpleStatementLine", "SimpleStatementSuite")


def _fix(analysis, info, statement, mutation, handlers):
    """Restore the variable in ``finally:`` when the handler itself sets one
    key with ``os.environ[KEY] = value`` as a top-level statement."""
    if mutation is None or info.key != handlers[0].key or len(handlers) != 1 or not _top_level(info, statement):
        return None
    if type(statement).__name__ != "Assign" or len(mutation.keys) != 1:
        return None
    return restore_environment_fix(analysis, info.key, statement, analysis.source(mutation.keys[0]))


def restore_environment_fix(analysis, handler, statement, key: str) -> Optional[Fix]:
    """Keep the variable's value before ``statement`` (an ``os.environ[KEY] =
    value`` in the handler's body, possibly inside an ``if``) sets it, and
    put it back in a ``finally:`` when the handler returns; None when the key
    may not name the same variable at both ends (:func:`_same_key_throughout`)."""
    if not _same_key_throughout(analysis, analysis.function(handler), statement.targets[0].target):
        return None
    environ = analysis.source(statement.targets[0].target.value)
    edit = RestoreEnvironment(handler, statement, environ, key)
    return Fix("unsafe", "Restore the variable in a `finally:` when the handler returns", (edit,))


def _same_key_throughout(analysis, handler, target) -> bool:
    """Whether the key of ``target`` (``os.environ[KEY]``) names the same
    variable when the old value is saved, before the line that sets it, as
    when ``finally:`` restores it: a string, or a module constant the
    handler does not bind.  A name the handler binds (``k = "TENANT";
    os.environ[k] = ...``) may be bound only on that line, or bound again
    before the handler returns; a module constant rebound by a function
    under ``global``, or bound again or changed by module-level code, may
    name another variable by the time ``finally:`` runs (LAM104's test of a
    module-level name that changes later)."""
    elements = target.slice
    if len(elements) != 1 or type(elements[0].slice).__name__ != "Index":
        return False
    key = elements[0].slice.value
    if type(key).__name__ == "SimpleString":
        return True
    return (type(key).__name__ == "Name" and handler is not None
            and not handler.is_local(key.value) and not handler.rebinds_outside(key.value)
            and not changes_later(analysis, handler.module, key.value))


def _variable(analysis, nodes) -> str:
    """How the message names what the write changes: ``variable "TENANT"``,
    ``variable named by REGION_VARIABLE`` (a key that is not a literal: its source)."""
    if not nodes:
        return "process environment"
    shown = [key_text(node) if is_constant(node) else f"named by {analysis.source(node)}" for node in nodes]
    noun = "process environment variable" if len(shown) == 1 else "process environment variables"
    return f"{noun} {', '.join(shown)}"


def check(analysis):
    for info, statement, handlers, mutation, keys in _writes(analysis):
        # analysis.taint is computed on first use: only modules that write the environment pay for it
        if not analysis.taint.is_tainted(info, statement) or _restored(analysis, info, _keys(analysis, info, keys)):
            continue
        message = (
            f"the {_variable(analysis, keys)} is changed with request data in {info.display}() "
            f"(reached from {handler_phrase(handlers, info.module)}): the next invocation sees this caller's value"
        )
        fix = _fix(analysis, info, statement, mutation, handlers)
        yield Finding(CODE, statement, message, tuple(handlers), fix, info.module)


RULE = Rule(
    code=CODE,
    name="environment-write",
    summary="`os.environ[...] = ...`, `os.environ.update/setdefault`, `os.putenv` with event-derived values",
    why=(
        "The environment belongs to the process, and the process outlives the invocation. A variable set\n"
        "from one request (a tenant, a user's region) is still set when the next request arrives, and code\n"
        "that reads it serves the wrong caller. Setting variables from configuration is not flagged, nor a\n"
        "variable a `finally:` of the same function puts back: by its key (a string, or a module constant\n"
        "that is never rebound), or by restoring the whole environment (`os.environ.clear()` then\n"
        "`os.environ.update(saved)`, or rebinding `os.environ`). Putting back one variable does not cover another."
    ),
    bad='''
import os

def lambda_handler(event, context):
    os.environ["TENANT"] = event["tenant"]
    return os.environ["TENANT"]
''',
    good='''
import os

def lambda_handler(event, context):
    _previous_value = os.environ.get("TENANT")
    try:
        os.environ["TENANT"] = event["tenant"]
        return os.environ["TENANT"]
    finally:
        if _previous_value is None:
            os.environ.pop("TENANT", None)
        else:
            os.environ["TENANT"] = _previous_value
''',
    fix="when the handler itself sets `os.environ[KEY] = value` with KEY a string or a module constant: keep "
    "the old value (each variable in a name of its own the module does not use), run the rest of the handler in "
    "`try:` and restore it in `finally:`; otherwise no fix (a key the handler binds, or a module constant rebound "
    "under `global` or by module-level code, may name another variable by the time `finally:` runs)",
    safety="unsafe: code after the handler returns (threads, the next invocation) may have relied on the value",
    check=check,
)
