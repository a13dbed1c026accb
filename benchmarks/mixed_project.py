"""Generate a mixed Lambda code base (deterministic), the shape of a real
repository rather than a pile of handlers: per service, a handler module and
the modules it imports, unit tests, a CDK stack and a maintenance script;
a shared layer every handler imports; a SAM template naming every function.

    python benchmarks/mixed_project.py OUT_DIR [--files 3600]

About seven files in twelve are on an invocation path; the rest (tests,
infrastructure, scripts) are what a linter for Lambda state should not pay
for.  The shared layer joins every service into one import-connected unit.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import module_source  # noqa: E402

FILES_PER_SERVICE = 12  # 7 of them code on the invocation path
LAYER_MODULES = ["logging_setup", "metrics", "db", "http", "config", "errors", "events", "auth", "clock", "ids"]

LAYER = '''"""Shared layer module {name}: imported by every function."""
import json
import logging
import os

logger = logging.getLogger("common.{name}")
SETTINGS = {{"region": os.environ.get("AWS_REGION", "eu-west-1"), "stage": os.environ.get("STAGE", "dev")}}
_REGISTRY = {{}}


def register(name, value):
    _REGISTRY[name] = value
    return value


def describe(payload):
    """Render a payload for logs."""
    try:
        return json.dumps(payload, sort_keys=True, default=str)
    except (TypeError, ValueError):
        logger.warning("cannot render %r", payload)
        return repr(payload)
'''

LIBRARY = '''"""{service}: {role} helpers."""
import dataclasses
import decimal
import json
from typing import Any, Dict, List, Optional

from common import {layer}

TAX_RATES = {{"DE": decimal.Decimal("0.19"), "FR": decimal.Decimal("0.20"), "GB": decimal.Decimal("0.20")}}


@dataclasses.dataclass
class {klass}:
    identifier: str
    amount: decimal.Decimal
    country: str = "DE"
    tags: List[str] = dataclasses.field(default_factory=list)

    def total(self) -> decimal.Decimal:
        return self.amount * (1 + TAX_RATES.get(self.country, decimal.Decimal("0")))

    def as_dict(self) -> Dict[str, Any]:
        return {{"id": self.identifier, "total": str(self.total()), "tags": list(self.tags)}}


def parse_{role}(body: str) -> Optional[{klass}]:
    try:
        data = json.loads(body)
    except ValueError:
        {layer}.logger.warning("bad body: %s", {layer}.describe(body))
        return None
    return {klass}(data["id"], decimal.Decimal(str(data.get("amount", "0"))), data.get("country", "DE"))


def summarise_{role}(items: List[{klass}]) -> Dict[str, Any]:
    totals: Dict[str, decimal.Decimal] = {{}}
    for item in items:
        totals[item.country] = totals.get(item.country, decimal.Decimal("0")) + item.total()
    return {{country: str(value) for country, value in sorted(totals.items())}}
'''

TEST = '''"""Unit tests for {service} ({subject})."""
import json

import pytest

from functions.{service} import app, {subject}


@pytest.fixture
def event():
    return {{"Records": [{{"body": json.dumps({{"id": "a-1", "amount": "10.00", "country": "DE"}})}}]}}


def test_handler_processes_every_record(event, monkeypatch):
    monkeypatch.setattr(app, "_connect", lambda: None)
    result = app.lambda_handler(event, None)
    assert result["processed"] == 1


@pytest.mark.parametrize("country,expected", [("DE", "11.90"), ("FR", "12.00"), ("US", "10.00")])
def test_totals(country, expected):
    item = {subject}.{klass}("a-1", {subject}.decimal.Decimal("10.00"), country)
    assert str(item.total()) == expected
'''

STACK = '''"""CDK stack for {service}."""
from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as _lambda
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct


class {klass}Stack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        queue = sqs.Queue(self, "Queue", visibility_timeout=Duration.seconds(60))
        function = _lambda.Function(
            self, "Function",
            runtime=_lambda.Runtime.PYTHON_3_12,
            handler="app.lambda_handler",
            code=_lambda.Code.from_asset("functions/{service}"),
            timeout=Duration.seconds(30),
            environment={{"TABLE_NAME": "{service}-table", "LIMIT": "50"}},
        )
        function.add_event_source(SqsEventSource(queue, batch_size=10))
'''

SCRIPT = '''"""Backfill {service} from an export (run by hand)."""
import argparse
import csv
import json
import sys

import boto3


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("export")
    parser.add_argument("--queue-url", required=True)
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs")
    sent = 0
    with open(args.export, newline="") as handle:
        for row in csv.DictReader(handle):
            sqs.send_message(QueueUrl=args.queue_url, MessageBody=json.dumps(row))
            sent += 1
    print(f"sent {{sent}} messages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

ROLES = ["models", "repository", "validation", "formatting", "pricing"]


def generate(directory: Path, files: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    layer = directory / "layers" / "common" / "python" / "common"
    layer.mkdir(parents=True)
    (layer / "__init__.py").write_text("")
    for name in LAYER_MODULES:
        (layer / f"{name}.py").write_text(LAYER.format(name=name))
    written = len(LAYER_MODULES) + 1
    template = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31",
                "Globals:", "  Function:", "    Runtime: python3.12", "    Layers:", "      - !Ref CommonLayer",
                "Resources:", "  CommonLayer:", "    Type: AWS::Serverless::LayerVersion",
                "    Properties:", "      ContentUri: layers/common"]
    services = max(1, (files - written) // FILES_PER_SERVICE)
    for index in range(services):
        service = f"service_{index:03d}"
        code = directory / "functions" / service
        tests = directory / "tests" / "unit" / service
        for folder in (code, tests, directory / "infra" / "stacks", directory / "scripts"):
            folder.mkdir(parents=True, exist_ok=True)
        imports = "".join(f"import {role}\n" for role in ROLES[:2])  # the code directory is on sys.path
        handler = module_source(index, rng).replace("import boto3\n", f"import boto3\n\nfrom common import "
                                                    f"{rng.choice(LAYER_MODULES)}\n{imports}", 1)
        (code / "app.py").write_text(handler)
        (code / "__init__.py").write_text("")
        for role in ROLES:
            (code / f"{role}.py").write_text(LIBRARY.format(service=service, role=role, klass=role.title() + "Item",
                                                            layer=rng.choice(LAYER_MODULES)))
        (tests / "__init__.py").write_text("")
        for subject in ROLES[:2]:
            (tests / f"test_{subject}.py").write_text(TEST.format(service=service, subject=subject,
                                                                  klass=subject.title() + "Item"))
        (directory / "infra" / "stacks" / f"{service}_stack.py").write_text(STACK.format(
            service=service, klass="".join(part.title() for part in service.split("_"))))
        (directory / "scripts" / f"backfill_{service}.py").write_text(SCRIPT.format(service=service))
        written += FILES_PER_SERVICE
        template += [f"  {service.title().replace('_', '')}Function:", "    Type: AWS::Serverless::Function",
                     "    Properties:", f"      CodeUri: functions/{service}/", "      Handler: app.lambda_handler"]
    (directory / "template.yaml").write_text("\n".join(template) + "\n")
    (directory / "cdk.json").write_text('{"app": "python3 infra/app.py"}\n')  # CDK paths are relative to here
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--files", type=int, default=3600)
    args = parser.parse_args()
    if args.directory.exists() and any(args.directory.iterdir()):
        parser.error(f"{args.directory} is not empty")
    print(f"{generate(args.directory, args.files)} Python files written to {args.directory}")


if __name__ == "__main__":
    main()
