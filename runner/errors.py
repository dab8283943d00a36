"""Errors a run reports as its result, not as a traceback."""


class RunnerError(Exception):
    """A run cannot go on: bad model, missing data, refused weights. Said in one line."""


class Unsupported(RunnerError):
    """This runner cannot execute the recipe (no CUDA, an optional package missing)."""
