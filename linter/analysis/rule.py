"""What a rule is: its documentation, and a query over the Analysis.

Rules live in the ``rules`` package, one module each, and import nothing from
LibCST at module level, so that ``warmstate rule`` and the CLI start quickly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence, Tuple

from linter.output.diagnostics import Fix


@dataclass(frozen=True)
class Finding:
    code: str
    node: Any  # the LibCST node the finding is reported at
    message: str
    handlers: Tuple[Any, ...] = ()  # the handlers whose invocation path it is on, the one named first
    fix: Optional[Fix] = None
    module: Optional[str] = None  # the file it is reported in (found from the node when not given)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # what it finds, one line (the README's rule table)
    why: str
    bad: str
    good: str
    fix: str  # what the fix does, one line
    safety: str  # "safe", "unsafe", "safe, or unsafe when …", or "none"
    check: Callable[[Any], Iterable[Finding]]
    example_requirements: Tuple[str, ...] = ()  # the library versions the examples assume are declared
    # The packages the rule is about: it can only find something in a unit
    # whose text names one of them (their calls qualify through an import of
    # them), so it is not run on the others.  Empty: run everywhere.
    libraries: Tuple[str, ...] = ()

    def documentation(self) -> str:
        return (
            f"{self.code} ({self.name})\n\n{self.summary}\n\n"
            f"Why this is bad\n{self.why}\n\n"
            f"Example\n{_indent(self.bad)}\n"
            f"Use instead\n{_indent(self.good)}\n"
            f"Fix: {self.fix}\nFix safety: {self.safety}\n"
        )


    def markdown(self) -> str:
        """The rule's section of docs/rules.md (and SARIF's help text)."""
        return (
            f"## {self.code}\n\n**{self.name}**: {self.summary}\n\n"
            f"### Why this is bad\n\n{self.why}\n\n"
            f"### Example\n\n```python\n{self.bad.strip()}\n```\n\n"
            f"### Use instead\n\n```python\n{self.good.strip()}\n```\n\n"
            f"**Fix:** {self.fix}\n\n**Fix safety:** {self.safety}\n"
        )


def _indent(code: str) -> str:
    return "".join("    " + line + "\n" if line.strip() else "\n" for line in code.strip("\n").splitlines())


def handler_phrase(handlers: Sequence, module: Optional[str] = None) -> str:
    """``handler main()`` / ``handlers a() and b()`` for messages; a handler
    of another module than ``module`` is named with its module:
    ``handler main() in orders/app.py``."""
    named = [
        f"{handler.name}()" if module is None or handler.module == module else f"{handler.name}() in {handler.module}"
        for handler in handlers
    ]
    if len(named) == 1:
        return f"handler {named[0]}"
    return "handlers " + ", ".join(named[:-1]) + " and " + named[-1]


def value_name(analysis, key) -> str:
    """How messages name a state holding one value: ``module-level name
    'total'``, ``attribute 'stats.processed' of a module-level object``,
    ``attribute 'calls' of function lambda_handler()``, ``variable 'count' of
    the closure make_handler() made at import``."""
    if analysis.states.is_closure_variable(key):
        return f"variable '{key[-1]}' of the closure {key[1]}() made at import"
    if analysis.states.is_function_attribute(key):
        return f"attribute '{key[2]}' of function {key[1]}()"
    if len(key) == 3:
        return f"attribute '{'.'.join(key[1:])}' of a module-level object"
    return f"module-level name '{key[1]}'"


def where_in(analysis, statement, function, module: str) -> str:
    """``record() (line 12)``, or ``record() (lib/audit.py, line 12)`` when
    ``function`` is in another module than ``module`` (where the finding is reported)."""
    line = analysis.line(statement, function)
    place = f"line {line}" if function.module == module else f"{function.module}, line {line}"
    return f"{function.display}() ({place})"


def reached_from(analysis, handlers: Sequence, function, module: str, receiver=None) -> str:
    """``handler lambda_handler()``; for a handler in another module than
    ``module`` (where the finding is reported), with its module and the call
    chain: ``handler lambda_handler() in app.py (lambda_handler() → record())``."""
    phrase = handler_phrase(handlers, module)
    first = handlers[0]
    if first.module == module or first.key == function.key:
        return phrase
    return f"{phrase} ({analysis.call_chain(first, function, receiver)})"

