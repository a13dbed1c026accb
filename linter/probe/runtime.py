"""What the Lambda runtime gives a handler: the context object and the
environment variables, for the child process to imitate.

The context has a fresh ``aws_request_id`` on every invocation and counts its
remaining time down from the function's timeout; ``_X_AMZN_TRACE_ID`` is new
on every invocation, as on Lambda.  Values that change per invocation are
masked before warm and cold runs are compared (:mod:`linter.probe.masking`).
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Dict

REGION = "us-east-1"
ACCOUNT = "123456789012"
MEMORY_MB = 128
TIMEOUT_SECONDS = 30


def environment(function_name: str, handler: str, task_root: str) -> Dict[str, str]:
    """The variables the runtime sets for every invocation of the function
    (those the user already set, as a test's environment, are kept)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",  # alike in every run
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
    }


def new_trace_id() -> str:
    """``_X_AMZN_TRACE_ID`` for one invocation."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


class LambdaContext:
    """The ``context`` argument: the attributes and method of the runtime's own."""

    def __init__(self, function_name: str, timeout_seconds: float = TIMEOUT_SECONDS):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = MEMORY_MB
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{function_name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"
