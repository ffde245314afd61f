"""The one kind of error the library raises for a user to read and act on.

``python -m alexnet_lib`` prints a :class:`UserError` as one sentence and exits 1; any
other exception is a bug and shows its traceback.
"""


class UserError(Exception):
    """Something the user can fix (missing data, a bad checkpoint, an unknown option);
    the message says what and how."""


class ConfigError(UserError, ValueError):
    """An unknown profile, config field or option value."""
