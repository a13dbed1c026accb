"""A fingerprint of the state that must not outlive an invocation, taken in
the child process after each one: what two runs compare, entry by entry.

Each entry is keyed by where the state lives (``app.AUDIT_TRAIL``,
``logging 'orders'``, ``environment TABLE``) and says what kind it is, the
module file and name it is defined by (for the report's "defined at" line),
and a value the two runs must agree on: a container's size and a digest of
its masked contents, a scalar's masked value, a cache's size, a logger's
handlers.  Only the project's own modules are looked into (files under the
code roots, not installed libraries): a library's internal caches are its
business.
"""
from __future__ import annotations

import asyncio
import collections
import collections.abc
import concurrent.futures
import contextvars
import hashlib
import io
import logging
import os
import re
import sys
import threading
import types
from typing import Any, Dict, Iterable, List, Optional

from linter.probe.masking import mask_text, mask_value

CONTAINERS = (list, dict, set, frozenset, tuple, bytearray, collections.deque)  # a tuple may hold a list
BUFFERS = (io.StringIO, io.BytesIO)
SCALARS = (str, int, float, bool, bytes, type(None))
PER_INVOCATION_VARIABLES = frozenset({"_X_AMZN_TRACE_ID", "AWS_LAMBDA_REQUEST_ID"})


def project_modules(roots: Iterable[str]) -> List[types.ModuleType]:
    """The imported modules whose files are the project's (:func:`in_project`)."""
    roots = list(roots)
    found = [module for module in list(sys.modules.values()) if in_project(getattr(module, "__file__", None), roots)]
    return sorted(found, key=lambda module: module.__name__)


def in_project(path: Optional[str], roots: Iterable[str]) -> bool:
    """Whether the file ``path`` is under ``roots`` and neither in an installed library nor warmstate's own."""
    if not path or "site-packages" in path or "dist-packages" in path:
        return False
    absolute = os.path.abspath(path)
    own = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")
    return not absolute.startswith(own) and any(
        absolute.startswith(os.path.join(os.path.abspath(root), "")) for root in roots)


def digest(value: Any) -> str:
    return hashlib.blake2b(mask_text(_describe(value)).encode("utf-8", "replace"), digest_size=8).hexdigest()


def _describe(value: Any) -> str:
    try:
        if isinstance(value, (set, frozenset)):
            return repr(sorted(map(repr, value)))
        return repr(value)
    except Exception as error:  # noqa: BLE001 - a repr that fails is described by its failure
        return f"<repr failed: {type(error).__name__}>"


