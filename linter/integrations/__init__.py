"""Where warmstate runs besides its own command: flake8."""
