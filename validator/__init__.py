"""Check, compare, report and publish model-compression homework submissions."""

__version__ = "0.1.0"
