"""Subcommands of the ``causalworld-bench`` CLI, one module each."""
