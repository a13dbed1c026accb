"""AWS CDK apps in Python: ``aws_lambda.Function(handler="index.handler",
code=Code.from_asset("lambda"), runtime=Runtime.PYTHON_3_12)`` and
``aws_lambda_python_alpha.PythonFunction(entry="lambda", index="app.py",
handler="handler")`` with literal arguments, read from the CDK source with
CPython's parser (:mod:`linter.project.deployment.cdk_stacks`; LibCST took
ten times as long for the same answer) and placed in the project here.
Asset paths are relative to the CDK app's directory (where ``cdk.json``
is), as ``cdk synth`` resolves them."""
from __future__ import annotations

import os
from typing import Dict, Iterable, Optional, Sequence

from linter.parsing.source import SourceError, read_source
from linter.project.deployment.definitions import Definitions, FunctionDefinition


def definitions(path: str, root: str, declared: Iterable[Sequence[str]],
                app_directories: Optional[Dict[str, str]] = None) -> Definitions:
    """The definitions of the functions ``declared`` in the CDK file ``path``
    (``app_directories``: where cdk.json was found for the directories asked about so far)."""
    found = Definitions()
    app_dir = _app_directory(path, root, app_directories if app_directories is not None else {}) if declared else ""
    for construct, code_dir, module, function in declared:
        origin = f"{os.path.relpath(path)}: {construct}".rstrip()
        found.functions.append(FunctionDefinition(origin, os.path.normpath(os.path.join(app_dir, code_dir)),
                                                  module, function))
    return found


def read(path: str, root: str) -> Definitions:
    from linter.project.deployment.cdk_stacks import declared_functions

    try:
        text = read_source(path).text
    except SourceError:
        return Definitions()
    return definitions(path, root, declared_functions(text))


def _app_directory(path: str, root: str, known: Dict[str, str]) -> str:
    """The nearest directory from ``path``'s up to ``root`` holding cdk.json,
    else ``path``'s; ``known``: the answers so far, by directory (a project's
    stacks are a few directories' files)."""
    start = os.path.dirname(os.path.abspath(path))
    if start not in known:
        known[start] = _app_directory_of(start, os.path.abspath(root))
    return known[start]


def _app_directory_of(start: str, root: str) -> str:
    directory = start
    while True:
        if os.path.isfile(os.path.join(directory, "cdk.json")):
            return directory
        if directory == root or os.path.dirname(directory) == directory:
            return start
        directory = os.path.dirname(directory)
