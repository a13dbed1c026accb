"""What a deployment definition says about a Lambda function, and finding
the definitions in a project."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from linter.project.discovery import SKIPPED_DIRECTORIES

PYTHON_RUNTIME_PREFIX = "python"
_MARKERS = ("AWSTemplateFormatVersion", "AWS::Serverless", "AWS::Lambda::Function")
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_MAX_TEMPLATE_BYTES = 2_000_000


@dataclass(frozen=True)
class FunctionDefinition:
    origin: str  # "template.yaml: OrdersFunction", for messages and `warmstate handlers`
    code_root: str  # absolute directory the handler is relative to (CodeUri, Code.from_asset, …)
    module: str  # dotted module of the handler ("app", "orders.handler")
    function: str  # the function (or module-level handler object) Lambda calls

    def handler_file(self) -> Optional[str]:
        """The file of the handler's module, or None when it does not exist
        (looked up once: a run asks about each function several times)."""
        return self._handler_file

    @cached_property
    def _handler_file(self) -> Optional[str]:
        base = os.path.join(self.code_root, *self.module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None


@dataclass
class Definitions:
    functions: List[FunctionDefinition] = field(default_factory=list)
    layer_roots: List[str] = field(default_factory=list)  # where layers' code is importable from
    warnings: List[str] = field(default_factory=list)

    def extend(self, other: "Definitions") -> None:
        self.functions += other.functions
        self.layer_roots += other.layer_roots
        self.warnings += other.warnings

    @property
    def code_roots(self) -> List[str]:
        return list(dict.fromkeys(function.code_root for function in self.functions))


def split_handler(handler: str):
    """``app.lambda_handler`` -> (``app``, ``lambda_handler``); None when it is not that shape."""
    module, dot, function = handler.rpartition(".")
    if not dot or not module or not function.isidentifier():
        return None
    return module, function


def is_python(runtime) -> bool:
    return isinstance(runtime, str) and runtime.startswith(PYTHON_RUNTIME_PREFIX)


def find_definitions(root: str, python_files: Iterable[str],
                     cdk_functions: Optional[Callable[[str], Sequence[Sequence[str]]]] = None,
                     read_document: Optional[Callable[[str], object]] = None) -> Definitions:
    """Every definition in the project: templates, serverless.yml and
    Terraform files found under ``root``, CDK apps among ``python_files``
    (``cdk_functions`` tells what a file declares, when already known:
    :func:`linter.project.deployment.cdk_stacks.declared_functions`; ``read_document``
    reads a template, when it may already be known:
    :meth:`linter.project.file_facts.FileFacts.document`)."""
    from linter.project.deployment import cdk, sam, serverless, terraform
    from linter.project.deployment.documents import load_document

    read_document = read_document or load_document

    found = Definitions()
    terraform_modules: dict = {}  # directory -> its .tf files
    for path in _definition_files(root):
        name = os.path.basename(path)
        if name in ("serverless.yml", "serverless.yaml"):
            found.extend(serverless.read(path, read_document))
        elif name.endswith(".tf"):
            terraform_modules.setdefault(os.path.dirname(path), []).append(path)
        elif _looks_like_template(path):
            found.extend(sam.read(path, read_document))
    for paths in terraform_modules.values():
        found.extend(terraform.read(paths))
    app_directories: Dict[str, str] = {}
    for path in python_files:
        found.extend(cdk.read(path, root) if cdk_functions is None
                     else cdk.definitions(path, root, cdk_functions(path), app_directories))
    return found


def _definition_files(root: str) -> List[str]:
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories
            if d not in SKIPPED_DIRECTORIES and not d.startswith(".")
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
        )
        found.extend(
            os.path.join(directory, f) for f in sorted(files)
            if f.endswith(_TEMPLATE_SUFFIXES + (".tf",)) or f in ("serverless.yml", "serverless.yaml")
        )
    return found


# Files that mark the directory a Lambda project is deployed from.
_ROOT_MARKERS = ("template.yaml", "template.yml", "template.json", "serverless.yml", "serverless.yaml",
                 "cdk.json", "samconfig.toml")


def holds_definition(directory: str) -> bool:
    """Whether ``directory`` is where a deployment tool runs: a SAM template,
    serverless.yml, cdk.json or a Terraform configuration."""
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    return any(name in _ROOT_MARKERS or name.endswith(".tf") for name in names)


def _looks_like_template(path: str) -> bool:
    try:
        if os.path.getsize(path) > _MAX_TEMPLATE_BYTES:
            return False
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    return any(marker in text for marker in _MARKERS)
