"""Serverless Framework ``serverless.yml``: ``functions.<name>.handler``
(``src/orders/handler.main``: a path relative to the service, then the
function; the runtime imports it as ``src.orders.handler`` from the service)
with a Python runtime (``provider.runtime`` or the function's own; without
one the framework deploys Node.js).  Variables (``${...}``) are left alone: a handler that uses one is skipped
with a warning."""
from __future__ import annotations

import os
from typing import Callable

from linter.project.deployment.definitions import Definitions, FunctionDefinition, is_python, split_handler
from linter.project.deployment.documents import DocumentError, load_document


def read(path: str, read_document: Callable[[str], object] = load_document) -> Definitions:
    """``read_document``: :func:`~linter.project.deployment.documents.load_document`, or what remembers its results."""
    found = Definitions()
    where = os.path.relpath(path)
    try:
        document = read_document(path)
    except (OSError, DocumentError) as error:
        found.warnings.append(f"{where}: cannot read it: {error}")
        return found
    if not isinstance(document, dict) or not isinstance(document.get("functions"), dict):
        return found
    provider = document.get("provider") if isinstance(document.get("provider"), dict) else {}
    service = os.path.dirname(os.path.abspath(path))
    for name, function in document["functions"].items():
        if not isinstance(function, dict) or not isinstance(function.get("handler"), str):
            continue
        if not is_python(function.get("runtime", provider.get("runtime"))):
            continue  # the framework's default runtime is Node.js
        handler = function["handler"]
        if "${" in handler:
            found.warnings.append(f"{where}: {name}: handler '{handler}' uses a variable; name it with --handler")
            continue
        directory, _, dotted = handler.rpartition("/")
        parts = split_handler(dotted)
        if parts is None:
            found.warnings.append(f"{where}: {name}: handler '{handler}' is not PATH/MODULE.FUNCTION")
            continue
        # The runtime imports ``src/orders/handler`` as ``src.orders.handler`` from the service's root.
        module = ".".join(part for part in [*directory.split("/"), parts[0]] if part and part != ".")
        found.functions.append(FunctionDefinition(f"{where}: functions.{name}", service, module, parts[1]))
    return found
