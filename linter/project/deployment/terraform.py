"""Terraform ``aws_lambda_function`` resources with a literal ``handler`` and
a Python runtime, whose code comes from an ``archive_file`` data source
(``source_dir`` or ``source_file``), read with python-hcl2."""
from __future__ import annotations

import os
import re
from typing import Sequence

from linter.project.deployment.definitions import Definitions, FunctionDefinition, is_python, split_handler

_ARCHIVE = re.compile(r"data\.archive_file\.([\w-]+)\.")


def _plain(value):
    """python-hcl2 keeps the quotes of strings: ``'"app.handler"'`` -> ``app.handler``."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _blocks(document, section: str, kind: str):
    for block in document.get(section, []):
        for block_kind, named in block.items():
            if _plain(block_kind) == kind:
                for name, body in named.items():
                    yield _plain(name), {key: _plain(value) for key, value in body.items()}


def read(paths: Sequence[str]) -> Definitions:
    """The functions of one Terraform module: the ``.tf`` files of one
    directory, which share their data sources (the ``archive_file`` a
    function's ``filename`` names is often in another file of the module)."""
    import hcl2

    found = Definitions()
    documents = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                documents.append((path, hcl2.load(handle)))
        except Exception as error:  # python-hcl2 raises lark's errors for malformed HCL
            found.warnings.append(f"{os.path.relpath(path)}: cannot read it: {str(error).splitlines()[0]}")
    archives = {name: body for _, document in documents for name, body in _blocks(document, "data", "archive_file")}
    for path, document in documents:
        where, directory = os.path.relpath(path), os.path.dirname(os.path.abspath(path))
        for name, function in _blocks(document, "resource", "aws_lambda_function"):
            handler, runtime = function.get("handler"), function.get("runtime")
            if not isinstance(handler, str) or not is_python(runtime) or "${" in handler:
                continue
            parts = split_handler(handler)
            archive = _ARCHIVE.search(str(function.get("filename", "")))
            source = archives.get(archive.group(1), {}) if archive else {}
            code = source.get("source_dir") or source.get("source_file")
            code = code.replace("${path.module}", ".") if isinstance(code, str) else None
            if parts is None or code is None or "${" in code:  # a variable: not a path this module knows
                found.warnings.append(f"{where}: aws_lambda_function.{name}: its code is not a local archive_file")
                continue
            code = os.path.normpath(os.path.join(directory, code))
            code_root = code if "source_dir" in source else os.path.dirname(code)
            found.functions.append(FunctionDefinition(f"{where}: aws_lambda_function.{name}", code_root, *parts))
    return found
