"""The Lambda functions a CDK stack's Python source declares, read with
CPython's parser (:mod:`linter.project.deployment.cdk` places them in the
project).  Apart from it so that a run whose file facts already say what
each stack declares never imports the parser's module."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from linter.parsing.ast_names import dotted_name
from linter.project.deployment.definitions import split_handler

FUNCTIONS = ("aws_cdk.aws_lambda.Function", "aws_cdk.aws_lambda.CfnFunction")
PYTHON_FUNCTIONS = ("aws_cdk.aws_lambda_python_alpha.PythonFunction", "aws_cdk.aws_lambda_python.PythonFunction")
ASSETS = ("Code.from_asset", "Code.fromAsset", "Code.asset")


def declared_functions(text: str) -> List[Tuple[str, str, str, str]]:
    """The Lambda functions a CDK stack's text declares, as (what declares
    it, its code directory relative to the CDK app, handler module, handler
    function): what the text alone says, so that it can be kept per file
    (:mod:`linter.project.file_facts`) and placed in the project each run."""
    if "aws_cdk" not in text or "Function" not in text:
        return []
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # reported when the file itself is checked
    imports: Dict[str, str] = {}
    for statement in module.body:
        imports.update(_import_bindings(statement))
    found = (_declared(call, imports) for call in ast.walk(module) if isinstance(call, ast.Call))
    return [declared for declared in found if declared is not None]


def _import_bindings(statement: ast.stmt) -> Dict[str, str]:
    """Top-level imports: ``from aws_cdk import aws_lambda as _lambda`` binds ``_lambda``."""
    if isinstance(statement, ast.Import):
        return {alias.asname or alias.name.split(".")[0]: alias.name if alias.asname else alias.name.split(".")[0]
                for alias in statement.names}
    if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
        return {alias.asname or alias.name: f"{statement.module}.{alias.name}" for alias in statement.names
                if alias.name != "*"}
    return {}


def _qualified(node, imports) -> str:
    name = dotted_name(node) or ""
    head, _, rest = name.partition(".")
    return f"{imports[head]}.{rest}" if head in imports and rest else imports.get(head, name)


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _literal(node) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _declared(call: ast.Call, imports) -> Optional[Tuple[str, str, str, str]]:
    kind = _qualified(call.func, imports)
    construct = _literal(call.args[1]) if len(call.args) > 1 else None
    label = f"{kind.rsplit('.', 1)[-1]} {construct or ''}".rstrip()
    if kind in PYTHON_FUNCTIONS:
        entry = _literal(_keyword(call, "entry"))
        if entry is None:
            return None
        index = _literal(_keyword(call, "index")) or "index.py"
        handler = _literal(_keyword(call, "handler")) or "handler"
        return label, entry, index[: -len(".py")], handler
    if kind not in FUNCTIONS:
        return None
    runtime = dotted_name(_keyword(call, "runtime")) or ""
    handler = _literal(_keyword(call, "handler"))
    code = _keyword(call, "code")
    asset = None
    if isinstance(code, ast.Call) and any((dotted_name(code.func) or "").endswith(name) for name in ASSETS):
        asset = _literal(code.args[0]) if code.args else None
    if "PYTHON" not in runtime.upper() or handler is None or asset is None or split_handler(handler) is None:
        return None
    return (label, asset, *split_handler(handler))
