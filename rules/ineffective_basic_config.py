"""LAM302: ``logging.basicConfig(...)`` in Lambda code, where it does nothing.

``basicConfig`` only configures the root logger when it has no handlers, and
the Lambda runtime gives it one before the module is imported.  A call is
therefore left alone when it can take effect:

* it passes ``force=True`` (or may: ``force=FLAG``, ``**settings``), which
  removes the runtime's handler;
* the module removes the root logger's handlers (``root.removeHandler(h)``,
  ``root.handlers.clear()``, ``root.handlers = []``, ``del root.handlers[:]``
  …) before it: at module level before a module-level call, directly or
  through a function it calls; anywhere in the module for a call inside a
  function, since warm invocations run that call again after any removal;
* it only runs when a test of the root logger's handlers lets it
  (``if not root.handlers:``, the ``else:`` of ``if root.hasHandlers():``,
  after ``if root.handlers: return``): the code already knows.

A call is also left alone when it does not run on Lambda at all, where it
works as written and a ``setLevel`` fix would break the local run:

* it is in a function that neither a handler reaches nor import-time code
  runs (``def main(): logging.basicConfig(...)`` called only under
  ``if __name__ == "__main__":``, like the module-level code under it);
* a test around it (an enclosing ``if``, or an ``if`` that returned before
  it) reads a variable only Lambda sets (``if not
  os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):``, ``if "AWS_EXECUTION_ENV"
  not in os.environ:``), directly or through a module-level name or a
  function of the module (``if not IS_LAMBDA:``, ``if not on_lambda():``).
  Which branch runs on Lambda is not worked out: such code is written to
  tell local runs from Lambda, so the test is taken to keep the call off it.

"The root logger" is deliberately generous (missing a no-op costs less than a
finding the reader can refute): ``logging.getLogger()`` / ``getLogger(None)``
/ ``getLogger("")`` / ``logging.root`` and names assigned from them, but also
any receiver that cannot be shown to be another logger (a parameter, an
attribute such as ``self.logger``).  Only loggers that are provably someone
else's — ``getLogger(__name__)``, ``getLogger("orders")``, a library's
``Logger(...)`` — do not count.
"""
from __future__ import annotations

from functools import cached_property

from linter.analysis.calls import qualified_callee
from linter.output.diagnostics import Fix
from linter.fixing.edits import ReplaceNode
from linter.analysis.rule import Finding, Rule

CODE = "LAM302"
BASIC_CONFIG = "logging.basicConfig"
GET_LOGGER = "logging.getLogger"
ROOT_LOGGER = frozenset({"logging.root", "logging.Logger.root", "logging.Logger.manager.root"})
ROOT_LOGGER_NAMES = frozenset({"", "root"})  # getLogger(name) returns the root logger for these
# The names setLevel accepts (logging._nameToLevel); any other string raises ValueError.
LEVELS = {"CRITICAL": 50, "FATAL": 50, "ERROR": 40, "WARNING": 30, "WARN": 30, "INFO": 20, "DEBUG": 10, "NOTSET": 0}
RUNTIME_LEVEL = LEVELS["WARNING"]  # the root logger's level under the runtime (Python's default)
UNKNOWN, INVALID = "unknown", "invalid"
_MAX_DEPTH = 8
# Environment variables the Lambda runtime sets: a test reading one tells Lambda from a local run.
LAMBDA_VARIABLES = frozenset({
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_RUNTIME_DIR", "_HANDLER",
})


# -- the calls ---------------------------------------------------------------
def _calls(analysis, on_lambda):
    """(call, statement, function or None, guards) for every ``logging.basicConfig``
    call at module level and in the functions ``on_lambda`` (keys) names,
    however the import spells it."""
    model = analysis.model
    for call, statement in model.module_calls:
        func = call.func
        kind = type(func).__name__
        if kind == "Attribute":
            last = func.attr.value
        elif kind == "Name":
            last = analysis.imported_name(None, func.value).rsplit(".", 1)[-1]
        else:
            continue
        if last == "basicConfig" and analysis.qualify(None, func) == BASIC_CONFIG:
            yield call, statement, None, ()
    for info in model.functions.values():
        if info.key not in on_lambda:
            continue
        for step in info.all_steps():
            for ref in step.calls:
                if ref.called and qualified_callee(analysis, info, ref, {BASIC_CONFIG}) == BASIC_CONFIG:
                    yield ref.node, ref.statement, info, ref.guards


