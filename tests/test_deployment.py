"""Handlers named by deployment definitions (SAM / CloudFormation templates,
serverless.yml, CDK apps in Python, Terraform), as `warmstate handlers` and
`warmstate check` read them from a small project."""
from __future__ import annotations

import os
import subprocess
import textwrap

import pytest

from conftest import installed_command
from linter.project.config import Config
from linter.project.deployment.definitions import find_definitions
from linter.project.settings import project_root

# A handler no heuristic picks: its second parameter is not named like a context,
# so it is a handler only when a deployment definition names it.
NAMED_ONLY = textwrap.dedent(
    """\
    SEEN = []


    def process(event, _):
        SEEN.append(event)
        return len(SEEN)
    """
)
# A handler the heuristics pick by its parameters.
BY_PARAMETERS = textwrap.dedent(
    """\
    SEEN = []


    def on_event(event, context):
        SEEN.append(event)
        return len(SEEN)
    """
)


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def finding_lines(stdout):
    return [line for line in stdout.splitlines() if ": LAM" in line]


def definitions(root):
    """find_definitions over a project, as (origin, code root relative to it, module, function)."""
    python_files = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".py")]
    found = find_definitions(str(root), sorted(python_files))
    return found, [(f.origin.split(": ", 1)[1], os.path.relpath(f.code_root, root), f.module, f.function)
                   for f in found.functions]


def sam_template(resources, globals_=""):
    return (
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::Serverless-2016-10-31\n"
        + textwrap.dedent(globals_)
        + "Resources:\n"
        + textwrap.indent(textwrap.dedent(resources), "  ")
    )


ORDERS_FUNCTION = textwrap.dedent(
    """\
    OrdersFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: orders/
        Handler: app.process
        Runtime: python3.12
    """
)


# -- AWS SAM / CloudFormation ------------------------------------------------------


def test_sam_function_handler_is_listed_with_its_template(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))"
    ]
    assert completed.stderr == ""


def test_sam_handler_is_checked_as_a_handler(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert completed.returncode == 1
    assert finding_lines(completed.stdout) == [
        "orders/app.py:1:1: LAM101 module-level list 'SEEN' is appended to in process() (line 5), "
        "reached from handler process(), and never reset between invocations"
    ]


def test_sam_runtime_from_globals(tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        """\
        OrdersFunction:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: orders/
            Handler: app.process
        NodeFunction:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: web/
            Handler: index.handler
            Runtime: nodejs20.x
        """,
        globals_="""\
        Globals:
          Function:
            Runtime: python3.12
            Timeout: 10
        """,
    ))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert functions == [("OrdersFunction (AWS::Serverless::Function)", "orders", "app", "process")]
    assert found.warnings == []


def test_sam_non_python_runtime_is_skipped(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        """\
        WebFunction:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: web/
            Handler: index.handler
            Runtime: nodejs20.x
        """
    ))
    write(tmp_path, "web/index.js", "exports.handler = async () => 1;\n")
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == ["tools/job.py:4: on_event (parameters (event, context))"]
    assert completed.stderr == ""  # no "web/index.py does not exist"


def test_lambda_function_with_local_code_path(tmp_path):
    write(tmp_path, "template.yaml", textwrap.dedent(
        """\
        AWSTemplateFormatVersion: '2010-09-09'
        Resources:
          Worker:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.11
              Handler: jobs.worker.process
              Code: src/
              Role: !GetAtt WorkerRole.Arn
        """
    ))
    write(tmp_path, "src/jobs/__init__.py", "")
    write(tmp_path, "src/jobs/worker.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert functions == [("Worker (AWS::Lambda::Function)", "src", "jobs.worker", "process")]
    assert found.functions[0].handler_file() == str(tmp_path / "src/jobs/worker.py")


def test_inline_and_s3_code_is_skipped_without_warnings(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", textwrap.dedent(
        """\
        AWSTemplateFormatVersion: '2010-09-09'
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Custom:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: !GetAtt Role.Arn
              Code:
                ZipFile: |
                  def handler(event, context):
                      return {}
          Inline:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              InlineCode: "def handler(event, context): return 1"
          FromBucket:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Code:
                S3Bucket: my-bucket
                S3Key: app.zip
        """
    ))
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["tools/job.py:4: on_event (parameters (event, context))"]
    assert completed.stderr == ""


def test_sam_code_uri_in_s3_is_not_a_local_path(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        """\
        Orders:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: s3://my-bucket/orders.zip
            Handler: app.process
            Runtime: python3.12
        """
    ))
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == ["tools/job.py:4: on_event (parameters (event, context))"]
    assert "does not exist" not in completed.stderr, completed.stderr


