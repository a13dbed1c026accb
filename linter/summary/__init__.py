"""One module -> its model: module-level state and what each function does."""
