"""Values that differ between any two invocations, warm or cold, masked
before they are compared: timestamps, request ids, trace ids, durations,
memory addresses, and the keys of JSON log lines that carry them
(Powertools' ``cold_start`` is true on a cold invocation and false on a warm
one by design: not a leak)."""
from __future__ import annotations

import json
import re
import time
from typing import Any

VOLATILE_KEYS = frozenset({
    "timestamp", "time", "asctime", "created", "msecs", "relativeCreated", "cold_start", "xray_trace_id",
    "function_request_id", "request_id", "requestId", "aws_request_id", "duration", "duration_ms", "_aws",
    "location", "process", "thread", "threadName", "sampling_rate",
})
_IDS = [
    (re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}(?:;[A-Za-z]+=[0-9a-zA-Z?]+)*"), "<trace-id>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<uuid>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<address>"),
]
_TIMES = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|milliseconds|seconds|s)\b"), "<duration>"),
    (re.compile(r"\b1[0-9]{9}(?:\.\d+)?\b"), "<epoch>"),
]
_NEAR_NOW_SECONDS = 7 * 24 * 3600
# Times are masked unless the clock is frozen (a setup file stops it for
# each invocation): then a time kept from an earlier invocation is the leak.
MASK_TIMES = True


TEMPORARY_DIRECTORY = ""  # this process's own (each process gets a new one, as each execution environment)


def mask_text(text: str) -> str:
    if TEMPORARY_DIRECTORY:
        text = text.replace(TEMPORARY_DIRECTORY, "$TMPDIR")
    for pattern, replacement in _IDS + (_TIMES if MASK_TIMES else []):
        text = pattern.sub(replacement, text)
    return text


def mask_line(line: str) -> Any:
    """A printed or logged line: a JSON record without its volatile keys, else the masked text."""
    try:
        record = json.loads(line)
    except ValueError:
        return mask_text(line)
    return mask_value(record)


def mask_value(value: Any) -> Any:
    """JSON-like data with volatile keys dropped and volatile strings and times masked."""
    if isinstance(value, dict):
        return {str(key): mask_value(item) for key, item in value.items() if key not in VOLATILE_KEYS}
    if isinstance(value, (list, tuple)):
        return [mask_value(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    if MASK_TIMES and isinstance(value, float) and abs(value - time.time()) < _NEAR_NOW_SECONDS:
        return "<epoch>"  # time.time() kept somewhere: differs on every run
    return value