INTRINSICS_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Condition IsProd]]
Mappings:
  Sizes: {dev: {memory: 128}, prod: {memory: 1024}}
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: app.process
      Runtime: python3.12
      FunctionName: !Sub "${AWS::StackName}-orders"
      Description: !Join ["-", [orders, !Ref Stage, !Select [0, !GetAZs ""]]]
      MemorySize: !FindInMap [Sizes, !Ref Stage, memory]
      Role: !GetAtt OrdersRole.Arn
      Timeout: !If [IsProd, 30, !Ref AWS::NoValue]
      Tags:
        Subnets: !Join [",", !Split [",", !ImportValue shared-subnets]]
        Cidr: !Select [0, !Cidr [10.0.0.0/16, 4, 8]]
        Encoded: !Base64 {"Fn::Sub": "${Stage}"}
      Environment:
        Variables:
          TABLE: {"Ref": OrdersTable}
          ARN: {"Fn::GetAtt": [OrdersTable, Arn]}
          NAME: {"Fn::Sub": ["${Name}-x", {Name: {"Fn::If": [IsProd, a, b]}}]}
          JOINED: {"Fn::Join": ["", [{"Fn::Select": [1, [a, b]]}, {"Fn::Base64": c}]]}
      Events:
        Api:
          Type: Api
          Properties: {Path: /orders, Method: get, RestApiId: !Ref Api}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: !Sub "s3://${AWS::Region}/api.yaml"}
  OrdersTable:
    Type: AWS::Serverless::SimpleTable
Outputs:
  Url:
    Value: !Sub
      - "https://${Id}.execute-api.${AWS::Region}.amazonaws.com"
      - Id: !Ref Api
    Export: {Name: !Sub "${AWS::StackName}-url"}
