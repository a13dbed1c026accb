"""The TOML parser (``tomllib``, or ``tomli`` before Python 3.11), imported
when there is a ``pyproject.toml`` to read: a SAM project often has none, and
a rerun of one then never pays for the import."""
from __future__ import annotations

import sys


def toml_parser():
    """The module: its ``load`` and ``TOMLDecodeError``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older interpreters only
        import tomli as tomllib
    return tomllib


def value_at(document: dict, *keys: str):
    """The value at ``document[keys[0]][keys[1]]...`` (a table, a list, ...);
    an empty table where a key is missing or a table on the way is not one
    (``tool = 1`` is another tool's business, not a reason to fail)."""
    value = document
    for key in keys:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value
