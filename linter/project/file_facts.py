"""What every run needs to know of each file of the project, read without
parsing it: the digest of its text (which decides whether a cached result
still holds), the modules it imports (the import graph), whether it may hold
a handler (how a large group is cut into pieces) and the Lambda functions a
CDK stack in it declares.

Reading and scanning every file of a 3,600-file project cost half a second
of each run, most of a run whose results are all cached.  With a cache, the
facts are kept in it, keyed by each file's inode, size and modification and
change times, as git's index and ruff's cache key files: a file whose
``stat`` is unchanged is not read again.  A file written in the last two
seconds is not kept (git's "racily clean" entries): on a file system with a
coarse clock, an edit in the same tick could leave the times unchanged.
The change time cannot be set back by tools that restore modification
times (``touch -d``, archive extraction), so such a file is read again.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Callable, Dict, NamedTuple, Optional, Sequence, Set, Tuple

from linter.parsing.source import SourceError, read_source
from linter.project.deployment.documents import load_document
from linter.project.layout import Layout
from linter.project.paths import absolute_paths
from linter.project.units import imported_files, imported_names

RACY_NANOSECONDS = 2_000_000_000  # FAT's clock ticks every two seconds


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


class Facts(NamedTuple):
    """A tuple, not a frozen dataclass: a rerun makes one per file of the project from what was kept."""

    digest: str
    imports: Tuple[str, ...]
    may_hold_handler: bool
    cdk_functions: Tuple[Tuple[str, ...], ...]

    @classmethod
    def of_text(cls, text: str) -> "Facts":
        # Imported when a file must be read: a rerun with nothing changed never needs CPython's parser module.
        from linter.analysis.entry_points import may_hold_handler_text
        from linter.project.deployment.cdk_stacks import declared_functions

        return cls(text_digest(text), tuple(imported_names(text)), may_hold_handler_text(text),
                   tuple(tuple(declared) for declared in declared_functions(text)))

    @classmethod
    def from_data(cls, data: list) -> "Facts":
        digest, imports, may_hold_handler, cdk_functions = data
        return cls(digest, tuple(imports), may_hold_handler,
                   tuple(map(tuple, cdk_functions)) if cdk_functions else ())

    def as_data(self) -> list:
        """What :meth:`from_data` reads."""
        return list(self)


class FileFacts:
    """The facts of the files a run looks at, each read at most once.

    With what an earlier run kept (``known``: absolute path -> [stamp,
    facts, the absolute paths of the files it imports]; ``layout``: the
    digest of the layout those were resolved in), only the files whose stamp
    changed are read, and only theirs (or all, when the layout changed:
    a file added, say) have their imports resolved again."""

    def __init__(self, known: Optional[Dict[str, list]] = None, layout: Optional[str] = None,
                 documents: Optional[Dict[str, list]] = None):
        """``documents``: absolute path -> [stamp, document], of deployment definitions."""
        self._known = known if known is not None else {}
        self._known_layout = layout
        self._known_documents = documents if documents is not None else {}
        self._documents: Dict[str, list] = {}  # as _kept, for documents
        self.layout: Optional[str] = None  # the digest of the layout this run resolved imports in
        self._kept: Dict[str, list] = {}
        self._facts: Dict[str, Optional[Facts]] = {}
        self._where: Dict[str, str] = {}  # file name -> absolute path, the key of what is kept
        self._trusted: Set[str] = set()  # files whose stamp was known: kept facts hold
        self._resolved: Set[str] = set()  # files whose imports were resolved in this run's layout
        self._read = 0  # files whose facts or imports were worked out in this run and can be kept

    @classmethod
    def from_kept(cls, kept: dict) -> "FileFacts":
        """What :meth:`to_keep` gave an earlier run (KeyError, TypeError or ValueError when not that)."""
        return cls(dict(kept["files"]), kept["layout"], dict(kept["documents"]))

    def of(self, path: str) -> Optional[Facts]:
        """The file's facts; None when it cannot be read (reported when it is checked)."""
        if path not in self._facts:
            self._facts[path] = self._look_up(path)
        return self._facts[path]

    def imports(self, path: str) -> Tuple[str, ...]:
        facts = self.of(path)
        return facts.imports if facts is not None else ()

    def may_hold_handler(self, path: str) -> bool:
        facts = self.of(path)
        return facts is not None and facts.may_hold_handler

    def cdk_functions(self, path: str) -> Tuple[Tuple[str, ...], ...]:
        facts = self.of(path)
        return facts.cdk_functions if facts is not None else ()

    def imported_files(self, path: str, layout: Layout) -> Set[str]:
        """The project files ``path`` imports (:func:`linter.project.units.imported_files`)."""
        names = self.imports(path)  # looks the file up first
        where = self._where[path]
        self.layout = layout.digest
        entry = self._kept.get(where)
        if entry is not None and where in self._trusted and self._known_layout == layout.digest and len(entry) > 2:
            self._resolved.add(where)
            return {layout.names[target] for target in entry[2]}
        found = imported_files(layout, path, names)
        if entry is not None:
            entry[2:] = [sorted(os.path.abspath(target) for target in found)]
            self._resolved.add(where)
            self._read += 1
        return found

    def digests(self) -> Dict[str, str]:
        """The digest of each file looked at so far, by path."""
        return {path: facts.digest for path, facts in self._facts.items() if facts is not None}

    def document(self, path: str, parse: Callable[[str], object] = load_document):
        """``parse(path)`` (a deployment definition's document), read back
        when the file's stamp is the one it was kept with.  Kept only when
        JSON gives it back exactly (not a YAML date, nor a mapping with
        number keys), and not when just written."""
        where = os.path.abspath(path)
        status = os.stat(path)
        stamp = _stamp(status)
        known = self._known_documents.get(where)
        if known is not None and known[0] == stamp:
            self._documents[where] = known
            return known[1]
        document = parse(path)
        if not _racy(status) and _round_trips(document):
            self._documents[where] = [stamp, document]
            self._read += 1
        return document

    def to_keep(self) -> Optional[dict]:
        """What a later run can trust (the files looked at in this run,
        except those written just now, with the files they import when
        resolved in ``layout``; the documents read), or None when that is
        what it was given."""
        if (not self._read and len(self._kept) == len(self._known) and self.layout == self._known_layout
                and len(self._documents) == len(self._known_documents)):
            return None
        files = {where: entry if where in self._resolved else entry[:2] for where, entry in self._kept.items()}
        return {"layout": self.layout, "files": files, "documents": self._documents}

    def locate(self, paths: Sequence[str]) -> Dict[str, str]:
        """The absolute paths of ``paths`` (the project's files), by which facts are kept:
        runs from other directories show them by other names."""
        found = absolute_paths(paths)
        self._where.update(found)
        return found

    def _look_up(self, path: str) -> Optional[Facts]:
        where = self._where.get(path) or self._where.setdefault(path, os.path.abspath(path))
        try:
            status = os.stat(path)
        except OSError:
            return None
        stamp = _stamp(status)
        known = self._known.get(where)
        if known is not None and known[0] == stamp:
            try:
                facts = Facts.from_data(known[1])
            except (TypeError, ValueError):  # kept by another version of warmstate: read again
                pass
            else:
                self._kept[where] = list(known)
                self._trusted.add(where)
                return facts
        try:
            facts = Facts.of_text(read_source(path).text)
        except SourceError:
            return None
        if not _racy(status):
            self._kept[where] = [stamp, facts.as_data()]
            self._read += 1
        return facts


def _stamp(status: os.stat_result) -> list:
    return [status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def _racy(status: os.stat_result) -> bool:
    """Written in the last two seconds: a change within the clock's tick would keep the stamp."""
    return max(status.st_mtime_ns, status.st_ctime_ns) >= time.time_ns() - RACY_NANOSECONDS


def _round_trips(document) -> bool:
    try:
        return json.loads(json.dumps(document)) == document
    except (TypeError, ValueError):
        return False