def _may_force(analysis, call) -> bool:
    """``force=`` with anything but a false literal, or ``**settings`` that may hold it."""
    for arg in call.args:
        if arg.star == "**":
            if _mapping_may_force(analysis, arg.value):
                return True
        elif arg.keyword is not None and arg.keyword.value == "force":
            return not _false_literal(arg.value)
    return False


def _mapping_may_force(analysis, node) -> bool:
    kind = type(node).__name__
    if kind == "Name" and node.value in analysis.model.bindings:
        node = analysis.model.bindings[node.value].value
        kind = type(node).__name__
    if kind != "Dict":
        return True  # cannot tell
    for element in node.elements:
        if type(element).__name__ != "DictElement" or type(element.key).__name__ != "SimpleString":
            return True
        if element.key.evaluated_value == "force" and not _false_literal(element.value):
            return True
    return False


def _false_literal(node) -> bool:
    kind = type(node).__name__
    return (kind == "Name" and node.value in ("False", "None")) or (kind == "Integer" and node.value == "0")


# -- where the root logger's handlers go away ---------------------------------
class _RootHandlers:
    """One walk over the module, done only when it calls basicConfig: where it
    removes the root logger's handlers, and the ``if`` tests around
    module-level basicConfig calls."""

    def __init__(self, analysis, module_calls):
        self.analysis = analysis
        self.model = analysis.model
        self.wanted = {id(call) for call in module_calls}
        self.call_index = {}  # id(module-level basicConfig call) -> walk order
        self.call_tests = {}  # id(module-level basicConfig call) -> enclosing if tests
        self.removals = []  # (walk order, receiver, function or None)
        self.module_calls = []  # (walk order, function key): module-level calls of this module's functions
        self.assignments = {}  # (function key or None, name) -> [value, ...]
        self._walk()
        self.removed = [(index, info) for index, receiver, info in self.removals if self.maybe_root(receiver, info)]

    def _walk(self) -> None:
        from linter.parsing.syntax import child_nodes, is_main_guard

        functions = {id(info.node): info for info in self.model.functions.values()}
        stack = [(node, None, ()) for node in reversed(self.model.module.body)]
        order = 0
        while stack:
            node, info, tests = stack.pop()
            order += 1
            kind = type(node).__name__
            if kind == "FunctionDef":  # decorators and defaults run here, the body in the function
                inner = functions.get(id(node))
                stack.extend((child, info, tests) for child in reversed([*node.decorators, node.params]))
                if inner is not None:
                    stack.append((node.body, inner, ()))
                continue
            if kind == "If":
                branches = [node.body, node.orelse]
                if info is None and is_main_guard(node):
                    branches = [node.orelse]  # the body never runs on Lambda
                inner_tests = tests + (node.test,)
                stack.extend((child, info, inner_tests) for child in reversed(branches) if child is not None)
                stack.append((node.test, info, tests))
                continue
            if kind == "Call":
                self._call(node, info, order, tests)
            elif kind in ("Assign", "AnnAssign"):
                targets = [t.target for t in node.targets] if kind == "Assign" else [node.target]
                for target in targets:
                    self._store(target, node.value, info, order)
            elif kind == "Del":
                self._delete(node.target, info, order)
            stack.extend((child, info, tests) for child in reversed(list(child_nodes(node))))

    def _call(self, node, info, order, tests) -> None:
        func = node.func
        if type(func).__name__ == "Attribute":
            method = func.attr.value
            if method == "removeHandler":
                self.removals.append((order, func.value, info))
            elif method in ("clear", "pop", "remove") and _is_handlers(func.value):
                self.removals.append((order, func.value.value, info))
        elif type(func).__name__ == "Name" and info is None:
            if func.value in self.model.top_level_functions:
                self.module_calls.append((order, (self.model.name, func.value)))
            elif func.value in self.model.classes:
                init = self.model.method(func.value, "__init__")
                if init is not None:
                    self.module_calls.append((order, init))
        if id(node) in self.wanted:
            self.call_index[id(node)] = order
            self.call_tests[id(node)] = tests

    def _store(self, target, value, info, order) -> None:
        kind = type(target).__name__
        if kind == "Name":
            if value is not None:
                self.assignments.setdefault((info.key if info else None, target.value), []).append(value)
        elif kind in ("Tuple", "List"):
            for element in target.elements:
                self._store(element.value, None, info, order)
        elif type(value).__name__ in ("List", "Tuple") and value.elements:
            return  # root.handlers = [handler]: a replacement, the root logger has a handler again
        elif _is_handlers(target):  # root.handlers = []
            self.removals.append((order, target.value, info))
        elif kind == "Subscript" and _is_handlers(target.value):  # root.handlers[:] = []
            self.removals.append((order, target.value.value, info))

    def _delete(self, target, info, order) -> None:
        kind = type(target).__name__
        if kind in ("Tuple", "List"):
            for element in target.elements:
                self._delete(element.value, info, order)
        elif _is_handlers(target):
            self.removals.append((order, target.value, info))
        elif kind == "Subscript" and _is_handlers(target.value):  # del root.handlers[:]
            self.removals.append((order, target.value.value, info))

    @cached_property
    def removing_functions(self):
        """Functions that remove the root logger's handlers, themselves or
        through a function of this module they call."""
        callers = {}
        for key in self.model.functions:
            for callee, _ in self.analysis.callees((key, None)):
                callers.setdefault(callee, set()).add(key)
        removing = {info.key for _, info in self.removed if info is not None}
        pending = list(removing)
        while pending:
            for caller in callers.get(pending.pop(), ()):
                if caller not in removing:
                    removing.add(caller)
                    pending.append(caller)
        return removing

    # -- is it the root logger? ----------------------------------------------
    def maybe_root(self, node, info, depth=0) -> bool:
        """Whether ``node`` may be the root logger: False only for a logger
        that is provably another one."""
        if depth > _MAX_DEPTH:
            return True
        kind = type(node).__name__
        if kind == "Name":
            return self._name_may_be_root(node, info, depth)
        if kind == "Attribute":
            qualified = self.analysis.qualify(info, node)
            if qualified in ROOT_LOGGER:
                return True
            return not (qualified or "").startswith("logging.")
        if kind == "Call":
            qualified = self.analysis.qualify(info, node.func)
            if qualified == GET_LOGGER:
                return _names_root(node)
            if type(node.func).__name__ == "Name" and node.func.value in self.model.classes:
                return False  # an object of a class of this module (an event router with its own `handlers`)
            return qualified is None  # a helper of this module may return it; a library's Logger(...) is not it
        return True

    def _name_may_be_root(self, node, info, depth) -> bool:
        name = node.value
        scope = self.analysis.scope_of(info, name) if info is not None else None
        if scope is not None and name == scope.receiver_name:
            return False  # ``self.handlers``: an object of a class of this module
        imports = scope.imports if scope is not None else self.model.imports
        if name in imports:
            return imports[name] in ROOT_LOGGER or not imports[name].startswith("logging")
        values = self.assignments.get((scope.key if scope is not None else None, name))
        if not values:
            return True  # a parameter, a loop variable: it may be
        return any(self.maybe_root(value, scope, depth + 1) for value in values)

    def tests_root_handlers(self, test, info) -> bool:
        """Whether an ``if`` test looks at the root logger's handlers
        (``root.handlers``, ``len(root.handlers)``, ``root.hasHandlers()``)."""
        from linter.parsing.syntax import child_nodes

        pending = [test]
        while pending:
            node = pending.pop()
            if _is_handlers(node) and self.maybe_root(node.value, info):
                return True
            if (
                type(node).__name__ == "Attribute"
                and node.attr.value == "hasHandlers"
                and self.maybe_root(node.value, info)
            ):
                return True
            pending.extend(child_nodes(node))
        return False

    # -- the verdict ---------------------------------------------------------
    def takes_effect(self, call, info, guards) -> bool:
        if info is not None:
            if self.removed:
                return True
            return any(
                self.tests_root_handlers(guard.test, self.model.function(guard.function)) for guard in guards
            )
        if any(self.tests_root_handlers(test, None) for test in self.call_tests.get(id(call), ())):
            return True
        index = self.call_index.get(id(call))
        if index is None:
            return True  # not found: do not flag what we cannot place
        if any(order < index for order, removed_in in self.removed if removed_in is None):
            return True
        return any(order < index and key in self.removing_functions for order, key in self.module_calls)

    def off_lambda(self, call, info, guards) -> bool:
        """Whether a test around the call reads a variable only Lambda sets:
        the module-level ``if`` tests around a module-level call, the guards
        of a call in a function."""
        tests = [guard.test for guard in guards] if info is not None else self.call_tests.get(id(call), ())
        return any(_reads_lambda_variable(self.model, test) for test in tests)


