"""Scan one function body into its FunctionInfo, in a single walk.

The scanner records what the body does in the body's own terms: mutations,
resets and calls on ``RefPath``s, grouped into top-level steps (in order, so
that "reset before mutation" can be decided later), plus the function's
locals, ``global`` names, aliases and lookups.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from linter.parsing.syntax import (
    child_nodes,
    detached_code,
    dotted_name,
    import_bindings,
    is_configuration,
    is_constant,
    is_empty_literal,
    is_full_slice,
    is_main_guard,
    key_text,
    references_name,
    subscript_keys,
)

FunctionKey = Tuple[str, ...]
MODULE_CODE = "<module>"  # (module, MODULE_CODE): module-level code scanned as a function (ModuleModel.import_time)

# Methods that grow a sequence, set or buffer, with the verb a message uses.
_GROWTH_VERBS = {
    "append": "appended to",
    "appendleft": "appended to",
    "extend": "extended",
    "extendleft": "extended",
    "insert": "inserted into",
    "add": "added to",
    "write": "written to",
    "writelines": "written to",
    "writerow": "written to",  # a csv writer over a module-level buffer (``_bind_name``)
    "writerows": "written to",
    "writeheader": "written to",
}
# Library functions that write to a file-like argument: (positional index, keyword).
_DUMPERS = {
    "json.dump": (1, "fp"),
    "pickle.dump": (1, "file"),
    "marshal.dump": (1, "file"),
    "yaml.dump": (1, "stream"),
    "yaml.safe_dump": (1, "stream"),
}
EXCEPT_CLAUSE = "an `except` clause"  # the region of code in an ``except`` handler
CSV_WRITERS = frozenset({"csv.writer", "csv.DictWriter"})  # write to the file-like object they are given
_KEYED_VERBS = {"update": "updated", "setdefault": "given keys by setdefault()",
                "__setitem__": "assigned an item"}
_LOOKUP_METHODS = frozenset({"get", "tell", "__contains__"})




@dataclass(frozen=True)
class RefPath:
    """``root.attr1.attr2`` optionally followed by subscripts (``element``)."""

    root: str
    attrs: Tuple[str, ...] = ()
    element: bool = False
    const_keys: bool = True


@dataclass(frozen=True)
class Guard:
    """A condition code runs under: the test of an enclosing ``if``/``while``/
    ternary/boolean operand (``positive``: it runs when the test is true), or
    of an earlier ``if`` that returned or raised (it runs when that test was
    false).  ``function`` is where the test is written, to resolve its names."""

    function: Tuple[str, ...]
    test: cst.BaseExpression
    positive: bool


# The branches a change is written in, within its top-level statement,
# outermost first: (an ``if``, True for its body / False for its ``else``),
# (a loop, True for its body), (a ``match``, the index of its case).  () when
# it runs whenever the statement does, None when a ``try`` or an expression
# makes it conditional.  Changes in every branch of an ``if`` run whichever
# way the test goes; what follows a change in its branch runs after it.
Branch = Tuple[cst.CSTNode, object]


@dataclass
class Mutation:
    path: RefPath
    verb: str
    statement: cst.CSTNode  # the statement it happens in (where its line is)
    grows_mapping: bool = True
    rebind: bool = False  # ``global X`` then ``X = X + ...`` / ``X += ...``
    augmented: bool = False
    keys: Tuple[cst.CSTNode, ...] = ()  # the keys a store writes under (``X[k] = v``, ``setdefault(k)``)
    guards: Tuple[Guard, ...] = ()
    appends: bool = False  # append/extend/add/write: it grows whatever the keys
    groups: bool = False  # ``setdefault(k, [])``: stores an empty container to grow, not a computed value
    accumulates: bool = False  # the new value is computed from the old one (``X["n"] += 1``, ``o.n = o.n + 1``)
    unconditional: bool = True  # not inside an ``if``, loop, ``try`` or ``match``
    item: Tuple[str, ...] = ()  # the constant keys of a store, outermost first (``R["a"]["b"]``: '"a"', '"b"')
    branches: Optional[Tuple[Branch, ...]] = ()  # see Branch
    region: Optional[str] = None  # what makes it conditional ("a loop", "an `if`"), for messages


@dataclass
class Reset:
    path: RefPath
    kind: str  # "clear" (also rebinding), "seek0", "truncate", "evict"
    unconditional: bool
    statement: Optional[cst.CSTNode] = None  # where it is written, for messages
    region: Optional[str] = None  # what makes it conditional ("a loop", "an `if`"), for messages
    shown: Optional[str] = None  # how messages name it, when not by its statement's source
    value: Optional[cst.CSTNode] = None  # what a rebinding assigns (``X = value``, ``o.attr = value``)
    guards: Tuple[Guard, ...] = ()
    branches: Optional[Tuple[Branch, ...]] = ()  # see Branch
    item: Tuple[str, ...] = ()  # the constant keys an eviction removes (``X.pop("k", None)``, ``del X["a"]["b"]``)


@dataclass
class CallRef:
    path: RefPath
    called: bool  # False: a function passed along (callback, thread target)
    unconditional: bool
    node: Optional[cst.CSTNode] = None  # the Call, for rules that read its arguments
    statement: Optional[cst.CSTNode] = None  # the statement it happens in
    always: bool = False  # unconditional, and no early ``return``/``raise`` can skip it
    withs: Tuple[cst.BaseExpression, ...] = ()  # context managers it runs inside
    guards: Tuple[Guard, ...] = ()
    region: Optional[str] = None  # what makes it conditional ("a loop", "an `if`"), for messages
    branches: Optional[Tuple[Branch, ...]] = ()  # see Branch

    @property
    def is_call(self) -> bool:
        """A call with arguments a rule can read (not a function passed along)."""
        return type(self.node) is cst.Call


# A value read: the path, the constant keys it is read under (``X["host"]``,
# ``X.get("host")``: '"host"'; () when read as a whole), the statement and
# its branches (see Branch).
Read = Tuple[RefPath, Tuple[str, ...], cst.CSTNode, Optional[Tuple[Branch, ...]]]


@dataclass
class Step:
    """One statement of a function body at its top level, in order."""

    mutations: List[Mutation] = field(default_factory=list)
    resets: List[Reset] = field(default_factory=list)
    calls: List[CallRef] = field(default_factory=list)
    reads: List[Read] = field(default_factory=list)  # what the statement reads (not the objects it changes)


@dataclass
class FunctionInfo:
    key: FunctionKey  # (module, name, ...)
    node: Optional[cst.FunctionDef]  # None for module-level code (MODULE_CODE)
    parent: Optional[FunctionKey]
    class_name: Optional[str] = None
    receiver_name: Optional[str] = None  # ``self`` or ``cls`` of a method
    params: List[str] = field(default_factory=list)
    defaults: List[Tuple[str, cst.BaseExpression]] = field(default_factory=list)
    globals: Set[str] = field(default_factory=set)
    nonlocals: Set[str] = field(default_factory=set)  # locals of an enclosing function
    imports: Dict[str, str] = field(default_factory=dict)  # names imported in the body -> dotted names
    locals: Set[str] = field(default_factory=set)
    aliases: Dict[str, RefPath] = field(default_factory=dict)
    # local -> the dotted name called to make it (``batch = Batch()``, ``batch = models.Batch()``,
    # ``client = boto3.client("s3")``): a project class, or anything else (names resolve as before)
    local_instances: Dict[str, str] = field(default_factory=dict)
    nested: Dict[str, FunctionKey] = field(default_factory=dict)
    called_names: Set[str] = field(default_factory=set)
    steps: List[Step] = field(default_factory=list)
    finally_steps: List[Step] = field(default_factory=list)
    lookups: List[RefPath] = field(default_factory=list)
    compared: List[RefPath] = field(default_factory=list)  # operands of comparisons (``X["errors"] > LIMIT``)
    flows: List[Tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)  # (target, source) pairs
    exits: Set[Branch] = field(default_factory=set)  # branches that end in ``return`` or ``raise``

    @property
    def module(self) -> str:
        return self.key[0]

    @property
    def display(self) -> str:
        return ".".join(self.key[1:])

    def is_local(self, name: str) -> bool:
        return (
            name not in self.globals
            and name not in self.nonlocals
            and (name in self.locals or name in self.params)
        )

    def rebinds_outside(self, name: str) -> bool:
        """``global name`` or ``nonlocal name``: assignments reach another scope."""
        return name in self.globals or name in self.nonlocals

    def all_steps(self) -> List[Step]:
        return self.steps + self.finally_steps


def suite_statements(suite: cst.BaseSuite) -> List[cst.CSTNode]:
    """Statements of a block; a one-line suite yields its small statements."""
    return list(suite.body)


def import_branches(node: cst.If) -> List[List[cst.CSTNode]]:
    """The branches of a module-level ``if`` that may run when Lambda imports
    the module, whose ``__name__`` is then never ``"__main__"``: both, but of
    ``if __name__ == "__main__":`` only the ``else`` (or ``elif``), and of
    ``if __name__ != "__main__":`` only the body."""
    body = suite_statements(node.body)
    orelse = node.orelse
    rest = [] if orelse is None else [orelse] if type(orelse) is cst.If else suite_statements(orelse.body)
    test = node.test
    if not is_main_guard(node) or not any(
        type(side) is cst.SimpleString and side.evaluated_value == "__main__"
        for side in (test.left, test.comparisons[0].comparator)
    ):
        return [body, rest]
    operator = type(test.comparisons[0].operator)
    if operator in (cst.Equal, cst.Is):
        return [rest]
    return [body] if operator in (cst.NotEqual, cst.IsNot) else [body, rest]


def pattern_captures(pattern: cst.MatchPattern) -> List[str]:
    """The names a ``case`` pattern binds when it matches: ``items`` in
    ``case [items, *_]``, ``case {"k": items}``, ``case Point(x=items)``,
    ``case [*items]``, ``case {**items}``, ``case _ as items``; they are
    variables of the function, like assignment targets."""
    found, pending = [], [pattern]
    while pending:
        node = pending.pop()
        field = _CAPTURE_FIELDS.get(type(node))
        captured = getattr(node, field) if field else None
        if captured is not None:
            found.append(captured.value)
        if type(node) is not cst.MatchValue:  # ``case Status.OK`` reads a name, binds none
            pending.extend(node.children)
    return found


_CAPTURE_FIELDS = {cst.MatchAs: "name", cst.MatchStar: "name", cst.MatchMapping: "rest"}


def _reads(value: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Whether ``value`` reads what ``target`` names (``o.n + 1`` for ``o.n``,
    ``S.get("n", 0) + 1`` for ``S["n"]``: the mapping counts as read)."""
    wanted = target.value if type(target) is cst.Subscript else target
    root = wanted
    while type(root) in (cst.Attribute, cst.Subscript):
        root = root.value
    if type(root) is not cst.Name or not references_name(value, root.value):
        return False  # the common case, decided without rendering any code
    written = detached_code(wanted)
    stack = [value]
    while stack:
        current = stack.pop()
        if type(current) in (cst.Name, cst.Attribute, cst.Subscript) and detached_code(current) == written:
            return True
        stack.extend(child_nodes(current))
    return False


