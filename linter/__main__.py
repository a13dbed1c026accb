"""``python -m linter`` runs the ``warmstate`` command.

``python -m`` puts the current directory first on ``sys.path``: run from a
project with a ``rules/`` folder of its own (warmstate's ``fixtures/``, or
a linter's plugin folder), that folder would be imported instead of
warmstate's ``rules`` package.  warmstate imports none of the code it looks
at, so the current directory is taken off the path unless it is where
warmstate itself is (a checkout run in place).
"""
import os
import sys

_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) != _HOME:
    del sys.path[0]

from linter.cli import main  # noqa: E402

sys.exit(main())
