"""The one exception a user can cause: the CLI prints its message as one line and exits non-zero."""


class LabError(Exception):
    """A problem with the user's input (experiment, config, data file, run directory).

    The message names what is wrong and where, in one line, without a traceback.
    """