def _constant_item(target: cst.Subscript) -> Tuple[str, ...]:
    """The constant keys a store writes under, outermost first; () when any is computed."""
    keys: List[str] = []
    node = target
    while type(node) is cst.Subscript:
        found = subscript_keys(node)
        if len(found) != 1 or not is_constant(found[0]):
            return ()
        keys.append(key_text(found[0]))
        node = node.value
    return tuple(reversed(keys))


def _popped_item(call: cst.Call, func: cst.Attribute) -> Tuple[str, ...]:
    """The constant keys ``X.pop("k", None)`` / ``X["a"].pop("b")`` removes; () when any is computed."""
    key = call.args[0].value if func.attr.value == "pop" and call.args else None
    if key is None or not is_constant(key):
        return ()
    holder = _constant_item(func.value) if type(func.value) is cst.Subscript else ()
    if type(func.value) is cst.Subscript and not holder:
        return ()
    return holder + (key_text(key),)


def path_of(node: cst.CSTNode) -> Optional[RefPath]:
    """The RefPath an expression names, or None for anything computed."""
    attrs: List[str] = []
    element = False
    const_keys = True
    while True:
        if type(node) is cst.Name:
            return RefPath(node.value, tuple(reversed(attrs)), element, const_keys)
        if type(node) is cst.Attribute:
            if element:
                return None  # ``X[k].attr``: an attribute of an element
            attrs.append(node.attr.value)
            node = node.value
        elif type(node) is cst.Subscript:
            if attrs:
                return None
            element = True
            const_keys = const_keys and all(is_configuration(k) for k in subscript_keys(node))
            node = node.value
        elif (
            type(node) is cst.Call
            and type(node.func) is cst.Attribute
            and node.func.attr.value == "setdefault"
            and node.args
            and not attrs
        ):
            element = True
            const_keys = const_keys and is_configuration(node.args[0].value)
            node = node.func.value
        else:
            return None


