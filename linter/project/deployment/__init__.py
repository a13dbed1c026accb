"""Handlers named by deployment definitions, read (never executed) from the
project: AWS SAM / CloudFormation templates, serverless.yml, CDK apps in
Python, Terraform.

Each reader returns :class:`~linter.project.deployment.definitions.FunctionDefinition`
items: where the function's code is (the directory its handler is relative
to), the handler's module and function, and where the definition is.
"""
