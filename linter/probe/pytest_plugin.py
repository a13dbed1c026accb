"""The ``warm_invoke`` fixture, registered with pytest through the
``pytest11`` entry point when warmstate is installed::

    def test_orders_handler_keeps_nothing_between_invocations(warm_invoke):
        report = warm_invoke("orders/app.py:lambda_handler", events, setup="tests/offline_aws.py")
        assert report.consistent, report.diff

The handler runs in child processes (never in pytest's own): warm, every
event in one interpreter, and cold, a fresh interpreter per event.  TARGET
and the setup file are relative to the directory pytest runs in.  Without
events, warmstate's sample events for the handler's trigger are sent.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pytest


def _warm_invoke(target: str, events: Optional[Sequence[dict]] = None, *, trigger: Optional[str] = None,
                 invocations: Optional[int] = None, setup: Optional[str] = None,
                 environment: Optional[dict] = None, timeout: float = 60.0, allow: Sequence[str] = (),
                 name_rules: bool = True):
    """Run ``target`` warm and cold: a :class:`linter.probe.probe.ProbeReport`
    (``consistent``, ``diff``, ``differences``, ``problems``).  With
    ``name_rules``, the diff names the rule that finds each leaking piece of
    state (a static check of the files that define it)."""
    from linter.probe.events import choose_events
    from linter.probe.probe import probe
    from linter.probe.target import resolve_target

    resolved = resolve_target(target)
    events, _ = choose_events(resolved.path, events, trigger=trigger, invocations=invocations)
    static = None
    if name_rules:
        from linter.cli import findings as static
    return probe(resolved, events, setup, timeout, environment, static=static, allow=allow)


@pytest.fixture
def warm_invoke():
    """``warm_invoke(target, events=None, *, trigger=None, invocations=None,
    setup=None, environment=None, timeout=60.0, allow=())``: the handler run
    warm and cold on the same events; ``assert report.consistent, report.diff``."""
    return _warm_invoke
