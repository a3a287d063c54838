"""Domain rules: pure functions and value objects, no I/O."""
