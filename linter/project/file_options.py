"""How one file is checked: the settings that apply to it (read from the
configuration, the command line and the deployment definitions)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from linter.project.accumulators import Accumulator


@dataclass(frozen=True)
class FileOptions:
    codes: FrozenSet[str]  # the rule codes enabled for this file
    handlers: Optional[Dict[str, str]] = None  # explicit handlers: name -> how given
    optional_handlers: FrozenSet[str] = frozenset()  # named by deployment definitions: missing is a warning
    text_edits: bool = False  # fill Fix.text_edits (JSON/SARIF output)
    inline_noqa: bool = True  # False under flake8, which applies ``# noqa`` itself
    accumulators: Tuple[Accumulator, ...] = ()  # accumulating types the project declares (LAM108)