def _reads_lambda_variable(model, test) -> bool:
    """Whether ``test`` names one of LAMBDA_VARIABLES, itself or through a
    module-level name (``IS_LAMBDA = "AWS_LAMBDA_FUNCTION_NAME" in os.environ``)
    or a function of the module it calls (``def on_lambda(): ...``)."""
    import libcst as cst
    from linter.parsing.syntax import child_nodes

    pending, seen = [test], set()
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) and node.evaluated_value in LAMBDA_VARIABLES:
            return True
        if isinstance(node, cst.Name) and node.value not in seen:
            seen.add(node.value)
            binding = model.bindings.get(node.value)
            if binding is not None and binding.value is not None:
                pending.append(binding.value)
            elif node.value in model.top_level_functions:
                pending.append(model.top_level_functions[node.value].body)
        pending.extend(child_nodes(node))
    return False


def _is_handlers(node) -> bool:
    return type(node).__name__ == "Attribute" and node.attr.value == "handlers"


def _names_root(call) -> bool:
    """``getLogger()``, ``getLogger(None)``, ``getLogger("")``; True when the name is not known."""
    if not call.args:
        return True
    value = call.args[0].value
    kind = type(value).__name__
    if kind == "Name":
        return value.value != "__name__"
    if kind in ("SimpleString", "ConcatenatedString"):
        return value.evaluated_value in ROOT_LOGGER_NAMES
    return kind != "FormattedString"


