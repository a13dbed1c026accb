"""Plain data passed between the engine, the fixer and the reporters.

Kept free of LibCST so that reporters and the CLI can be imported without
paying for the parser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple


@dataclass(frozen=True)
class Fix:
    """A fix a rule offers: declarative CST edits plus how safe they are.

    ``edits`` are objects from :mod:`linter.fixing.edits`; ``text_edits`` is filled by
    the engine (only when a reporter needs it) with the equivalent text
    replacements, for JSON and SARIF consumers.
    """

    applicability: str  # "safe" or "unsafe"
    message: str
    edits: Tuple[object, ...]
    text_edits: Tuple[dict, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    path: str
    line: int
    column: int  # 1-based, as flake8 and ruff print it
    end_line: int
    end_column: int
    handler: Optional[str] = None
    fix: Optional[Fix] = None

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def fixed_by(self, unsafe: bool) -> bool:
        """Whether ``fix`` (``--unsafe-fixes`` when ``unsafe``) applies this finding's fix."""
        return self.fix is not None and (self.fix.applicability == "safe" or unsafe)


@dataclass(frozen=True)
class FileError:
    """A file the tool could not read, parse or fix: reported on one line."""

    path: str
    message: str
    line: int = 0
    column: int = 0
    level: str = "error"  # or "warning": reported, but the run still did its job

    def render(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"

    @property
    def fails(self) -> bool:
        return self.level == "error"


@dataclass
class FileResult:
    path: str
    diagnostics: list = field(default_factory=list)
    errors: list = field(default_factory=list)
