"""The events a probe sends: the user's (``--events FILE.json``), or the
sample events shipped with warmstate for the common triggers, three each,
with different data (a leak keyed by the request shows only when requests
differ).

Without either, the trigger is guessed from what the handler's module reads
of its event (``["Records"]`` and ``["body"]``: SQS; ``["Sns"]``: SNS;
``rawPath``: an HTTP API; ...), and is an API Gateway REST request when
nothing tells.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

SAMPLES = Path(__file__).with_name("events")
TRIGGERS = ("api-rest", "api-http", "alb", "sqs", "sns", "s3", "eventbridge", "dynamodb", "kinesis")
# What a handler's text reads of its event, tried in order: the first that matches names its trigger.
_HINTS = (
    ("kinesis", ('["kinesis"]', "['kinesis']")),
    ("dynamodb", ('["dynamodb"]', "['dynamodb']", "NewImage", "OldImage")),
    ("sns", ('["Sns"]', "['Sns']")),
    ("s3", ('["s3"]', "['s3']")),
    ("eventbridge", ('["detail"]', "['detail']", "detail-type")),
    ("api-http", ("rawPath", "routeKey")),
    ("alb", ('["elb"]', "['elb']")),
    ("sqs", ('["Records"]', "['Records']", '"Records"', "'Records'")),
)


class EventsError(ValueError):
    """Events that cannot be read (one line for the user)."""


def sample_events(trigger: str) -> List[dict]:
    if trigger not in TRIGGERS:
        raise EventsError(f"unknown trigger {trigger!r} (known: {', '.join(TRIGGERS)})")
    return json.loads((SAMPLES / f"{trigger}.json").read_text(encoding="utf-8"))


def guess_trigger(handler_text: str) -> str:
    for trigger, hints in _HINTS:
        if any(hint in handler_text for hint in hints):
            return trigger
    return "api-rest"


def read_events(path: str) -> List[dict]:
    """A JSON list of events, or one event."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise EventsError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise EventsError(f"{path}: not JSON: {error}") from None
    events = data if isinstance(data, list) else [data]
    if not events:
        raise EventsError(f"{path}: no events")
    return events


def repeated(events: List[dict], invocations: int) -> List[dict]:
    """``invocations`` events: the given ones in order, again from the first when there are fewer."""
    return [events[number % len(events)] for number in range(invocations)]


def choose_events(handler_file: str, events: Optional[Sequence[dict]] = None, path: Optional[str] = None,
                  trigger: Optional[str] = None, invocations: Optional[int] = None) -> Tuple[List[dict], str]:
    """The events to send and where they come from: ``events``, else the
    file ``path``, else the samples of ``trigger`` (guessed from the
    handler's file), repeated up to ``invocations`` (at least two)."""
    if events is not None:
        chosen, origin = list(events), "the events given"
    elif path is not None:
        chosen, origin = read_events(path), path
    else:
        trigger = trigger or guess_trigger(Path(handler_file).read_text(encoding="utf-8", errors="replace"))
        chosen, origin = sample_events(trigger), f"warmstate's {trigger} sample events"
    if not chosen:
        raise EventsError("no events")
    return repeated(chosen, invocations or max(len(chosen), 2)), origin
