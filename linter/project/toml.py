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