def _is_empty_container(node: cst.CSTNode) -> bool:
    """``[]``, ``{}``, ``set()``, ``list()``, ``dict()``."""
    if is_empty_literal(node):
        return True
    return type(node) is cst.Call and not node.args and dotted_name(node.func) in ("list", "dict", "set")


def _constant_mapping_args(call: cst.Call) -> bool:
    """``d.update(a=1)`` / ``d.update({"a": 1})``: only constant keys."""
    for arg in call.args:
        if arg.keyword is not None:
            continue
        if arg.star:
            return False
        value = arg.value
        if type(value) is not cst.Dict:
            return False
        for element in value.elements:
            if type(element) is not cst.DictElement or not is_configuration(element.key):
                return False
    return True


class FunctionScanner:
    """Fills one FunctionInfo from its body, in one walk."""

    def __init__(self, builder, info: FunctionInfo):
        self.builder = builder
        self.info = info
        self.step = Step()
        self.statement: Optional[cst.CSTNode] = None  # where a mutation is reported
        self.conditional = False
        self.exited_early = False  # a conditional return/raise happened in an earlier step
        self.guards: Tuple[Guard, ...] = ()  # enclosing conditions, and those of earlier early exits
        self.region: Optional[str] = None  # the innermost construct that makes code conditional
        self.withs: Tuple[cst.BaseExpression, ...] = ()
        self.in_comparison = False
        self.receiving = False  # scanning the object an operation changes, or part of a longer reference
        self.branches: Optional[Tuple[Branch, ...]] = ()
        self.class_scope = False  # scanning a class body run at import

    # -- statements --------------------------------------------------------
    def scan(self) -> None:
        self._scan_top(suite_statements(self.info.node.body), self.info.steps)

    def scan_import_time(self, statements) -> None:
        """Module-level code as one body.  Function and class bodies do not run
        at import; their decorators do, and so do a function's defaults and a
        class's bases and body (``_scan_definition``); of
        ``if __name__ == "__main__":`` only what Lambda runs
        (``import_branches``)."""
        for statement in statements:
            kind = type(statement)
            self._begin_step(self.info.steps)
            self.statement = statement
            if kind in (cst.FunctionDef, cst.ClassDef):
                self._scan_definition(statement)
            elif kind is cst.If:
                if not is_main_guard(statement):
                    self._scan_expr(statement.test)
                for branch in import_branches(statement):
                    self.scan_import_time(branch)
            elif kind in (cst.Try, cst.TryStar, cst.With):
                if kind is cst.With:
                    self._scan_with_items(statement)
                clauses = [*getattr(statement, "handlers", ()), getattr(statement, "orelse", None),
                           getattr(statement, "finalbody", None)]
                for suite in [statement.body, *(clause.body for clause in clauses if clause is not None)]:
                    self.scan_import_time(suite_statements(suite))
            else:
                self._scan_statement(statement)

    def _scan_definition(self, node) -> None:
        """What defining a function or class at module level runs: its
        decorators, a function's default values (``def f(x=items.append(1))``
        is evaluated once, at import), a class's bases and its body (``class
        K: items.append(x)`` runs at import too, in the class's namespace:
        the names it binds are class attributes, not module state)."""
        for decorator in node.decorators:
            self._scan_expr(decorator.decorator)
        if type(node) is cst.FunctionDef:
            params = node.params
            for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
                if param.default is not None:
                    self._scan_expr(param.default)
            return
        for arg in [*node.bases, *node.keywords]:
            self._scan_expr(arg.value)
        saved, self.class_scope = self.class_scope, True
        self.scan_import_time(suite_statements(node.body))
        self.class_scope = saved

    def _scan_top(self, statements, steps: List[Step]) -> None:
        """Scan a top-level sequence; ``with`` and ``try`` bodies stay in it."""
        for statement in statements:
            if type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    self._begin_step(steps)
                    self._scan_small(small)
            elif type(statement) is cst.With:
                self._begin_step(steps)
                self.statement = statement
                self._scan_with_items(statement)
                saved, self.withs = self.withs, self.withs + tuple(item.item for item in statement.items)
                self._scan_top(suite_statements(statement.body), steps)
                self.withs = saved
            elif type(statement) in (cst.Try, cst.TryStar):
                self._scan_top(suite_statements(statement.body), steps)
                self._begin_step(steps)
                self._scan_conditionally([*statement.handlers, statement.orelse], EXCEPT_CLAUSE)
                if statement.finalbody is not None:
                    saved = self.exited_early, self.guards
                    self.exited_early, self.guards = False, ()  # finally runs after any exit
                    self._scan_top(suite_statements(statement.finalbody.body), self.info.finally_steps)
                    self.exited_early, self.guards = saved
            else:
                self._begin_step(steps)
                self._scan_statement(statement)

    def _begin_step(self, steps: List[Step]) -> None:
        self.step = Step()
        self.branches = ()
        steps.append(self.step)

    def _scan_conditionally(self, nodes, region: str, branch: Optional[Branch] = None) -> None:
        saved = self.conditional, self.region, self.branches
        self.conditional, self.region = True, region
        self.branches = None if branch is None or self.branches is None else self.branches + (branch,)
        for node in nodes:
            if node is not None:
                self._scan_statement(node)
        self.conditional, self.region, self.branches = saved

    def _scan_block(self, suite: cst.BaseSuite) -> None:
        for statement in suite_statements(suite):
            self._scan_statement(statement)

    def _scan_statement(self, node: cst.CSTNode) -> None:
        scan = _STATEMENT_SCANNERS.get(type(node))
        if scan is not None:
            scan(self, node)
        elif isinstance(node, cst.BaseSmallStatement):
            self._scan_small(node)
        else:
            self._scan_children(node)

    def _scan_line(self, node: cst.SimpleStatementLine) -> None:
        for small in node.body:
            self._scan_small(small)

    def _scan_if(self, node: cst.If) -> None:
        self.statement = node
        self._scan_expr(node.test)
        self._lookup_truthiness(node.test)
        self._scan_guarded(node.test, True, node.body, "an `if`",
                           lambda nodes, region: self._scan_conditionally(nodes, region, (node, True)))
        if node.orelse is not None:
            self._scan_guarded(node.test, False, node.orelse, "an `else` branch",
                               lambda nodes, region: self._scan_conditionally(nodes, region, (node, False)))

    def _scan_guarded(self, test, positive: bool, node, region: str, scan=None) -> None:
        """Scan ``node`` (conditionally) under the guard ``test`` is ``positive``."""
        saved = self.guards
        self.guards = saved + (Guard(self.info.key, test, positive),)
        (scan or self._scan_conditionally)([node], region)
        exits = self.guards[len(saved) + 1:]  # early exits inside stay in force after the branch
        self.guards = saved + exits

    def _scan_for(self, node: cst.For) -> None:
        self.statement = node
        self.info.flows.append((node.target, node.iter))
        self._bind_target(node.target, None)
        self._scan_expr(node.iter)
        self._scan_conditionally([node.body], "a loop", (node, True))
        self._scan_conditionally([node.orelse], "a loop's `else`")

    def _scan_while(self, node: cst.While) -> None:
        self.statement = node
        self._scan_expr(node.test)
        self._lookup_truthiness(node.test)
        evictions = len(self.step.resets)
        self._scan_guarded(node.test, True, node.body, "a loop",
                           lambda nodes, region: self._scan_conditionally(nodes, region, (node, True)))
        self._scan_conditionally([node.orelse], "a loop's `else`")
        drained = _truth_tested(node.test)
        if drained is not None and any(
            reset.kind == "evict" and reset.path.root == drained.root and reset.path.attrs == drained.attrs
            for reset in self.step.resets[evictions:]
        ):  # ``while QUEUE: QUEUE.pop()`` empties it
            shown = f"the `while {detached_code(node.test)}:` loop"
            self.step.resets.append(Reset(drained, "clear", not self.conditional, node, self.region, shown))

    def _scan_with(self, node: cst.With) -> None:
        self.statement = node
        self._scan_with_items(node)
        saved, self.withs = self.withs, self.withs + tuple(item.item for item in node.items)
        self._scan_block(node.body)
        self.withs = saved

    def _scan_try(self, node) -> None:
        self._scan_conditionally([node.body, node.orelse, node.finalbody], "a `try` statement")
        self._scan_conditionally(node.handlers, EXCEPT_CLAUSE)

    def _scan_except(self, node) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, None)
        self._scan_block(node.body)

    def _scan_clause(self, node) -> None:
        self._scan_block(node.body)

    def _scan_class(self, node: cst.ClassDef) -> None:
        self.info.locals.add(node.name.value)

    def _scan_match(self, node: cst.Match) -> None:
        self.statement = node
        self._scan_expr(node.subject)
        for index, case in enumerate(node.cases):
            saved, self.conditional, self.region = (self.conditional, self.region), True, "a `match` case"
            for name in pattern_captures(case.pattern):  # bound only when the case matches
                self._bind_name(name, None)
            self.conditional, self.region = saved
            self._scan_conditionally([case.body], "a `match` case", (node, index))

    def _scan_with_items(self, node: cst.With) -> None:
        for item in node.items:
            self._scan_expr(item.item)
            if item.asname is not None:
                self.info.flows.append((item.asname.name, item.item))
                self._bind_target(item.asname.name, None)

    def _scan_nested_function(self, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            self._scan_expr(decorator.decorator)
        name = node.name.value
        self.info.locals.add(name)
        key = self.info.key + (name,)
        self.info.nested[name] = key
        self.builder.add_function(node, key, parent=self.info.key, class_name=None)

    def _scan_small(self, node: cst.BaseSmallStatement) -> None:
        self.statement = node
        if self.branches and type(node) in (cst.Return, cst.Raise):
            self.info.exits.add(self.branches[-1])
        if self.conditional and type(node) in (cst.Return, cst.Raise):
            self.exited_early = True
            if self.guards:  # what follows runs only when the innermost test went the other way
                innermost = self.guards[-1]
                self.guards = self.guards + (Guard(innermost.function, innermost.test, not innermost.positive),)
        if type(node) is cst.Assign:
            self._scan_expr(node.value)
            for target in node.targets:
                self.info.flows.append((target.target, node.value))
                self._bind_target(target.target, node.value)
        elif type(node) is cst.AnnAssign:
            if node.value is not None:
                self._scan_expr(node.value)
                self.info.flows.append((node.target, node.value))
            self._bind_target(node.target, node.value)
        elif type(node) is cst.AugAssign:
            self._scan_expr(node.value)
            self.info.flows.append((node.target, node.value))
            self._augment(node)
        elif type(node) is cst.Del:
            self._delete(node.target)
        elif type(node) is cst.Global:
            self.info.globals.update(item.name.value for item in node.names)
        elif type(node) is cst.Nonlocal:
            self.info.nonlocals.update(item.name.value for item in node.names)
        elif type(node) in (cst.Import, cst.ImportFrom):
            bound = import_bindings(node)
            self.info.imports.update(bound)
            self.info.locals.update(bound)
        else:
            for child in child_nodes(node):
                self._scan_expr(child)

    # -- bindings and stores -----------------------------------------------
    def _bind_target(self, target, value) -> None:
        if type(target) is cst.Name:
            self._bind_name(target.value, value)
        elif type(target) in (cst.Tuple, cst.List):
            for element in target.elements:
                self._bind_target(element.value, None)
        elif type(target) is cst.StarredElement:
            self._bind_target(target.value, None)
        elif type(target) is cst.Subscript:
            self._scan_receiver(target)
            replaced = path_of(target.value) if is_full_slice(target) and value is not None else None
            if replaced is not None and not references_name(value, replaced.root):
                self._reset(replaced, "clear")  # ``X[:] = [...]`` replaces every element (not a rebinding)
            elif value is not None and _reads(value, target):
                self._store_item(target, "updated from its own value", accumulates=True)
            else:
                self._store_item(target, "assigned an item")
        elif type(target) is cst.Attribute:
            self._scan_part(target.value)
            path = path_of(target)
            if path is None:
                return
            if path.root == self.info.receiver_name and len(path.attrs) == 1:
                self.builder.note_self_assignment(self.info, path.attrs[0], value, self.statement)
            if value is not None and _reads(value, target):
                self._mutate(path, "reassigned from its own value", rebind=True, accumulates=True)
            elif value is not None:
                self._reset(path, "clear", value)

    def _bind_name(self, name: str, value) -> None:
        if self.class_scope:  # ``class K: HEADERS = {...}`` binds K.HEADERS, whatever the module has
            return
        if self.info.rebinds_outside(name):
            if value is not None and references_name(value, name):
                self._mutate(RefPath(name), "reassigned from its own value", rebind=True)
            else:
                self._reset(RefPath(name), "clear", value)
            return
        self.info.locals.add(name)
        if value is None:
            return
        alias = path_of(value)
        if alias is not None:
            self.info.aliases[name] = alias
        elif type(value) is cst.Call:
            callee = dotted_name(value.func)
            if callee in self.builder.model.classes:
                self.info.local_instances[name] = callee
            elif self._library_name(value.func) in CSV_WRITERS and value.args:
                target = path_of(value.args[0].value)  # ``writer = csv.writer(BUFFER)`` writes to BUFFER
                if target is not None:
                    self.info.aliases[name] = target
            elif callee is not None:  # maybe a class imported from another module: the project pass decides
                self.info.local_instances[name] = callee

    def _augment(self, node: cst.AugAssign) -> None:
        target = node.target
        verb = f"updated with {detached_code(node.operator).strip()}"
        if type(target) is cst.Name:
            if self.info.rebinds_outside(target.value):
                self._mutate(RefPath(target.value), verb, rebind=True, augmented=True)
            else:
                self.info.locals.add(target.value)
        elif type(target) is cst.Subscript:
            self._scan_receiver(target)
            self._store_item(target, verb, accumulates=True)
        elif type(target) is cst.Attribute:
            self._scan_part(target.value)
            path = path_of(target)
            if path is not None:
                self._mutate(path, verb, augmented=True, accumulates=True)

    def _store_item(self, target: cst.Subscript, verb: str, accumulates: bool = False) -> None:
        base = path_of(target.value)
        if base is None:
            return
        keys = tuple(subscript_keys(target))
        keys_constant = all(is_configuration(key) for key in keys)
        self._mutate(base, verb, grows_mapping=not (base.const_keys and keys_constant), keys=keys,
                     accumulates=accumulates, item=_constant_item(target))

    def _delete(self, target) -> None:
        if type(target) is cst.Subscript:
            self._reset(path_of(target.value), "clear" if is_full_slice(target) else "evict",
                        item=_constant_item(target))
        elif type(target) in (cst.Tuple, cst.List):
            for element in target.elements:
                self._delete(element.value)
        elif type(target) is cst.Name:
            self.info.locals.add(target.value)

    def _mutate(self, path, verb, grows_mapping=True, rebind=False, augmented=False, keys=(), appends=False,
                groups=False, accumulates=False, item=()) -> None:
        if path is not None:
            self.step.mutations.append(
                Mutation(path, verb, self.statement, grows_mapping, rebind=rebind, augmented=augmented, keys=keys,
                         guards=self.guards, appends=appends, groups=groups, accumulates=accumulates,
                         unconditional=not self.conditional, item=item, branches=self.branches,
                         region=self.region)
            )

    def _reset(self, path: Optional[RefPath], kind: str, value=None, item=()) -> None:
        if path is not None:
            self.step.resets.append(
                Reset(path, kind, not self.conditional, self.statement, self.region, value=value, guards=self.guards,
                      branches=self.branches, item=item)
            )

    # -- expressions -------------------------------------------------------
    def _scan_expr(self, node: cst.CSTNode) -> None:
        _EXPRESSION_SCANNERS.get(type(node), FunctionScanner._scan_children)(self, node)

    def _scan_reference(self, node) -> None:
        """A name or attribute read (unless part of a longer reference), and
        possibly a function handed on as a callback."""
        path = path_of(node)
        if path is not None and not self.receiving:  # not ``X`` of ``X.attr``: that is not handed on
            if len(path.attrs) <= 1:
                self.step.calls.append(CallRef(path, False, False, node, self.statement))
            self.step.reads.append((path, (), self.statement, self.branches))
        if type(node) is cst.Attribute:
            self._scan_part(node.value)

    def _scan_part(self, node) -> None:
        """The object of an attribute, an item or a change (``X`` in ``X.a``,
        ``X["k"]``, ``X.append(v)``): not read as a whole by itself."""
        saved, self.receiving = self.receiving, type(node) in (cst.Name, cst.Attribute, cst.Subscript)
        self._scan_expr(node)
        self.receiving = saved

    def _scan_subscript(self, node: cst.Subscript) -> None:
        base = path_of(node.value)
        self._lookup(base)
        if base is not None and not self.receiving:
            self.step.reads.append((base, _constant_item(node), self.statement, self.branches))
        self._scan_part(node.value)
        saved, self.receiving = self.receiving, False
        for key in subscript_keys(node):
            self._scan_expr(key)
        self.receiving = saved

    def _scan_if_expression(self, node: cst.IfExp) -> None:
        self._scan_expr(node.test)
        self._lookup_truthiness(node.test)
        region = "a conditional expression"
        self._scan_guarded(node.test, True, node.body, region, self._scan_conditional_exprs)
        self._scan_guarded(node.test, False, node.orelse, region, self._scan_conditional_exprs)

    def _scan_boolean(self, node: cst.BooleanOperation) -> None:
        self._scan_expr(node.left)
        self._lookup_truthiness(node.left)
        positive = type(node.operator) is cst.And  # ``a and b`` runs b when a is true
        self._scan_guarded(node.left, positive, node.right, "a conditional expression", self._scan_conditional_exprs)

    def _scan_deferred(self, node) -> None:
        """Lambdas and comprehensions: their bodies may run any number of times."""
        loop = getattr(node, "for_in", None)
        while loop is not None:  # comprehension variables take values from their iterables
            self.info.flows.append((loop.target, loop.iter))
            loop = loop.inner_for_in
        self._scan_conditional_exprs(list(child_nodes(node)), "a lambda or comprehension")

    def _scan_walrus(self, node: cst.NamedExpr) -> None:
        self._scan_expr(node.value)
        self.info.flows.append((node.target, node.value))
        self._bind_target(node.target, node.value)

    def _scan_receiver(self, node: cst.CSTNode) -> None:
        """The object an operation acts on: ``X[k]`` in ``X[k].append(v)`` is
        not a lookup of ``X``, nor a read."""
        if type(node) is cst.Subscript:
            self._scan_receiver(node.value)
            for key in subscript_keys(node):
                self._scan_expr(key)
        else:
            self._scan_part(node)

    def _scan_children(self, node: cst.CSTNode) -> None:
        for child in child_nodes(node):
            self._scan_expr(child)

    def _scan_conditional_exprs(self, nodes, region: str) -> None:
        saved = self.conditional, self.region, self.branches
        self.conditional, self.region, self.branches = True, region, None
        for node in nodes:
            self._scan_expr(node)
        self.conditional, self.region, self.branches = saved

    def _lookup_truthiness(self, test) -> None:
        """``if BATCH:`` / ``while QUEUE:`` / ``not X``: reading whether it holds anything."""
        tested = _truth_tested(test)
        if tested is not None:
            self._lookup(tested)

    def _scan_comparison(self, node: cst.Comparison) -> None:
        saved, self.in_comparison = self.in_comparison, True
        for operand in (node.left, *(target.comparator for target in node.comparisons)):
            path = path_of(operand)
            self._lookup(path)
            if path is not None:
                self.info.compared.append(path)
        self._scan_children(node)
        self.in_comparison = saved

    def _lookup(self, path: Optional[RefPath]) -> None:
        if path is not None:
            self.info.lookups.append(path)

    def _scan_call(self, node: cst.Call) -> None:
        func = node.func
        callee = path_of(func)
        if callee is None and type(func) is cst.Attribute:
            callee = RefPath(_made_by(func.value), (func.attr.value,))  # a method of a computed object
        if callee is not None:
            self.step.calls.append(
                CallRef(callee, True, not self.conditional, node, self.statement,
                        always=not (self.conditional or self.exited_early), withs=self.withs, guards=self.guards,
                        region=self.region, branches=self.branches)
            )
            if not callee.attrs:
                self.info.called_names.add(callee.root)
        if type(func) is cst.Attribute:
            self._method_call(node, func)
            self._scan_receiver(func.value)
        elif type(func) is cst.Name:
            self._builtin_call(node, func.value)
        else:
            self._scan_expr(func)
        dumper = _DUMPERS.get(self._library_name(func) or "")
        if dumper is not None:
            self._mutate(path_of(_argument(node, *dumper)), "written to")
        for arg in node.args:
            self._scan_expr(arg.value)

    def _library_name(self, node) -> Optional[str]:
        """``json.dump`` for ``json.dump`` / ``dump`` / ``j.dump``, through the
        function's and the module's imports; None when not imported."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.info.imports.get(head) or self.builder.model.imports.get(head)
        return None if full is None else f"{full}.{rest}" if rest else full

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> None:
        method = func.attr.value
        receiver = path_of(func.value)
        if receiver is None:
            return
        if method in _GROWTH_VERBS:
            self._mutate(receiver, _GROWTH_VERBS[method], appends=True)
        elif method in _KEYED_VERBS:
            if method == "update":
                grows = not _constant_mapping_args(node)
            else:
                grows = not (node.args and is_configuration(node.args[0].value))
            keys = (node.args[0].value,) if method != "update" and node.args else ()
            groups = method == "setdefault" and len(node.args) > 1 and _is_empty_container(node.args[1].value)
            self._mutate(receiver, _KEYED_VERBS[method], grows_mapping=grows or not receiver.const_keys, keys=keys,
                         groups=groups)
        elif method == "clear":
            self._reset(receiver, "clear")
        elif method in ("pop", "popitem", "popleft"):
            self._reset(receiver, "evict", item=_popped_item(node, func))
        elif method == "seek" and _first_arg_is_zero(node) and _from_start(node):
            self._reset(receiver, "seek0")
        elif method == "truncate" and (not node.args or _first_arg_is_zero(node)):
            self._reset(receiver, "truncate")
        elif method in _LOOKUP_METHODS:
            self._lookup(receiver)
            key = node.args[0].value if method == "get" and node.args else None
            item = (key_text(key),) if key is not None and is_constant(key) else ()
            self.step.reads.append((receiver, item, self.statement, self.branches))
        else:
            self.step.reads.append((receiver, (), self.statement, self.branches))  # ``X.items()``, ``TEXT.upper()``: read as a whole

    def _builtin_call(self, node: cst.Call, name: str) -> None:
        if name == "print":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "file":
                    self._mutate(path_of(arg.value), "written to")
        elif name == "len" and self.in_comparison and node.args:
            self._lookup(path_of(node.args[0].value))


def _made_by(receiver: cst.CSTNode) -> str:
    """The root of a method called on a computed object: ``Batch()`` for
    ``Batch().add(x)`` / ``Batch(size).add(x)``, ``models.Batch()`` for
    ``models.Batch().add(x)`` (the project pass resolves it when the name is a
    project class: ``Names.resolve_callee``); "" for anything else
    (``items[0].add(x)``, ``Batch().with_size(2).add(x)``).  Never a name a
    scope binds, so it resolves to no state."""
    if type(receiver) is cst.Call:
        made = dotted_name(receiver.func)
        if made is not None:
            return made + "()"
    return ""


def _argument(call: cst.Call, index: int, keyword: str):
    """The argument passed at ``index`` or as ``keyword``, or None."""
    for position, arg in enumerate(call.args):
        if (arg.keyword is None and not arg.star and position == index) or (
            arg.keyword is not None and arg.keyword.value == keyword
        ):
            return arg.value
    return None


def _truth_tested(test) -> Optional[RefPath]:
    """The path whose truthiness (or size) ``test`` checks: ``X``, ``not X``, ``len(X)``."""
    while type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        test = test.expression
    if type(test) is cst.Call and dotted_name(test.func) == "len" and len(test.args) == 1:
        test = test.args[0].value
    path = path_of(test)
    return path if path is not None and not path.element else None


def _first_arg_is_zero(node: cst.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0].value, cst.Integer) and node.args[0].value.value == "0"


def _from_start(node: cst.Call) -> bool:
    """``seek(0)`` or ``seek(0, io.SEEK_SET)``; ``seek(0, io.SEEK_END)`` goes to the end."""
    if len(node.args) < 2:
        return True
    whence = node.args[1].value
    name = dotted_name(whence) or ""
    return name.endswith("SEEK_SET") or (isinstance(whence, cst.Integer) and whence.value == "0")




_STATEMENT_SCANNERS = {
    cst.SimpleStatementLine: FunctionScanner._scan_line,
    cst.FunctionDef: FunctionScanner._scan_nested_function,
    cst.ClassDef: FunctionScanner._scan_class,
    cst.If: FunctionScanner._scan_if,
    cst.For: FunctionScanner._scan_for,
    cst.While: FunctionScanner._scan_while,
    cst.With: FunctionScanner._scan_with,
    cst.Try: FunctionScanner._scan_try,
    cst.TryStar: FunctionScanner._scan_try,
    cst.ExceptHandler: FunctionScanner._scan_except,
    cst.ExceptStarHandler: FunctionScanner._scan_except,
    cst.Else: FunctionScanner._scan_clause,
    cst.Finally: FunctionScanner._scan_clause,
    cst.IndentedBlock: FunctionScanner._scan_block,
    cst.SimpleStatementSuite: FunctionScanner._scan_block,
    cst.Match: FunctionScanner._scan_match,
}
_EXPRESSION_SCANNERS = {
    cst.Call: FunctionScanner._scan_call,
    cst.Name: FunctionScanner._scan_reference,
    cst.Attribute: FunctionScanner._scan_reference,
    cst.Subscript: FunctionScanner._scan_subscript,
    cst.Comparison: FunctionScanner._scan_comparison,
    cst.IfExp: FunctionScanner._scan_if_expression,
    cst.BooleanOperation: FunctionScanner._scan_boolean,
    cst.Lambda: FunctionScanner._scan_deferred,
    cst.ListComp: FunctionScanner._scan_deferred,
    cst.SetComp: FunctionScanner._scan_deferred,
    cst.GeneratorExp: FunctionScanner._scan_deferred,
    cst.DictComp: FunctionScanner._scan_deferred,
    cst.NamedExpr: FunctionScanner._scan_walrus,
}
