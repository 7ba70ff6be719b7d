"""Exit codes: every way the CLI can end has a name (as httpie's ExitStatus)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    ERROR = 1  # unexpected failure, output that cannot be written (full disk), or --fail-fast batch rows
    USAGE = 2  # bad input: unknown value, bad number, unreadable file; also Click usage errors
    DATA = 3  # training data missing or unusable
    MODEL = 4  # model file missing, damaged or from another scikit-learn version
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    BROKEN_PIPE = 141  # the reader of stdout went away, as in `| head` (128 + SIGPIPE)
