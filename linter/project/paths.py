"""Absolute paths of a project's files, made once per run."""
from __future__ import annotations

import os
from typing import Dict, Iterable


def absolute_paths(paths: Iterable[str]) -> Dict[str, str]:
    """{path: ``os.path.abspath(path)``}, at the cost of one ``abspath`` per
    directory: a project's thousands of files sit in hundreds of directories,
    and settings, file facts and the layout each ask for every file."""
    prefixes: Dict[str, str] = {}  # directory as written -> its absolute path and a separator
    found: Dict[str, str] = {}
    for path in paths:
        head, separator, tail = path.rpartition(os.sep)  # no os.path.split/join: microseconds a file count here
        if tail in ("", os.curdir, os.pardir) or path.startswith(os.sep * 2):  # POSIX keeps a leading "//"
            found[path] = os.path.abspath(path)
            continue
        head = head or separator  # "/app.py": the root; "app.py": the current directory
        if head not in prefixes:
            directory = os.path.abspath(head) if head else os.getcwd()
            prefixes[head] = directory if directory.endswith(os.sep) else directory + os.sep
        found[path] = prefixes[head] + tail
    return found