"""


def test_intrinsic_function_tags_load(tmp_path):
    write(tmp_path, "template.yaml", INTRINSICS_YAML)
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert found.warnings == []
    assert functions == [("OrdersFunction (AWS::Serverless::Function)", "orders", "app", "process")]


def test_intrinsic_function_tags_load_through_the_command(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", INTRINSICS_YAML)
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))"
    ]
    assert completed.stderr == ""


def test_json_template_with_long_form_intrinsics(tmp_path):
    write(tmp_path, "template.json", """\
        {
          "AWSTemplateFormatVersion": "2010-09-09",
          "Resources": {
            "Worker": {
              "Type": "AWS::Lambda::Function",
              "Properties": {
                "Runtime": "python3.12",
                "Handler": "worker.process",
                "Code": "src",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "FunctionName": {"Fn::Sub": "${AWS::StackName}-worker"},
                "Environment": {"Variables": {"T": {"Fn::If": ["C", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}}}
              }
            }
          }
        }
        """)
    write(tmp_path, "src/worker.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert found.warnings == []
    assert functions == [("Worker (AWS::Lambda::Function)", "src", "worker", "process")]


def test_a_handler_given_by_an_intrinsic_function_is_skipped(tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        """\
        Orders:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: orders/
            Handler: !Sub "${Module}.process"
            Runtime: python3.12
        """
    ))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert functions == [] and found.warnings == []


@pytest.mark.parametrize("name", ["template.yml", "template.json", "infra/stack.yaml", "deploy/orders.yml"])
def test_templates_are_found_by_name_or_content(tmp_path, name):
    text = {
        "template.yml": "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                        "  Fn:\n    Type: AWS::Serverless::Function\n"
                        "    Properties: {CodeUri: orders, Handler: app.process, Runtime: python3.12}\n",
        "template.json": '{"Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": '
                         '{"CodeUri": "orders", "Handler": "app.process", "Runtime": "python3.12"}}}}',
        "infra/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
                            "  Fn:\n    Type: AWS::Lambda::Function\n"
                            "    Properties: {Code: ../orders, Handler: app.process, Runtime: python3.12}\n",
        "deploy/orders.yml": "Transform: [AWS::Serverless-2016-10-31]\nResources:\n"
                             "  Fn:\n    Type: AWS::Serverless::Function\n"
                             "    Properties: {CodeUri: ../orders/, Handler: app.process, Runtime: python3.12}\n",
    }[name]
    write(tmp_path, name, text)
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    found, functions = definitions(tmp_path)
    assert [(code, module, function) for _, code, module, function in functions] == [("orders", "app", "process")]
    assert found.functions[0].origin.startswith(os.path.relpath(tmp_path / name) + ": Fn (")


def test_yaml_that_is_not_a_template_is_ignored(tmp_path):
    write(tmp_path, "config/settings.yaml", "handler: app.process\nruntime: python3.12\n")
    write(tmp_path, ".github/workflows/ci.yml", "on: push\njobs: {build: {runs-on: ubuntu-latest}}\n")
    write(tmp_path, "events/event.json", '{"id": 1}\n')
    found, functions = definitions(tmp_path)
    assert functions == [] and found.warnings == []


def test_build_output_templates_are_not_read(tmp_path):
    write(tmp_path, ".aws-sam/build/template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, ".aws-sam/build/OrdersFunction/app.py", NAMED_ONLY)
    write(tmp_path, "node_modules/pkg/template.yaml", sam_template(ORDERS_FUNCTION))
    found, functions = definitions(tmp_path)
    assert functions == [] and found.warnings == []


LAYER_TEMPLATE = """\
    OrdersFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: orders/
        Handler: app.process
        Runtime: python3.12
        Layers:
          - !Ref SharedLayer
    SharedLayer:
      Type: AWS::Serverless::LayerVersion
      Properties:
        ContentUri: layers/shared
        CompatibleRuntimes: [python3.12]
      Metadata:
        BuildMethod: python3.12
    """
LAYER_HANDLER = """\
    from shared.audit import record


    def process(event, _):
        record(event["id"])
        return {"ok": True}
    """
LAYER_MODULE = """\
    TRAIL = []


    def record(item):
        TRAIL.append(item)
    """


def test_layer_code_is_importable_and_reached_from_the_handler(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(LAYER_TEMPLATE))
    write(tmp_path, "orders/app.py", LAYER_HANDLER)
    write(tmp_path, "layers/shared/python/shared/__init__.py", "")
    write(tmp_path, "layers/shared/python/shared/audit.py", LAYER_MODULE)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    [finding] = finding_lines(completed.stdout)
    assert finding.startswith("layers/shared/python/shared/audit.py:1:1: LAM101 module-level list 'TRAIL'")
    assert "reached from handler process() in orders/app.py" in finding


def test_layer_module_is_not_importable_without_the_layer(run_warmstate, tmp_path):
    """The counterpart of the test above: without the LayerVersion, the
    import does not resolve and the layer's state is not reached."""
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", LAYER_HANDLER)
    write(tmp_path, "layers/shared/python/shared/__init__.py", "")
    write(tmp_path, "layers/shared/python/shared/audit.py", LAYER_MODULE)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert finding_lines(completed.stdout) == []


def test_layer_roots_from_find_definitions(tmp_path):
    write(tmp_path, "template.yaml", sam_template(LAYER_TEMPLATE))
    found, _ = definitions(tmp_path)
    assert str(tmp_path / "layers/shared/python") in [os.path.normpath(p) for p in found.layer_roots]


# -- Serverless Framework ------------------------------------------------------------


SERVERLESS = """\
    service: orders
    frameworkVersion: "3"
    provider:
      name: aws
      runtime: python3.12
      stage: ${opt:stage, 'dev'}
      environment:
        TABLE: ${self:service}-${sls:stage}
        QUEUE: !Ref OrdersQueue
    functions:
      getOrder:
        handler: src/orders/handler.main
        events:
          - httpApi:
              path: /orders/{id}
              method: get
      resize:
        handler: images/resize.handler
        runtime: nodejs20.x
    resources:
      Resources:
        OrdersQueue:
          Type: AWS::SQS::Queue
          Properties:
            QueueName: !Sub "${AWS::StackName}-orders"
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt DeadLetters.Arn
    """
SERVERLESS_HANDLER = """\
    SEEN = []


    def main(event, _):
        SEEN.append(event)
        return len(SEEN)
    """


def test_serverless_function_is_listed(run_warmstate, tmp_path):
    write(tmp_path, "serverless.yml", SERVERLESS)
    write(tmp_path, "src/orders/handler.py", SERVERLESS_HANDLER)
    write(tmp_path, "images/resize.js", "module.exports.handler = async () => 1;\n")
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["src/orders/handler.py:4: main (serverless.yml: functions.getOrder)"]
    assert completed.stderr == ""  # the Node function is skipped, not reported missing


def test_serverless_handler_module_path(tmp_path):
    write(tmp_path, "serverless.yml", SERVERLESS)
    found, functions = definitions(tmp_path)
    assert functions == [("functions.getOrder", ".", "src.orders.handler", "main")]
    assert found.warnings == []


def test_serverless_per_function_python_runtime(tmp_path):
    write(tmp_path, "serverless.yml", """\
        service: mixed
        provider: {name: aws, runtime: nodejs20.x}
        functions:
          web: {handler: web.handler}
          report: {handler: ./reports/build.run, runtime: python3.11}
        """)
    found, functions = definitions(tmp_path)
    assert functions == [("functions.report", ".", "reports.build", "run")]


def test_serverless_without_a_runtime_is_not_python(run_warmstate, tmp_path):
    """The Serverless Framework's default runtime is Node.js: a service that
    names no runtime is not a Python service (as in SAM and Terraform, where a
    function without a Python runtime is skipped)."""
    write(tmp_path, "serverless.yml", """\
        service: web
        provider:
          name: aws
        functions:
          hello:
            handler: handler.hello
        """)
    write(tmp_path, "handler.js", "module.exports.hello = async () => 1;\n")
    write(tmp_path, "scripts/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stderr == ""  # not "handler.py does not exist"
    assert completed.stdout.splitlines() == ["scripts/job.py:4: on_event (parameters (event, context))"]


def test_serverless_handler_with_a_variable_is_a_warning(run_warmstate, tmp_path):
    write(tmp_path, "serverless.yml", """\
        service: orders
        provider: {name: aws, runtime: python3.12}
        functions:
          dynamic:
            handler: ${self:custom.module}.main
          getOrder:
            handler: src/orders/handler.main
        """)
    write(tmp_path, "src/orders/handler.py", SERVERLESS_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["src/orders/handler.py:4: main (serverless.yml: functions.getOrder)"]
    assert completed.stderr.splitlines() == [
        "serverless.yml: warning: dynamic: handler '${self:custom.module}.main' uses a variable; name it with --handler"
    ]


def test_serverless_handler_in_a_service_subdirectory(run_warmstate, tmp_path):
    write(tmp_path, "services/orders/serverless.yml", SERVERLESS)
    write(tmp_path, "services/orders/src/orders/handler.py", SERVERLESS_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "services/orders/src/orders/handler.py:4: main (services/orders/serverless.yml: functions.getOrder)"
    ]


# -- AWS CDK (Python) ------------------------------------------------------------------


CDK_SPELLINGS = {
    "from_aws_cdk_import_module_as": """\
        from aws_cdk import Stack, aws_lambda as _lambda


        class Api(Stack):
            def __init__(self, scope, id):
                super().__init__(scope, id)
                _lambda.Function(
                    self, "Ingest",
                    runtime=_lambda.Runtime.PYTHON_3_12,
                    handler="index.handler",
                    code=_lambda.Code.from_asset("lambda"),
                )
        """,
    "import_submodule_as": """\
        import aws_cdk.aws_lambda as lambda_


        def build(stack):
            return lambda_.Function(stack, "Ingest", runtime=lambda_.Runtime.PYTHON_3_11,
                                    handler="index.handler", code=lambda_.Code.from_asset("lambda"))
        """,
    "from_submodule_import_names": """\
        from aws_cdk.aws_lambda import Code, Function, Runtime


        def build(stack):
            Function(stack, "Ingest", code=Code.from_asset("lambda"), handler="index.handler",
                     runtime=Runtime.PYTHON_3_12)
        """,
    "import_aws_cdk_as_cdk": """\
        import aws_cdk as cdk


        def build(stack):
            cdk.aws_lambda.Function(stack, "Ingest", runtime=cdk.aws_lambda.Runtime.PYTHON_3_12,
                                    handler="index.handler", code=cdk.aws_lambda.Code.from_asset("lambda"))
        """,
    "plain_import": """\
        import aws_cdk.aws_lambda


        def build(stack):
            aws_cdk.aws_lambda.Function(stack, "Ingest", runtime=aws_cdk.aws_lambda.Runtime.PYTHON_3_12,
                                        handler="index.handler", code=aws_cdk.aws_lambda.Code.from_asset("lambda"))
        """,
}
CDK_HANDLER = """\
    SEEN = []


    def handler(event, _):
        SEEN.append(event)
        return len(SEEN)
    """


@pytest.mark.parametrize("spelling", sorted(CDK_SPELLINGS))
def test_cdk_function_import_spellings(tmp_path, spelling):
    write(tmp_path, "cdk.json", '{"app": "python3 app.py"}\n')
    write(tmp_path, "stacks/api_stack.py", CDK_SPELLINGS[spelling])
    write(tmp_path, "lambda/index.py", CDK_HANDLER)
    found, functions = definitions(tmp_path)
    assert functions == [("Function Ingest", "lambda", "index", "handler")]
    assert found.functions[0].handler_file() == str(tmp_path / "lambda/index.py")


def test_cdk_function_is_listed_relative_to_the_cdk_app(run_warmstate, tmp_path):
    write(tmp_path, "cdk.json", '{"app": "python3 app.py"}\n')
    write(tmp_path, "app.py", "import aws_cdk as cdk\n\napp = cdk.App()\napp.synth()\n")
    write(tmp_path, "stacks/api_stack.py", CDK_SPELLINGS["from_aws_cdk_import_module_as"])
    write(tmp_path, "lambda/index.py", CDK_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["lambda/index.py:4: handler (stacks/api_stack.py: Function Ingest)"]
    assert completed.stderr == ""


@pytest.mark.parametrize(
    "arguments, module, function",
    [
        ('entry="functions/reports", index="main.py", handler="generate"', "main", "generate"),
        ('entry="functions/reports"', "index", "handler"),  # CDK's defaults: index.py, handler
    ],
)
def test_cdk_python_function(tmp_path, arguments, module, function):
    write(tmp_path, "cdk.json", "{}\n")
    write(tmp_path, "stacks/reports.py", f"""\
        from aws_cdk import aws_lambda
        from aws_cdk.aws_lambda_python_alpha import PythonFunction


        def build(stack):
            PythonFunction(stack, "Reports", runtime=aws_lambda.Runtime.PYTHON_3_12, {arguments})
        """)
    found, functions = definitions(tmp_path)
    assert functions == [("PythonFunction Reports", "functions/reports", module, function)]


def test_cdk_python_function_module_alias(tmp_path):
    write(tmp_path, "cdk.json", "{}\n")
    write(tmp_path, "stacks/reports.py", """\
        import aws_cdk.aws_lambda_python_alpha as python


        def build(stack):
            python.PythonFunction(stack, "Reports", entry="functions/reports", index="main.py", handler="generate")
        """)
    _, functions = definitions(tmp_path)
    assert functions == [("PythonFunction Reports", "functions/reports", "main", "generate")]


def test_cdk_non_python_and_inline_functions_are_skipped(tmp_path):
    write(tmp_path, "cdk.json", "{}\n")
    write(tmp_path, "stacks/web.py", """\
        from aws_cdk import aws_lambda as _lambda


        def build(stack):
            _lambda.Function(stack, "Web", runtime=_lambda.Runtime.NODEJS_20_X,
                             handler="index.handler", code=_lambda.Code.from_asset("web"))
            _lambda.Function(stack, "Inline", runtime=_lambda.Runtime.PYTHON_3_12,
                             handler="index.handler", code=_lambda.Code.from_inline("def handler(e, c): pass"))
        """)
    found, functions = definitions(tmp_path)
    assert functions == [] and found.warnings == []


# -- Terraform ----------------------------------------------------------------------


TF_FUNCTION = """\
    resource "aws_lambda_function" "ingest" {
      function_name    = "ingest"
      filename         = data.archive_file.ingest.output_path
      source_code_hash = data.archive_file.ingest.output_base64sha256
      handler          = "ingest.handle_batch"
      runtime          = "python3.12"
      role             = aws_iam_role.lambda.arn
      environment {
        variables = { TABLE = var.table }
      }
    }
    """
TF_ARCHIVE = """\
    data "archive_file" "ingest" {
      type        = "zip"
      source_dir  = "${path.module}/src/ingest"
      output_path = "${path.module}/build/ingest.zip"
    }
    """
TF_HANDLER = """\
    BATCHES = []


    def handle_batch(event, _):
        BATCHES.append(event)
        return len(BATCHES)
    """


def test_terraform_function_with_archive_in_the_same_file(run_warmstate, tmp_path):
    write(tmp_path, "main.tf", TF_ARCHIVE + "\n" + TF_FUNCTION)
    write(tmp_path, "src/ingest/ingest.py", TF_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == [
        "src/ingest/ingest.py:4: handle_batch (main.tf: aws_lambda_function.ingest)"
    ]
    assert completed.stderr == ""


def test_terraform_archive_in_another_file_of_the_module(run_warmstate, tmp_path):
    write(tmp_path, "infra/lambda.tf", TF_FUNCTION)
    write(tmp_path, "infra/archives.tf", TF_ARCHIVE.replace("${path.module}/src", "${path.module}/../src"))
    write(tmp_path, "src/ingest/ingest.py", TF_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "src/ingest/ingest.py:4: handle_batch (infra/lambda.tf: aws_lambda_function.ingest)"
    ]
    assert completed.stderr == ""


def test_terraform_archive_source_file(tmp_path):
    write(tmp_path, "main.tf", """\
        data "archive_file" "notifier" {
          type        = "zip"
          source_file = "src/notifier.py"
          output_path = "build/notifier.zip"
        }

        resource "aws_lambda_function" "notifier" {
          function_name = "notifier"
          filename      = "${data.archive_file.notifier.output_path}"
          handler       = "notifier.forward"
          runtime       = "python3.11"
          role          = "arn:aws:iam::123456789012:role/x"
        }
        """)
    write(tmp_path, "src/notifier.py", "def forward(event, _):\n    return event\n")
    found, functions = definitions(tmp_path)
    assert functions == [("aws_lambda_function.notifier", "src", "notifier", "forward")]
    assert found.warnings == []


def test_terraform_archive_of_another_module_is_not_used(tmp_path):
    """Data sources are shared within one directory (a module), not across modules."""
    write(tmp_path, "a/lambda.tf", TF_FUNCTION)
    write(tmp_path, "b/archives.tf", TF_ARCHIVE)
    found, functions = definitions(tmp_path)
    assert functions == []
    assert found.warnings == [f"{os.path.relpath(tmp_path / 'a/lambda.tf')}: aws_lambda_function.ingest: "
                              "its code is not a local archive_file"]


def test_terraform_archive_from_a_variable_is_not_taken_as_a_path(tmp_path):
    write(tmp_path, "main.tf", TF_ARCHIVE.replace('"${path.module}/src/ingest"', "var.source_dir") + "\n" + TF_FUNCTION)
    found, functions = definitions(tmp_path)
    assert functions == []  # not a literal path: no code dir "${var.source_dir}" to cover
    assert not any("${var.source_dir}" in warning for warning in found.warnings), found.warnings


def test_terraform_non_python_runtime_is_skipped(tmp_path):
    write(tmp_path, "main.tf", TF_ARCHIVE + "\n" + TF_FUNCTION.replace("python3.12", "nodejs20.x"))
    found, functions = definitions(tmp_path)
    assert functions == [] and found.warnings == []


# -- every source at once, and missing handlers --------------------------------------------


def test_handlers_lists_every_definition_with_its_origin(run_warmstate, tmp_path):
    write(tmp_path, "sam/template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "sam/orders/app.py", NAMED_ONLY)
    write(tmp_path, "sls/serverless.yml", SERVERLESS)
    write(tmp_path, "sls/src/orders/handler.py", SERVERLESS_HANDLER)
    write(tmp_path, "tf/main.tf", TF_ARCHIVE + "\n" + TF_FUNCTION)
    write(tmp_path, "tf/src/ingest/ingest.py", TF_HANDLER)
    write(tmp_path, "cdk/cdk.json", "{}\n")
    write(tmp_path, "cdk/stacks/api_stack.py", CDK_SPELLINGS["from_aws_cdk_import_module_as"])
    write(tmp_path, "cdk/lambda/index.py", CDK_HANDLER)
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    write(tmp_path, ".git/HEAD", "ref: refs/heads/main\n")
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == [
        "cdk/lambda/index.py:4: handler (cdk/stacks/api_stack.py: Function Ingest)",
        "sam/orders/app.py:4: process (sam/template.yaml: OrdersFunction (AWS::Serverless::Function))",
        "sls/src/orders/handler.py:4: main (sls/serverless.yml: functions.getOrder)",
        "tf/src/ingest/ingest.py:4: handle_batch (tf/main.tf: aws_lambda_function.ingest)",
        "tools/job.py:4: on_event (parameters (event, context))",
    ]
    assert completed.stderr == ""


def test_missing_handler_file_is_a_one_line_warning(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION.replace("app.process", "gone.process")))
    write(tmp_path, "orders/app.py", "import os\n\nTABLE = os.environ.get('TABLE')\n")
    listed = run_warmstate("handlers", ".", cwd=tmp_path)
    expected = ("template.yaml: warning: OrdersFunction (AWS::Serverless::Function) names the handler "
                "gone.process, but orders/gone.py does not exist")
    assert listed.returncode == 0
    assert listed.stderr.splitlines() == [expected]
    checked = run_warmstate("check", ".", cwd=tmp_path)
    assert checked.returncode == 0  # a warning, and no findings
    assert checked.stderr.splitlines() == [expected]


def test_missing_handler_function_is_a_one_line_warning(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION.replace("app.process", "app.nope")))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    checked = run_warmstate("check", ".", cwd=tmp_path)
    assert checked.returncode == 0  # no handler there, so no findings; the warning does not fail the run
    assert checked.stderr.splitlines() == [
        "orders/app.py: warning: handler 'nope' (template.yaml: OrdersFunction (AWS::Serverless::Function)) "
        "is not a function, method or handler object here"
    ]


def test_warnings_do_not_hide_findings_in_the_exit_code(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        ORDERS_FUNCTION + ORDERS_FUNCTION.replace("OrdersFunction", "Stale").replace("app.process", "old.process")
    ))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert completed.returncode == 1
    assert len(finding_lines(completed.stdout)) == 1
    assert completed.stderr.splitlines() == [
        "template.yaml: warning: Stale (AWS::Serverless::Function) names the handler old.process, "
        "but orders/old.py does not exist"
    ]


def test_handler_that_is_not_module_dot_function_is_a_warning(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION.replace("app.process", "app")))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stderr.splitlines() == ["template.yaml: warning: OrdersFunction: handler 'app' is not MODULE.FUNCTION"]


# -- explicit handlers replace the heuristics for the code they cover ---------------------


def test_definitions_replace_heuristics_in_the_code_they_cover(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY + "\n\ndef lambda_handler(event, context):\n    return process(event, context)\n")
    write(tmp_path, "orders/local_runner.py", BY_PARAMETERS)  # covered, but not named
    write(tmp_path, "tools/job.py", BY_PARAMETERS)  # not covered: heuristics
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))",
        "tools/job.py:4: on_event (parameters (event, context))",
    ]
    checked = run_warmstate("check", ".", cwd=tmp_path)
    assert sorted(line.split(":")[0] for line in finding_lines(checked.stdout)) == ["orders/app.py", "tools/job.py"]


