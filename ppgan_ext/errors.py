"""The plugin's user-facing errors, on the ground floor (imports nothing).

Every mistake a user can make -- a config key, a file that is missing or
does not fit, an output folder that cannot be written -- raises a subclass
of :class:`UserError` that names the culprit, before work is lost. The
command-line tools print it as one ``error: ...`` line and exit with code 2
(:func:`exit_on_user_error`); anything else keeps its traceback.
"""
import contextlib
import sys

__all__ = ['UserError', 'OutputPathError', 'find_user_error',
           'exit_on_user_error']


class UserError(Exception):
    """A mistake in what the user gave (config, file, argument)."""


class OutputPathError(UserError, OSError):
    """An output file or folder cannot be created or written."""


def find_user_error(exc):
    """The first :class:`UserError` in ``exc``'s cause/context chain, or
    None (ppgan's builders re-raise constructor failures as other types)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UserError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def exit_on_user_error(also=()):
    """For command-line tools: a :class:`UserError` (or one of ``also``)
    anywhere in the exception chain is printed as ``error: ...`` and exits
    with code 2; anything else propagates with its traceback."""
    try:
        yield
    except Exception as e:
        err = e if isinstance(e, tuple(also)) else find_user_error(e)
        if err is None:
            raise
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
