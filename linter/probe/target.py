"""Which handler ``warmstate probe TARGET`` runs, and how to import it.

TARGET is ``path/to/app.py:lambda_handler`` (imported by its module name
from its code root: the nearest directory above it that is not a package,
or the code directory a deployment definition gives it), ``package.module:handler``
(imported from the current directory), or the name of a function in the
project's deployment definitions (``OrdersFunction``: its code directory,
handler and layers).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional, Sequence


class TargetError(ValueError):
    """A TARGET that names no handler (one line for the user)."""


@dataclass(frozen=True)
class Target:
    path: str  # the handler's file
    module: str  # its dotted name from code_root ("": loaded from its path)
    handler: str  # the function (or ``Class.method``) Lambda calls
    code_root: str  # what the runtime puts on sys.path
    layers: List[str] = field(default_factory=list)  # more import roots
    function_name: str = "probe-function"

    @property
    def roots(self) -> List[str]:
        return [self.code_root, *self.layers]

    def describe(self) -> str:
        return f"{os.path.relpath(self.path)}:{self.handler}"


def resolve_target(text: str, start: str = ".") -> Target:
    location, colon, handler = text.rpartition(":")
    if colon and location.endswith(".py"):
        return file_target(location, handler)
    if colon:
        return _from_module(location, handler, start)
    return _from_definitions(text, start)


def file_target(path: str, handler: str, code_root: Optional[str] = None, layers: Sequence[str] = ()) -> Target:
    """The handler ``handler`` of the file ``path``, imported from ``code_root``
    (default: what a deployment definition says, else the nearest directory
    above the file that is not a package).  A file whose name is not a module
    name (``app.fixed.py``) is loaded from its path."""
    if not os.path.isfile(path):
        raise TargetError(f"{path}: no such file")
    absolute = os.path.abspath(path)
    definition = _definition_covering(absolute) if code_root is None else None
    name = None
    if code_root is not None:
        root, layers = os.path.abspath(code_root), [os.path.abspath(layer) for layer in layers]
    elif definition is not None:
        root, layers, name = definition
    else:
        root, layers = os.path.dirname(absolute), []
        while os.path.isfile(os.path.join(root, "__init__.py")):
            root = os.path.dirname(root)
    parts = os.path.relpath(absolute, root)[: -len(".py")].split(os.sep)
    module = ".".join(parts).removesuffix(".__init__") if all(part.isidentifier() for part in parts) else ""
    return Target(absolute, module, handler, root, list(layers), name or os.path.basename(path).split(".")[0])


def _from_module(module: str, handler: str, start: str) -> Target:
    base = os.path.join(os.path.abspath(start), *module.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return Target(candidate, module, handler, os.path.abspath(start), [], module.split(".")[-1])
    raise TargetError(f"{module}: no module of that name under {os.path.abspath(start)}")


def _definitions(start: str):
    """The deployment definitions of the project ``start`` is in (its root: where
    the template, ``pyproject.toml`` or ``.git`` is, as ``warmstate check`` finds it)."""
    from linter.project.config import load_config
    from linter.project.deployment.definitions import find_definitions
    from linter.project.discovery import Discovery
    from linter.project.settings import project_root
    from rules import CODES

    config = load_config(os.path.abspath(start), None, CODES)
    root = project_root(os.path.abspath(start), config)
    files, _ = Discovery(config).files([root])
    return find_definitions(root, files)


def _definition_covering(path: str) -> Optional[tuple]:
    """(code root, layer roots, function name) of the deployment definition whose handler file is ``path``."""
    try:
        definitions = _definitions(os.path.dirname(path))
    except Exception:  # noqa: BLE001 - a broken definition elsewhere: the file alone still runs
        return None
    for function in definitions.functions:
        handler_file = function.handler_file()
        if handler_file is not None and os.path.abspath(handler_file) == path:
            return function.code_root, list(definitions.layer_roots), function_name(function.origin)
    return None


def function_name(origin: str) -> str:
    """The function's name in its definition: ``OrdersFunction`` in ``template.yaml:
    OrdersFunction (AWS::Serverless::Function)``, ``orders`` in ``serverless.yml: functions.orders``."""
    label = origin.split(": ", 1)[-1].split(" (")[0]
    return label.replace(".", " ").split()[-1]


def _from_definitions(name: str, start: str) -> Target:
    definitions = _definitions(start)
    for function in definitions.functions:
        if function_name(function.origin) == name:
            path = function.handler_file()
            if path is None:
                raise TargetError(f"{function.origin}: its handler file {function.module} does not exist")
            return Target(os.path.abspath(path), function.module, function.function, function.code_root,
                          list(definitions.layer_roots), name)
    known = sorted({function_name(function.origin) for function in definitions.functions})
    raise TargetError(f"{name}: not a handler (give path/to/file.py:function or module:function"
                      + (f", or one of the functions defined here: {', '.join(known)}" if known else "") + ")")
