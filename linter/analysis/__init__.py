"""Models + handlers -> the invocation path and the queries rules use."""
