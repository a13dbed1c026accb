"""flake8 plugin: the findings of ``warmstate check``, reported by flake8.

flake8 classifies a plugin by its constructor's parameter names, so this one
takes ``tree`` (making it a tree plugin, run once per file) but analyses the
``lines`` flake8 has already read: no second read of the file.  flake8 applies
``# noqa`` itself and never reads pyproject.toml, so the plugin reads
``[tool.warmstate]`` (handlers, select, ignore, per-file-ignores) from the
pyproject.toml nearest to each file.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Iterator, Optional, Tuple

from linter import __version__
from linter.project.config import ConfigError
from linter.project.settings import Selection, Settings, load_settings


def _known_codes():
    from rules import ALL_RULES

    return [rule.code for rule in ALL_RULES]


@lru_cache(maxsize=None)
def _settings(directory: str, handlers: Tuple[str, ...]) -> Optional[Settings]:
    try:
        return load_settings(directory, Selection(handlers=list(handlers)), _known_codes())
    except ConfigError as error:
        print(f"warmstate: error: {error}", file=sys.stderr)
        return None


class WarmstateChecker:
    name = "warmstate"
    version = __version__
    handlers: Tuple[str, ...] = ()

    def __init__(self, tree, filename: str, lines):
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        manager.add_option(
            "--warmstate-handlers",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Lambda handlers as MODULE_OR_PATH:FUNC, comma-separated (replace the heuristics per file)",
        )

    @classmethod
    def parse_options(cls, options) -> None:
        cls.handlers = tuple(options.warmstate_handlers)

    def run(self) -> Iterator[tuple]:
        from linter.engine import FileOptions, lint_text
        from rules import ALL_RULES

        settings = _settings(os.path.dirname(os.path.abspath(self.filename)), self.handlers)
        if settings is None:
            return
        text = "".join(self.lines)
        if text.startswith("\ufeff"):
            text = text[1:]
        options = FileOptions(
            settings.codes_for(self.filename), settings.handlers_for(self.filename), inline_noqa=False
        )
        # A file LibCST cannot parse gives no findings: flake8 reports E999 itself.
        for diagnostic in lint_text(self.filename, text, options, ALL_RULES).diagnostics:
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
