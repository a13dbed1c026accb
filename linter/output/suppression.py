"""``# noqa`` on the reported line (as flake8 reads it) and the file-level
``# warmstate: noqa`` (optionally with codes)."""
from __future__ import annotations

import re
from typing import Optional, Sequence, Set

# flake8's own pattern (flake8.defaults.NOQA_INLINE_REGEXP), so both tools agree.
_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_FILE = re.compile(
    r"^[ \t]*#[ \t]*warmstate:[ \t]*noqa(?::[ \t]*(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
ALL = None  # marker: every code is suppressed


def _split(codes: str) -> Set[str]:
    return {code.upper() for code in re.split(r"[,\s]+", codes.strip()) if code}


def file_suppression(text: str) -> Optional[Set[str]]:
    """Codes suppressed for the whole file: an empty set for none, None for all."""
    suppressed: Set[str] = set()
    for match in _FILE.finditer(text):
        if match.group("codes") is None:
            return ALL
        suppressed |= _split(match.group("codes"))
    return suppressed


def line_suppresses(line: str, code: str) -> bool:
    match = _INLINE.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or any(code.startswith(c) for c in _split(codes))


def is_suppressed(lines: Sequence[str], line_number: int, code: str, file_codes: Optional[Set[str]]) -> bool:
    if file_codes is ALL or any(code.startswith(c) for c in file_codes):
        return True
    return 0 < line_number <= len(lines) and line_suppresses(lines[line_number - 1], code)
