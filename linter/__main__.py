"""``python -m linter`` runs the ``warmstate`` command."""
import sys

from linter.cli import main

sys.exit(main())