def test_serverless_service_directory_is_covered(run_warmstate, tmp_path):
    write(tmp_path, "serverless.yml", SERVERLESS)
    write(tmp_path, "src/orders/handler.py", SERVERLESS_HANDLER)
    write(tmp_path, "src/orders/debug.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == ["src/orders/handler.py:4: main (serverless.yml: functions.getOrder)"]


def test_terraform_code_dir_is_covered_and_other_code_is_not(run_warmstate, tmp_path):
    write(tmp_path, "main.tf", TF_ARCHIVE + "\n" + TF_FUNCTION)
    write(tmp_path, "src/ingest/ingest.py", TF_HANDLER)
    write(tmp_path, "src/ingest/replay.py", BY_PARAMETERS)
    write(tmp_path, "src/other/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "src/ingest/ingest.py:4: handle_batch (main.tf: aws_lambda_function.ingest)",
        "src/other/job.py:4: on_event (parameters (event, context))",
    ]


def test_a_directory_sharing_a_name_prefix_is_not_covered(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    write(tmp_path, "orders_admin/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))",
        "orders_admin/job.py:4: on_event (parameters (event, context))",
    ]


def test_functions_sharing_a_code_dir_each_get_their_own_handler(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(
        ORDERS_FUNCTION
        + ORDERS_FUNCTION.replace("OrdersFunction", "CreateFunction").replace("app.process", "create.main")
    ))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    write(tmp_path, "orders/create.py", SERVERLESS_HANDLER)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))",
        "orders/create.py:4: main (template.yaml: CreateFunction (AWS::Serverless::Function))",
    ]


