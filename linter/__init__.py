"""warmstate: find and fix state that leaks between warm AWS Lambda invocations."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/warmstate/warmstate"
