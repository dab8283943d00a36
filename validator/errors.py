"""The one exception a command may raise on purpose: the user's mistake, said in one line."""


class UserError(Exception):
    """Bad invocation or unusable input; the CLI prints it as one line and exits 2."""
