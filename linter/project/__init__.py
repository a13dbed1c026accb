"""Where the code is: configuration, discovery, the settings each file is checked with."""