# -- the fix -----------------------------------------------------------------
def _level(analysis, info, node):
    """The numeric level ``node`` names, ``INVALID`` when setLevel would reject
    it, ``UNKNOWN`` when it is only known at run time."""
    kind = type(node).__name__
    if kind in ("SimpleString", "ConcatenatedString"):
        value = node.evaluated_value
        if value is None:
            return UNKNOWN  # parts of it are f-strings
        return LEVELS.get(value, INVALID) if isinstance(value, str) else INVALID
    if kind == "Integer":
        return int(node.evaluated_value)
    if kind == "UnaryOperation" and type(node.operator).__name__ == "Minus":
        if type(node.expression).__name__ == "Integer":
            return -int(node.expression.evaluated_value)
    if kind == "Name" and node.value == "None":
        return INVALID
    if kind in ("Name", "Attribute"):
        qualified = analysis.qualify(info, node) or ""
        head, _, name = qualified.rpartition(".")
        if head == "logging" and name in LEVELS:
            return LEVELS[name]
    return UNKNOWN


def _root_logger_source(analysis, info):
    """How the code at the call can name the root logger through its imports:
    ``logging.getLogger()``, ``getLogger()``, ``root``; None if it cannot."""
    scopes = []
    scope = info
    while scope is not None:
        scopes.append(scope.imports)
        scope = analysis.model.function(scope.parent) if scope.parent else None
    scopes.append(analysis.model.imports)
    for imports in scopes:
        for wanted, spelling in (("logging", "{}.getLogger()"), (GET_LOGGER, "{}()"), ("logging.root", "{}")):
            for name, target in imports.items():
                if target != wanted:
                    continue
                if imports is analysis.model.imports and info is not None and analysis.scope_of(info, name) is not None:
                    continue  # shadowed by a local
                return spelling.format(name)
    return None