def test_command_line_handler_adds_to_a_covered_file(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    write(tmp_path, "orders/extra.py", BY_PARAMETERS.replace("on_event", "drain").replace("(event, context)", "(payload)"))
    completed = run_warmstate("handlers", "--handler", "orders/extra.py:drain", ".", cwd=tmp_path)
    assert completed.stdout.splitlines() == [
        "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))",
        "orders/extra.py:4: drain (--handler orders/extra.py:drain)",
    ]


# -- malformed definitions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text",
    [
        ("template.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn: [unclosed\n"),
        ("template.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {\n'),
        ("serverless.yml", "service: x\nfunctions:\n  a: {handler: app.main\n"),
        ("broken/main.tf", 'resource "aws_lambda_function" "x" {\n  handler = \n'),
    ],
)
def test_malformed_definition_is_a_one_line_warning_and_the_run_goes_on(run_warmstate, tmp_path, name, text):
    write(tmp_path, name, text)
    write(tmp_path, "sam/template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "sam/orders/app.py", NAMED_ONLY)
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    write(tmp_path, ".git/HEAD", "ref: refs/heads/main\n")
    completed = run_warmstate("check", ".", cwd=tmp_path)
    assert completed.returncode == 1  # findings; the warning does not make it an error
    assert sorted(line.split(":")[0] for line in finding_lines(completed.stdout)) == [
        "sam/orders/app.py", "tools/job.py"
    ]
    [warning] = completed.stderr.splitlines()
    assert warning.startswith(f"{name}: warning: "), warning
    listed = run_warmstate("handlers", ".", cwd=tmp_path)
    assert "sam/orders/app.py:4: process (sam/template.yaml: OrdersFunction (AWS::Serverless::Function))" in (
        listed.stdout.splitlines()
    )


def test_malformed_tf_file_does_not_hide_the_rest_of_its_module(tmp_path):
    write(tmp_path, "infra/lambda.tf", TF_FUNCTION)
    write(tmp_path, "infra/archives.tf", TF_ARCHIVE.replace("${path.module}/src", "${path.module}/../src"))
    write(tmp_path, "infra/broken.tf", "variable {{{\n")
    found, functions = definitions(tmp_path)
    assert functions == [("aws_lambda_function.ingest", "src/ingest", "ingest", "handle_batch")]
    assert [w.split(": ", 1)[0] for w in found.warnings] == [os.path.relpath(tmp_path / "infra/broken.tf")]


@pytest.mark.parametrize(
    "resources",
    [
        "Fn: just a string\n",
        "Fn:\n  Type: AWS::Serverless::Function\n  Properties: not a mapping\n",
        "Fn:\n  Type: AWS::Serverless::Function\n  Properties: [CodeUri, Handler]\n",
    ],
)
def test_template_of_the_wrong_shape_does_not_crash(run_warmstate, tmp_path, resources):
    write(tmp_path, "template.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
          + textwrap.indent(resources, "  "))
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)  # asserts there is no traceback
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["tools/job.py:4: on_event (parameters (event, context))"]


@pytest.mark.parametrize("globals_", ["Globals: just a string\n", "Globals:\n  Function: [Runtime]\n"])
def test_globals_of_the_wrong_shape_do_not_crash(run_warmstate, tmp_path, globals_):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION, globals_=globals_))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)  # asserts there is no traceback
    assert completed.returncode == 0
    assert "orders/app.py:4: process (template.yaml: OrdersFunction (AWS::Serverless::Function))" in (
        completed.stdout.splitlines()
    )


