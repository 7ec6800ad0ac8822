"""Output folders checked before any work is done.

A tool that runs for minutes and then fails to write its first result has
lost those minutes; :func:`ensure_writable_dir` writes (then removes) a
probe file in the folder, or in its nearest existing parent when it does
not exist yet (nothing is created, so a run that writes nothing leaves
nothing behind), and turns any failure into one
:class:`~ppgan_ext.errors.OutputPathError` line naming the argument and the
path.
"""
import os
import tempfile

from .errors import OutputPathError

__all__ = ['ensure_writable_dir']


def ensure_writable_dir(path, what='--out'):
    """Check that files can be written in folder ``path`` (created later)."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise OutputPathError(f'{what} {path}: {probe} is a file, not a '
                              'folder')
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix='.write-check-'):
            pass
    except OSError as e:
        raise OutputPathError(f'{what} {path}: cannot write in {probe} '
                              f'({e.strerror or e})') from None
    return path
