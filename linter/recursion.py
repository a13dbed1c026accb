"""How deep the analysis may recurse.

The analysis and LibCST walk syntax trees recursively, and valid code nests
deeper than Python's default 1,000 frames allow (a sum of a few hundred terms
already does).  CPython's parser bounds the nesting of what reaches them
(:mod:`linter.parsing.depth` bounds it further), so a higher limit is safe.
The command sets it before any worker process is forked (they inherit it);
the flake8 plugin sets it in flake8's process, which leaves the default.
"""
from __future__ import annotations

import sys

RECURSION_LIMIT = 20000


def allow_deep_recursion() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
