"""The warm-invocation test kit: run a handler warm (every event in one
interpreter) and cold (a fresh interpreter per event) and show what differs.

Static findings say where state can leak; ``warmstate probe`` and the
``warm_invoke`` pytest fixture show it happen.  The user's code runs only in
child processes (:mod:`linter.probe.child`), never in warmstate's own.
"""
