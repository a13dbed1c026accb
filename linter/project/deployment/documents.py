"""The YAML and JSON documents deployment definitions are written in
(SAM/CloudFormation templates, ``serverless.yml``).

PyYAML is imported only when a document must be parsed: a rerun whose
templates have not changed reads them back from the file facts
(:meth:`linter.project.file_facts.FileFacts.document`), which spares the
import (15 ms) and the parse (15 ms for a template of 300 functions) on
every pre-commit run.
"""
from __future__ import annotations

import json
from functools import lru_cache


class DocumentError(ValueError):
    """A document that cannot be parsed; the message is one line, with where."""


def load_document(path: str):
    """The document in ``path``: JSON for ``.json``, else YAML, with
    CloudFormation's short-form tags (``!Ref x``) as plain values.  Raises
    OSError or DocumentError."""
    with open(path, encoding="utf-8") as handle:
        if path.endswith(".json"):
            try:
                return json.load(handle)
            except ValueError as error:
                raise DocumentError(str(error).splitlines()[0]) from error
        import yaml

        try:
            return yaml.load(handle, Loader=_template_loader())  # noqa: S506 - a SafeLoader subclass
        except (yaml.YAMLError, ValueError) as error:  # ValueError: text that is not UTF-8
            raise DocumentError(_describe(error)) from error


@lru_cache(maxsize=None)
def _template_loader():
    """SafeLoader that accepts CloudFormation's short-form tags, on libyaml
    where PyYAML was built with it (a template naming hundreds of functions:
    0.3 s in Python)."""
    import yaml

    class TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass

    def intrinsic(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}

    TemplateLoader.add_multi_constructor("!", intrinsic)
    return TemplateLoader


def _describe(error: Exception) -> str:
    """A YAML error on one line, with where it is."""
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return str(error).splitlines()[0] + where
