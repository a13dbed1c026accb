"""A large unit cut into pieces that can be analysed apart.

A unit is a connected group of importing files (:mod:`linter.project.units`),
and one layer every function imports makes a whole repository one unit: one
process, a full analysis again after any change, every syntax tree in memory
at once.  But an invocation runs only code its handler's module imports, so
what a handler leads to is found in the import closure of its file.  A piece
is the closure of a few files that may hold a handler (decided from the text,
before anything is parsed); the files on no invocation path (tests, CDK
stacks, scripts) make pieces of their own, which only need parsing.

Only a finding in a file several pieces share can depend on handlers of
several pieces (a layer's state reached from two functions names both), so
each piece also reports what it finds in its shared files, and unless all
report the same the unit is analysed whole (:mod:`linter.pieces_run`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, FrozenSet, List, Optional, Sequence, Tuple

from linter.project.units import ImportGraph

PIECE_FILES = 48  # a piece takes handler files until it holds this many files
SPLIT_MINIMUM = 2 * PIECE_FILES  # a smaller unit is analysed whole
OVERLAP_LIMIT = 1.5  # pieces holding more files than this many times the unit's: analysed whole


@dataclass(frozen=True)
class Piece:
    files: Tuple[str, ...]
    shared: FrozenSet[str]  # those of its files that another piece holds too


def split(graph: ImportGraph, unit: Sequence[str], may_hold_handler: Callable[[str], bool]) -> Optional[List[Piece]]:
    """``unit`` as pieces, or None when it is too small to be worth cutting
    or cannot be cut.  Every file that may hold a handler is in a piece with
    every file it imports, directly or not."""
    if len(unit) < SPLIT_MINIMUM:
        return None
    closures = {path: graph.imported_from([path]) for path in unit if may_hold_handler(path)}
    widest, covered = [], set()
    for root in sorted(closures, key=lambda path: (-len(closures[path]), path)):
        if root not in covered:  # a root another root imports is in that root's piece, with all it imports
            widest.append(root)
            covered |= closures[root]
    groups: List[set] = []
    for root in sorted(widest):  # neighbours in the tree usually share the most
        if not groups or len(groups[-1]) >= PIECE_FILES:
            groups.append(set())
        groups[-1] |= closures[root]
    rest = sorted(set(unit) - covered)
    groups.extend(set(rest[start:start + PIECE_FILES]) for start in range(0, len(rest), PIECE_FILES))
    if len(groups) < 2 or sum(map(len, groups)) > OVERLAP_LIMIT * len(unit):
        return None  # a package whose modules import most of it (a registry of everything) is cheaper whole
    holders = Counter(path for group in groups for path in group)
    return [Piece(tuple(sorted(group)), frozenset(path for path in group if holders[path] > 1)) for group in groups]