# -- the project root ----------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["definition", "pyproject.toml", ".git"])
def test_project_root_found_from_a_nested_file(run_warmstate, tmp_path, marker):
    """The file is checked from outside the project (cwd is a sibling), so only
    a marker at the project's top finds the template in its infra/ folder."""
    project = tmp_path / "project"
    template = "template.yaml" if marker == "definition" else "infra/template.yaml"
    code_uri = "src/orders/" if marker == "definition" else "../src/orders/"
    write(project, template, sam_template(ORDERS_FUNCTION.replace("orders/", code_uri)))
    write(project, "src/orders/app.py", NAMED_ONLY)
    if marker == "pyproject.toml":
        write(project, "pyproject.toml", "[project]\nname = 'orders'\n")
    elif marker == ".git":
        (project / ".git").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    completed = run_warmstate("handlers", "../project/src/orders/app.py", cwd=elsewhere)
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == [
        f"../project/src/orders/app.py:4: process (../project/{template}: OrdersFunction (AWS::Serverless::Function))"
    ]


def test_project_root_found_from_inside_the_code_dir(run_warmstate, tmp_path):
    write(tmp_path, "template.yaml", sam_template(ORDERS_FUNCTION))
    write(tmp_path, "orders/app.py", NAMED_ONLY)
    completed = run_warmstate("check", "app.py", cwd=tmp_path / "orders")
    assert finding_lines(completed.stdout) == [
        "app.py:1:1: LAM101 module-level list 'SEEN' is appended to in process() (line 5), "
        "reached from handler process(), and never reset between invocations"
    ]


