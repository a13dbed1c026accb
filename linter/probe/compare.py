"""Compare the warm run with the cold runs, invocation by invocation.

Every event after the first runs cold twice, in two fresh interpreters:
whatever differs between those two is noise (a random token, a ``uuid4().hex``,
a monotonic clock, the order of a set, a thread id), never a leak, and is left
out of the comparison with the warm run, down to the key or the list item
that differs.  What a process prints on its first invocation only (a client
created lazily logs its creation, Powertools emits a ColdStart metric) is not
compared either: the warm run printed it on its own first invocation.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import List, Optional

_ABSENT = object()


@dataclass
class Difference:
    invocation: int  # 0-based
    what: str  # "return value", "output", or the state's key
    warm: object
    cold: object
    kind: str = ""
    file: Optional[str] = None
    name: Optional[str] = None
    line: Optional[int] = None
    rules: List[str] = field(default_factory=list)
    identity: Optional[int] = None  # the object's id in the warm run: one object under several names is one state


def outcome(record: dict) -> object:
    if record.get("exited") is not None:
        return {"exited with": record["exited"]}
    if record.get("raised") is not None:
        return {"raised": record["raised"]}
    return record["result"]


def differs(warm, cold, again) -> bool:
    """Whether ``warm`` differs from ``cold`` in a part where the two cold
    runs (``cold``, ``again``) agree."""
    if cold == again:
        return warm != cold
    if all(isinstance(value, dict) for value in (warm, cold, again)):
        return any(differs(warm.get(key, _ABSENT), cold.get(key, _ABSENT), again.get(key, _ABSENT))
                   for key in set(warm) | set(cold) | set(again))
    if all(isinstance(value, list) for value in (warm, cold, again)) and len(cold) == len(again):
        return len(warm) != len(cold) or any(differs(*items) for items in zip(warm, cold, again))
    return False  # not the same from one fresh interpreter to the next


def differences(warm: List[dict], cold: List[dict], again: List[dict]) -> List[Difference]:
    """What differs between the warm run's invocation n+1 and the cold runs of the same event (``cold[n]``, ``again[n]``)."""
    found = []
    for number, (warm_record, cold_record, cold_again) in enumerate(zip(warm[1:], cold, again), start=1):
        if differs(outcome(warm_record), outcome(cold_record), outcome(cold_again)):
            found.append(Difference(number, "return value", outcome(warm_record), outcome(cold_record)))
        first_only = _first_invocation_only(warm[0]["output"], warm_record["output"])
        cold_output = _without(cold_record["output"], first_only)
        if differs(warm_record["output"], cold_output, _without(cold_again["output"], first_only)):
            found.append(Difference(number, "output", warm_record["output"], cold_output))
        found.extend(_state_differences(number, warm_record["state"], cold_record["state"], cold_again["state"]))
    return found


def _state_differences(number: int, warm: dict, cold: dict, again: dict) -> List[Difference]:
    found = []
    for key in sorted(set(warm) | set(cold)):
        if (key in cold) != (key in again):
            continue  # there in one fresh interpreter and not in the other
        entry = warm.get(key) or cold[key]
        values = [state[key]["value"] if key in state else None for state in (warm, cold, again)]
        if differs(*values):
            found.append(Difference(number, key, values[0], values[1], entry["kind"], entry["file"], entry["name"],
                                    identity=(warm.get(key) or {}).get("identity")))
    return found


def _key(line) -> str:
    return json.dumps(line, sort_keys=True)


def _first_invocation_only(first: list, later: list) -> Counter:
    return Counter(map(_key, first)) - Counter(map(_key, later))


def _without(lines: list, dropped: Counter) -> list:
    """``lines`` without (as many of) the ``dropped`` ones."""
    remaining, kept = Counter(dropped), []
    for line in lines:
        if remaining[_key(line)] > 0:
            remaining[_key(line)] -= 1
            continue
        kept.append(line)
    return kept