def _fix(analysis, info, call):
    """``logging.getLogger().setLevel(LEVEL)`` when ``level=`` is all it passes."""
    if len(call.args) != 1 or call.args[0].keyword is None or call.args[0].keyword.value != "level":
        return None
    value = call.args[0].value
    level = _level(analysis, info, value)
    root = _root_logger_source(analysis, info)
    if level == INVALID or root is None:
        return None  # setLevel would raise where basicConfig silently did nothing
    source = analysis.source(value)
    replacement = f"{root}.setLevel({source})"
    message = f"Replace with `{replacement}`"
    if level == UNKNOWN:
        return Fix(
            "unsafe",
            f"{message} (unsafe: `{source}` is only known at run time; a level above WARNING would stop "
            "WARNING lines that print today, and a string that is not a level name makes setLevel raise "
            "where basicConfig ignored it)",
            (ReplaceNode(analysis.model.name, call, replacement),),
        )
    if level > RUNTIME_LEVEL:
        return Fix(
            "unsafe",
            f"{message} (unsafe: `{source}` is above WARNING, the level the root logger has on Lambda, "
            "so WARNING lines that print today would stop)",
            (ReplaceNode(analysis.model.name, call, replacement),),
        )
    return Fix("safe", message, (ReplaceNode(analysis.model.name, call, replacement),))


class _InModule:
    """The analysis seen from one module: module-level code (``info`` None)
    is resolved in that module."""

    def __init__(self, analysis, module: str):
        self.analysis = analysis
        self.model = analysis.module(module)
        self.handlers = analysis.handlers

    def qualify(self, info, node):
        return self.analysis.qualify(info if info is not None else self.model.name, node)

    def imported_name(self, info, name):
        return self.analysis.imported_name(info if info is not None else self.model.name, name)

    def scope_of(self, info, name):
        return self.analysis.scope_of(info, name)

    def callees(self, context):
        return self.analysis.path.callees(context)

    def source(self, node):
        return self.analysis.source(node)


def check(analysis):
    """Every basicConfig call of Lambda code: the handlers' modules and the
    project modules they import."""
    on_lambda = _functions_run_on_lambda(analysis)
    for module in analysis.lambda_modules():
        yield from _check_module(_InModule(analysis, module), on_lambda)


def _functions_run_on_lambda(analysis):
    """Keys of the functions that run on Lambda: those a handler reaches (with
    any receiver) and those run at import.  A function holding a basicConfig
    call makes a call, so ``calls_at_import`` lists every such function that
    runs at import, methods called on module-level objects included."""
    keys = {key for key, _ in analysis.path.reached_by}
    keys.update(info.key for info, _, _ in analysis.calls_at_import())
    return keys


def _check_module(analysis, on_lambda):
    calls = [found for found in _calls(analysis, on_lambda) if not _may_force(analysis, found[0])]
    if not calls:
        return
    root_handlers = _RootHandlers(analysis, [call for call, _, info, _ in calls if info is None])
    for call, statement, info, guards in calls:
        if root_handlers.takes_effect(call, info, guards) or root_handlers.off_lambda(call, info, guards):
            continue
        where = "at module level" if info is None else f"in {info.display}()"
        message = (
            f"logging.basicConfig() {where} does nothing on Lambda: the runtime has already given the root "
            "logger a handler, so the level and format asked for never apply"
        )
        fix = _fix(analysis, info, call)
        yield Finding(CODE, statement, message, tuple(analysis.handlers), fix, analysis.model.name)


RULE = Rule(
    code=CODE,
    name="ineffective-basic-config",
    summary="`logging.basicConfig(...)` in Lambda code, where the runtime's root handler makes it a no-op",
    why=(
        "`basicConfig` only configures the root logger when it has no handlers. The Lambda Python runtime\n"
        "attaches one before your module is imported, so the call silently does nothing: the level stays\n"
        "WARNING and INFO lines never appear. Calls that do take effect are not flagged: `force=True`, or\n"
        "code that removes the root logger's handlers first (`root.removeHandler(h)`, `root.handlers.clear()`,\n"
        "`root.handlers = []`), or a call that only runs when a test of the root logger's handlers lets it.\n"
        "The fix never inserts `force=True`: it would remove the runtime's handler, and with it the request\n"
        "id on every line."
    ),
    bad='''
import logging

logging.basicConfig(level=logging.INFO)

def lambda_handler(event, context):
    logging.info("processing %s", event["id"])
''',
    good='''
import logging

logging.getLogger().setLevel(logging.INFO)

def lambda_handler(event, context):
    logging.info("processing %s", event["id"])
''',
    fix="replace with `logging.getLogger().setLevel(LEVEL)` when only `level=` is passed; otherwise no fix",
    safety=(
        "safe when LEVEL is WARNING or below (DEBUG, INFO, NOTSET): lines are only added; unsafe when it is "
        "above WARNING (WARNING lines that print today would stop) or only known at run time"
    ),
    check=check,
)
