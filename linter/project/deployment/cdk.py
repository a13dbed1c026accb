"""AWS CDK apps in Python: ``aws_lambda.Function(handler="index.handler",
code=Code.from_asset("lambda"), runtime=Runtime.PYTHON_3_12)`` and
``aws_lambda_python_alpha.PythonFunction(entry="lambda", index="app.py",
handler="handler")`` with literal arguments, read from the CDK source with
LibCST.  Asset paths are relative to the CDK app's directory (where
``cdk.json`` is), as ``cdk synth`` resolves them."""
from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from linter.parsing.syntax import dotted_name, import_bindings
from linter.project.deployment.definitions import Definitions, FunctionDefinition, split_handler

FUNCTIONS = ("aws_cdk.aws_lambda.Function", "aws_cdk.aws_lambda.CfnFunction")
PYTHON_FUNCTIONS = ("aws_cdk.aws_lambda_python_alpha.PythonFunction", "aws_cdk.aws_lambda_python.PythonFunction")
ASSETS = ("Code.from_asset", "Code.fromAsset", "Code.asset")


def read(path: str, root: str) -> Definitions:
    found = Definitions()
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return found
    if "aws_cdk" not in text or "Function" not in text:
        return found
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return found  # reported when the file itself is checked
    imports = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                imports.update(import_bindings(small))
    app_dir = _app_directory(path, root)
    where = os.path.relpath(path)
    for call in _calls(module):
        definition = _definition(call, imports, app_dir, where)
        if definition is not None:
            found.functions.append(definition)
    return found


def _app_directory(path: str, root: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.isfile(os.path.join(directory, "cdk.json")):
            return directory
        if directory == os.path.abspath(root) or os.path.dirname(directory) == directory:
            return os.path.dirname(os.path.abspath(path))
        directory = os.path.dirname(directory)


def _calls(module: cst.Module):
    pending = [module]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Call):
            yield node
        pending.extend(node.children)


def _qualified(node, imports) -> str:
    name = dotted_name(node) or ""
    head, _, rest = name.partition(".")
    return f"{imports[head]}.{rest}" if head in imports and rest else imports.get(head, name)


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    return next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def _literal(node) -> Optional[str]:
    return node.evaluated_value if isinstance(node, cst.SimpleString) else None


def _definition(call: cst.Call, imports, app_dir: str, where: str) -> Optional[FunctionDefinition]:
    kind = _qualified(call.func, imports)
    construct = _literal(call.args[1].value) if len(call.args) > 1 else None
    label = f"{where}: {kind.rsplit('.', 1)[-1]} {construct or ''}".rstrip()
    if kind in PYTHON_FUNCTIONS:
        entry = _literal(_keyword(call, "entry"))
        if entry is None:
            return None
        index = _literal(_keyword(call, "index")) or "index.py"
        handler = _literal(_keyword(call, "handler")) or "handler"
        return FunctionDefinition(label, os.path.normpath(os.path.join(app_dir, entry)), index[: -len(".py")], handler)
    if kind not in FUNCTIONS:
        return None
    runtime = dotted_name(_keyword(call, "runtime")) or ""
    handler = _literal(_keyword(call, "handler"))
    code = _keyword(call, "code")
    asset = None
    if isinstance(code, cst.Call) and any((dotted_name(code.func) or "").endswith(name) for name in ASSETS):
        asset = _literal(code.args[0].value) if code.args else None
    if "PYTHON" not in runtime.upper() or handler is None or asset is None or split_handler(handler) is None:
        return None
    return FunctionDefinition(label, os.path.normpath(os.path.join(app_dir, asset)), *split_handler(handler))
