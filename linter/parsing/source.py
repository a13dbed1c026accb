"""Reading and writing source files exactly as they are on disk.

LibCST keeps comments, quotes, tabs and line endings; this module keeps what
it does not see: the encoding declared by the file, a UTF-8 byte-order mark
and the file's permission bits.  Writes are atomic (temporary file in the
same directory, then rename), so a fix never leaves a half-written file.
"""
from __future__ import annotations

import codecs
import io
import os
import stat
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """A file that cannot be read or decoded; the message names the problem."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str  # without the byte-order mark
    encoding: str
    bom: bool

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
    FIFO would block the read forever, ``/dev/zero`` never end it)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens without a writer
        with open(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise SourceError("cannot read: not a regular file")
            data = handle.read()
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    return decode_source(path, data)


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
    """Replace the file's contents, keeping its encoding, BOM and mode.

    The file is left exactly as it was, with a SourceError or OSError saying
    why, when it is read-only (a rename would replace it anyway), when it
    changed on disk since it was read (an editor saved it: the fix was made
    for other text), or when writing the new contents fails (a full disk)."""
    writable_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH  # root may write anything: the bits say what is meant
    if not os.access(source.path, os.W_OK) or not os.stat(source.path).st_mode & writable_bits:
        raise SourceError("cannot write: the file is read-only; not fixed")
    try:
        with open(source.path, "rb") as handle:
            unchanged = handle.read() == source.encode(source.text)
    except OSError as error:
        raise SourceError(f"cannot read it again before writing: {error.strerror or error}") from None
    if not unchanged:
        raise SourceError("changed on disk since it was read; not fixed")
    data = source.encode(text)
    directory = os.path.dirname(os.path.abspath(source.path))
    mode = stat.S_IMODE(os.stat(source.path).st_mode)
    import tempfile  # only when a file is written: a rerun of check never does

    handle, temporary = tempfile.mkstemp(prefix=".warmstate-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, source.path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