class Fingerprint:
    """The entries of one snapshot, each {"kind", "value", "module", "name"}."""

    def __init__(self, roots: Iterable[str], environment: Dict[str, str], temporary: str):
        self.roots = list(roots)
        self.environment = environment  # as the invocations found it
        self.temporary = temporary
        self.entries: Dict[str, dict] = {}

    def take(self) -> Dict[str, dict]:
        self.entries = {}
        for module in project_modules(self.roots):
            self._module(module)
        self._loggers()
        self._context_variables()
        self._environment()
        self._temporary_files()
        self._threads()
        return self.entries

    def _add(self, key: str, kind: str, value: Any, module: Optional[types.ModuleType] = None,
             name: Optional[str] = None, identity: Optional[int] = None) -> None:
        """``identity``: the object's id, the same for every name it has in this process (an alias)."""
        self.entries[key] = {"kind": kind, "value": value, "identity": identity,
                             "file": getattr(module, "__file__", None), "name": name}

    def _module(self, module: types.ModuleType) -> None:
        for name, value in list(vars(module).items()):
            try:
                self._global(module, name, value)
            except Exception:  # noqa: BLE001 - a proxy that refuses to be looked at (flask.request) holds no state
                continue

    def _global(self, module: types.ModuleType, name: str, value: Any) -> None:
        if name.startswith("__") or isinstance(value, types.ModuleType):
            return
        key = f"{module.__name__}.{name}"
        if isinstance(value, (type, types.FunctionType)) or hasattr(value, "cache_info"):
            if getattr(value, "__module__", None) != module.__name__:
                return  # imported: its own module's entry
            if isinstance(value, type):
                self._class(module, key, value)
            elif isinstance(value, types.FunctionType):
                self._function(module, key, name, value)
            else:
                self._value(module, key, name, value, depth=0)
        else:
            self._value(module, key, name, value, depth=2)

    def _value(self, module, key: str, name: str, value: Any, depth: int) -> None:
        """A module-level value: containers, buffers, caches and the objects
        holding them (one level into a project class's instance), scalars."""
        if isinstance(value, CONTAINERS):
            self._add(key, type(value).__name__, [len(value), digest(value)], module, name, id(value))
        elif isinstance(value, BUFFERS):
            self._add(key, type(value).__name__, [value.tell(), digest(value.getvalue())], module, name, id(value))
        elif isinstance(value, SCALARS):
            self._add(key, type(value).__name__, mask_text(repr(value)), module, name)
        elif callable(getattr(value, "cache_info", None)):
            self._add(key, "functools cache", _cache_size(value), module, name)
        elif _is_cachetools_cache(value):
            self._add(key, "cachetools cache", len(value), module, name)
        elif isinstance(value, asyncio.AbstractEventLoop):
            pending = 0 if value.is_closed() else len(asyncio.all_tasks(value))
            self._add(key, "tasks of an event loop", pending, module, name)
        elif isinstance(value, contextvars.ContextVar):
            return  # its value is in the context (_context_variables)
        else:
            self._library_object(module, key, name, value)
            if depth and isinstance(getattr(value, "__dict__", None), dict):
                self._attributes(module, key, name, value, depth)

    def _attributes(self, module, key: str, name: str, value: Any, depth: int) -> None:
        """Into a module-level object: every attribute of the project's own
        objects (and of the project objects they hold: ``service.repo.items``);
        the containers of a library's (the rows a PrettyTable collects, the
        headers of an email message)."""
        own = _defined_in_project(type(value), self.roots)
        if not own and isinstance(value, (logging.Logger, logging.Handler, concurrent.futures.Executor)):
            return  # a logger's level cache, a pool's threads: the library's own; handlers are under _loggers
        for attribute, inner in list(vars(value).items()):
            if inner is sys.stdout or inner is sys.stderr:
                continue  # the runtime's own streams, which the run captures
            if own or isinstance(inner, CONTAINERS + BUFFERS):
                self._value(module, f"{key}.{attribute}", f"{name}.{attribute}", inner, depth=depth - 1 if own else 0)

    def _library_object(self, module, key: str, name: str, value: Any) -> None:
        """What Powertools keeps between invocations: a Logger's appended
        keys, a Metrics object's pending metrics, a cached function's cache."""
        keys = getattr(value, "get_current_keys", None)
        if callable(keys):
            try:
                self._add(key, "logger keys", digest(sorted(mask_value(dict(keys())).items(), key=repr)), module, name)
            except Exception:  # noqa: BLE001 - a library version without it
                pass
        metric_set = getattr(value, "metric_set", None)
        if isinstance(metric_set, dict):
            self._add(key, "pending metrics", [len(metric_set), digest(metric_set)], module, name)
        buffered = getattr(getattr(value, "_buffer_cache", None), "cache", None)  # Powertools' log buffer
        if isinstance(buffered, dict):
            records = sum(len(kept) for kept in buffered.values() if hasattr(kept, "__len__"))
            self._add(key, "buffered log records", records, module, name)
        cache = getattr(value, "cache", None)
        if _is_cachetools_cache(cache):
            self._add(key, "cachetools cache", len(cache), module, name)

    def _class(self, module, key: str, cls: type) -> None:
        for attribute, value in list(vars(cls).items()):
            if not attribute.startswith("__") and isinstance(value, CONTAINERS + BUFFERS):
                self._value(module, f"{key}.{attribute}", f"{cls.__name__}.{attribute}", value, depth=0)
            elif callable(getattr(value, "cache_info", None)):  # functools.lru_cache on a method
                self._add(f"{key}.{attribute}", "functools cache", _cache_size(value), module,
                          f"{cls.__name__}.{attribute}")
            elif isinstance(value, types.FunctionType):  # a method's mutable defaults
                self._function(module, f"{key}.{attribute}", f"{cls.__name__}.{attribute}", value)

    def _function(self, module, key: str, name: str, function: types.FunctionType) -> None:
        if callable(getattr(function, "cache_info", None)):
            self._add(key, "functools cache", _cache_size(function), module, name)
        for position, default in enumerate(function.__defaults__ or ()):
            if isinstance(default, CONTAINERS):
                self._add(f"{key}() default {position + 1}", "mutable default", [len(default), digest(default)],
                          module, name)
        for attribute, value in list(vars(function).items()):
            if not attribute.startswith("__") and isinstance(value, CONTAINERS + SCALARS):
                self._value(module, f"{key}.{attribute}", name, value, depth=0)
        for cell_name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            try:
                inner = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(inner, CONTAINERS + SCALARS):
                self._value(module, f"{key} (closure {cell_name})", name, inner, depth=0)

    def _loggers(self) -> None:
        loggers = {"root": logging.getLogger()}
        loggers.update((name, logger) for name, logger in logging.Logger.manager.loggerDict.items()
                       if isinstance(logger, logging.Logger))
        for name, logger in sorted(loggers.items()):
            if logger.handlers:
                self._add(f"logging {name!r}", "logging handlers",
                          sorted(type(handler).__name__ for handler in logger.handlers), None, name)

    def _context_variables(self) -> None:
        for variable, value in contextvars.copy_context().items():
            if value is None or value is Ellipsis:  # reset to nothing (structlog marks an unbound key with ...)
                continue
            self._add(f"context variable {variable.name!r}", "context variable", digest(value), None, variable.name)

    def _environment(self) -> None:
        for name in sorted(set(os.environ) | set(self.environment)):
            if name in PER_INVOCATION_VARIABLES:
                continue
            before, now = self.environment.get(name), os.environ.get(name)
            if before != now:
                self._add(f"environment {name}", "environment variable", mask_text(repr(now)), None, name)

    def _temporary_files(self) -> None:
        names = []
        for directory, _, files in os.walk(self.temporary):
            names.extend(os.path.relpath(os.path.join(directory, name), self.temporary) for name in files)
        if names:
            self._add("temporary directory", "files left in the temporary directory",
                      sorted(mask_text(_generic(name)) for name in names), None, None)

    def _threads(self) -> None:
        """Threads running the project's code (a library's worker pool, started
        and stopped on its own schedule, is not the handler's to stop)."""
        alive = [thread for thread in threading.enumerate()
                 if thread is not threading.main_thread() and self._runs_project_code(thread)]
        if alive:
            self._add("threads", "threads still alive", sorted(mask_text(_generic(t.name)) for t in alive), None, None)


    def _runs_project_code(self, thread: threading.Thread) -> bool:
        target = getattr(thread, "_target", None)
        code = getattr(target, "__code__", None) or getattr(type(thread).run, "__code__", None)
        return in_project(getattr(code, "co_filename", None), self.roots)


def _generic(name: str) -> str:
    """A name without its counters and random parts (``tmpa1b2c3``, ``Thread-3``)."""
    return re.sub(r"\d+|tmp\w{6,8}", "#", name)


def _cache_size(function) -> int:
    try:
        return function.cache_info().currsize
    except Exception:  # noqa: BLE001 - an object whose cache_info is not functools'
        return -1


def _is_cachetools_cache(value) -> bool:
    return isinstance(value, collections.abc.MutableMapping) and hasattr(value, "currsize") and hasattr(value, "maxsize")


def _defined_in_project(cls: type, roots: Iterable[str]) -> bool:
    return in_project(getattr(sys.modules.get(getattr(cls, "__module__", ""), None), "__file__", None), roots)
