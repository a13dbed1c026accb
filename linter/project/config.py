"""``[tool.warmstate]`` in the nearest pyproject.toml, merged with the command line.

Every key and code is validated: a typo is an error with a clear message, not a
setting silently ignored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from linter.project.accumulators import Accumulator, AccumulatorSpecError, parse_accumulator
from linter.project.toml import value_at, toml_parser


KNOWN_KEYS = ("select", "ignore", "exclude", "per-file-ignores", "handlers", "accumulators")


class ConfigError(Exception):
    """Bad configuration or command-line value; the message says where and what."""


@dataclass(frozen=True)
class HandlerSpec:
    """``MODULE_OR_PATH:FUNC`` from ``--handler`` or the ``handlers`` setting."""

    text: str
    target: str
    function: str
    base: str  # directory a relative path is resolved against
    origin: str  # how the user gave it, for ``warmstate handlers``

    def matches(self, path: str) -> bool:
        absolute = os.path.abspath(path)
        if self.target.endswith(".py") or "/" in self.target or os.sep in self.target:
            return absolute == os.path.abspath(os.path.join(self.base, self.target))
        module_path = self.target.replace(".", "/")
        posix = absolute.replace(os.sep, "/")
        return any(posix.endswith("/" + module_path + suffix) for suffix in (".py", "/__init__.py"))


def parse_handler_spec(text: str, base: str, origin: str) -> HandlerSpec:
    """``MODULE_OR_PATH:NAME``, NAME a function, a module-level handler
    object or ``Class.method``."""
    target, _, function = text.rpartition(":")
    if not target or not all(part.isidentifier() for part in function.split(".")) or function.count(".") > 1:
        raise ConfigError(f"{origin}: handler '{text}' is not MODULE_OR_PATH:FUNCTION or MODULE_OR_PATH:Class.method")
    return HandlerSpec(text, target, function, base, origin)


def _shown(path: str) -> str:
    """``path`` relative to the current directory when it is below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


@dataclass
class Config:
    root: str
    source: Optional[str] = None  # the pyproject.toml it came from
    select: List[str] = field(default_factory=lambda: ["LAM"])
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    handlers: List[HandlerSpec] = field(default_factory=list)
    accumulators: Tuple[Accumulator, ...] = ()  # declared accumulating types (LAM108)


def find_pyproject(start: str) -> Optional[str]:
    directory = os.path.abspath(start)
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _string_list(value, where: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return value


def validate_codes(codes: Iterable[str], known: Sequence[str], where: str) -> List[str]:
    checked = []
    for code in codes:
        normalized = code.strip().upper()
        if normalized != "ALL" and not any(k.startswith(normalized) for k in known):
            raise ConfigError(f"{where}: unknown rule code or prefix '{code}'")
        checked.append("LAM" if normalized == "ALL" else normalized)
    return checked


def load_config(start: str, explicit: Optional[str], known_codes: Sequence[str]) -> Config:
    path = explicit or find_pyproject(start)
    if path is None:
        return Config(root=os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or "."))
    tomllib = toml_parser()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table = value_at(document, "tool", "warmstate")
    config = Config(root=os.path.dirname(os.path.abspath(path)), source=path)
    where = f"{path}: [tool.warmstate]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}' (expected one of: {', '.join(KNOWN_KEYS)})")
        if key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where} per-file-ignores must be a table of pattern = [codes]")
            config.per_file_ignores = {
                pattern: validate_codes(_string_list(codes, f"{where} per-file-ignores '{pattern}'"), known_codes, where)
                for pattern, codes in value.items()
            }
        elif key == "handlers":
            config.handlers = [
                parse_handler_spec(spec, config.root, f"{_shown(path)} handlers")
                for spec in _string_list(value, f"{where} handlers")
            ]
        elif key == "accumulators":
            try:
                config.accumulators = tuple(parse_accumulator(spec) for spec in _string_list(value, f"{where} accumulators"))
            except AccumulatorSpecError as error:
                raise ConfigError(f"{where}: {error}") from None
        elif key == "exclude":
            config.exclude = _string_list(value, f"{where} exclude")
        else:
            setattr(config, key, validate_codes(_string_list(value, f"{where} {key}"), known_codes, where))
    return config
