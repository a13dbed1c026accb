"""AWS SAM and CloudFormation templates (YAML or JSON).

``AWS::Serverless::Function`` and ``AWS::Lambda::Function`` resources with a
Python runtime (their own, or from ``Globals``): ``Handler`` relative to
``CodeUri`` (or a local ``Code`` path); inline code (``InlineCode``,
``ZipFile``) and code in S3 are skipped.  ``AWS::Serverless::LayerVersion``
``ContentUri`` folders (and their ``python/``) are where layer code is
imported from.  Intrinsic functions (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``
…) load as plain values, so any template loads; a property given by one is
not a literal path and is skipped.
"""
from __future__ import annotations

import os
from typing import Callable

from linter.project.deployment.definitions import Definitions, FunctionDefinition, is_python, split_handler
from linter.project.deployment.documents import DocumentError, load_document

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def read(path: str, read_document: Callable[[str], object] = load_document) -> Definitions:
    """``read_document``: :func:`~linter.project.deployment.documents.load_document`, or what remembers its results."""
    found = Definitions()
    try:
        template = read_document(path)
    except (OSError, DocumentError) as error:
        found.warnings.append(f"{os.path.relpath(path)}: cannot read the template: {error}")
        return found
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return found
    defaults = _mapping(_mapping(template.get("Globals")).get("Function"))
    directory = os.path.dirname(os.path.abspath(path))
    where = os.path.relpath(path)
    for name, resource in template["Resources"].items():
        if not isinstance(resource, dict):
            continue
        kind, properties = resource.get("Type"), _mapping(resource.get("Properties"))
        if kind in LAYER_TYPES:
            content = properties.get("ContentUri") or properties.get("Content")
            if isinstance(content, str):
                layer = os.path.join(directory, content)
                found.layer_roots += [layer, os.path.join(layer, "python")]
        elif kind in FUNCTION_TYPES:
            definition = _function(name, kind, {**defaults, **properties}, directory, where, found)
            if definition is not None:
                found.functions.append(definition)
    return found


def _mapping(value) -> dict:
    """``value`` when it is a mapping; a template of the wrong shape is skipped, not a crash."""
    return value if isinstance(value, dict) else {}


def _function(name, kind, properties, directory, where, found):
    if properties.get("PackageType") == "Image" or not is_python(properties.get("Runtime")):
        return None
    handler = properties.get("Handler")
    code = properties.get("CodeUri") if kind == FUNCTION_TYPES[0] else properties.get("Code")
    if properties.get("InlineCode") or isinstance(code, dict) or not isinstance(handler, str):
        return None  # inline code, code in S3 or given by an intrinsic function
    if isinstance(code, str) and "://" in code:
        return None  # CodeUri: s3://bucket/key.zip
    parts = split_handler(handler)
    if parts is None:
        found.warnings.append(f"{where}: {name}: handler '{handler}' is not MODULE.FUNCTION")
        return None
    code_root = os.path.normpath(os.path.join(directory, code if isinstance(code, str) else "."))
    if os.path.isfile(code_root):
        code_root = os.path.dirname(code_root)
    return FunctionDefinition(f"{where}: {name} ({kind})", code_root, *parts)