def test_a_file_in_the_temporary_directory_is_not_a_project_of_everything_there(tmp_path):
    """`warmstate check /tmp/handler.py` with no project marker around it:
    the other projects in /tmp (here a broken template and a handler) are
    neither read nor analysed."""
    write(tmp_path, "scratch/handler.py", NAMED_ONLY.replace("def process(", "def lambda_handler("))
    write(tmp_path, "other/template.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn: [unclosed\n")
    write(tmp_path, "other/app.py", "from scratch import handler\n")
    completed = subprocess.run([installed_command("warmstate"), "check", "scratch/handler.py"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert completed.stderr == ""
    assert finding_lines(completed.stdout) == [
        "scratch/handler.py:1:1: LAM101 module-level list 'SEEN' is appended to in lambda_handler() (line 5), "
        "reached from handler lambda_handler(), and never reset between invocations"
    ]


@pytest.mark.parametrize("marker", ["serverless.yml", "cdk.json", "main.tf", "samconfig.toml"])
def test_project_root_is_the_nearest_definition_directory(tmp_path, marker):
    write(tmp_path, ".git/HEAD", "ref: refs/heads/main\n")
    write(tmp_path, f"services/orders/{marker}", "")
    write(tmp_path, "services/orders/src/handler.py", NAMED_ONLY)
    root = project_root(str(tmp_path / "services/orders/src/handler.py"), Config(root=str(tmp_path)))
    assert root == str(tmp_path / "services/orders")


@pytest.mark.parametrize("name", ["template.yaml", "serverless.yml"])
def test_a_definition_that_is_not_utf8_is_one_warning(run_warmstate, tmp_path, name):
    """A template saved in Latin-1 (``café``) cannot be read: one warning line
    naming it, and the files are still checked."""
    head = b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n" if name == "template.yaml" else b"service: orders\n"
    (tmp_path / name).write_bytes(head + b"# caf\xe9\n")
    write(tmp_path, "tools/job.py", BY_PARAMETERS)
    completed = run_warmstate("handlers", ".", cwd=tmp_path)  # asserts there is no traceback
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["tools/job.py:4: on_event (parameters (event, context))"]
    assert f"{name}: warning: cannot read" in completed.stderr and "codec can't decode" in completed.stderr
