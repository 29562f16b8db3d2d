"""Command-line tools behind the Makefile targets."""
