"""Reading and writing source files exactly as they are on disk.

LibCST keeps comments, quotes, tabs and line endings; this module keeps what
it does not see: the encoding declared by the file, a UTF-8 byte-order mark
and the file's permission bits.  Writes are atomic (temporary file in the
same directory, then rename), so a fix never leaves a half-written file.

A module that is a symbolic link is read and written through the link, as
ruff and black write: renaming over the link itself would turn it into a
regular file, and the file it pointed at (and every other link to it) would
keep the old text.
"""
from __future__ import annotations

import codecs
import dataclasses
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from typing import Optional


class SourceError(Exception):
    """A file that cannot be read or decoded; the message names the problem."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str  # without the byte-order mark
    encoding: str
    bom: bool
    # the file itself: ``path`` with its links resolved when it was read, so
    # that what is written replaces what was read even if a link changes meanwhile
    target: Optional[str] = None

    @property
    def real_path(self) -> str:
        return self.target or os.path.realpath(self.path)

    def encode(self, text: str) -> bytes:
        """The file's bytes for ``text``; a SourceError when its encoding
        cannot hold it (a fix bringing ``'€'`` into a latin-1 file)."""
        try:
            data = text.encode(self.encoding)
        except UnicodeError as error:
            raise SourceError(f"cannot write: {error}; not fixed") from None
        return codecs.BOM_UTF8 + data if self.bom else data


def read_source(path: str) -> SourceFile:
    """The file's text; a SourceError for anything but a regular file (a
    FIFO would block the read forever, ``/dev/zero`` never end it).  A link
    is resolved here, once (a path through a linked directory when written:
    resolving every path cost a lookup per directory of each file read)."""
    target = os.path.realpath(path) if os.path.islink(path) else None
    try:
        descriptor = os.open(target or path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens without a writer
        with open(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise SourceError("cannot read: not a regular file")
            data = handle.read()
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    source = decode_source(path, data)
    return dataclasses.replace(source, target=target) if target is not None else source


def decode_source(path: str, data: bytes) -> SourceFile:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if bom:
            data = data[len(codecs.BOM_UTF8):]
            encoding = "utf-8"
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeError) as error:  # UnicodeError: a codec that cannot decode at all
        raise SourceError(f"cannot decode: {error}") from None
    return SourceFile(path, text, encoding, bom)


def write_atomically(source: SourceFile, text: str) -> None:
    """Replace the file's contents, keeping its encoding, BOM and mode; a
    link is written through to the file it points at (its ``real_path``).

    The file is left exactly as it was, with a SourceError or OSError saying
    why, when it is read-only (a rename would replace it anyway), when it
    changed on disk since it was read (an editor saved it: the fix was made
    for other text), or when writing the new contents fails (a full disk).
    A file that already holds ``text`` is left alone without an error: the
    same file reached through a link and its target (or through two links)
    is fixed through the first of them, and the others find it done."""
    path = source.real_path
    data = source.encode(text)
    try:
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError as error:
        raise SourceError(f"cannot read it again before writing: {error.strerror or error}") from None
    if current == data:
        return
    writable_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH  # root may write anything: the bits say what is meant
    if not os.access(path, os.W_OK) or not os.stat(path).st_mode & writable_bits:
        raise SourceError("cannot write: the file is read-only; not fixed")
    if current != source.encode(source.text):
        raise SourceError("changed on disk since it was read; not fixed")
    directory = os.path.dirname(path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    import tempfile  # only when a file is written: a rerun of check never does

    handle, temporary = tempfile.mkstemp(prefix=".warmstate-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
