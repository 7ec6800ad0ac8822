"""Behaviour shared by the plugin's datasets: errors that name the file."""
from ..errors import UserError
from ..io.images import ImageReadError, image_size, list_images

__all__ = ['DatasetError', 'ClearErrorsMixin', 'QuietCompose', 'item_files',
           'checked_images']


class DatasetError(UserError, ValueError):
    """A dataset folder is empty, unpaired or inconsistent with the config."""


def checked_images(folder, what='image folder'):
    """The images of ``folder`` (:func:`list_images`), each header read.

    Raises :class:`DatasetError` naming the folder, or the first unreadable
    file and how many there are, so a bad file stops the run when the
    dataset is built, not mid-training. Files truncated after a valid header
    are caught when read (:class:`ImageReadError` naming them).
    """
    try:
        paths = list_images(folder, what)
    except ImageReadError as e:
        raise DatasetError(str(e)) from None
    bad = []
    for path in paths:
        try:
            image_size(path)
        except ImageReadError as e:
            bad.append(str(e))
    if bad:
        raise DatasetError(f'{bad[0]} ({len(bad)} unreadable file(s) of '
                           f'{len(paths)} in {what} {folder})')
    return paths


def item_files(datas):
    """The ``*_path`` values of a sample dict, joined for an error message."""
    paths = [str(v) for k, v in sorted(datas.items()) if k.endswith('_path')]
    return ', '.join(paths) or '<sample without file paths>'


class QuietCompose:
    """ppgan's preprocess ``Compose`` without its printed traceback.

    ppgan's ``Compose`` prints every failing op's stack to stdout and raises
    a bare ``RuntimeError``. Here an :class:`ImageReadError` passes through
    unchanged and a ``ValueError`` of an op (e.g. ``SRPairedRandomCrop``'s
    "lq size error") becomes a :class:`DatasetError` naming the sample's
    files; anything else propagates with its own traceback.
    """

    def __init__(self, functions):
        self.functions = list(functions)

    def __call__(self, datas):
        for func in self.functions:
            try:
                datas = func(datas)
            except (ImageReadError, DatasetError):
                raise
            except ValueError as e:
                raise DatasetError(
                    f'{item_files(datas)}: preprocess step '
                    f'{type(func).__name__} failed: {e or type(e).__name__}'
                ) from e
        return datas


class ClearErrorsMixin:
    """Re-raise a bad-image error from inside ppgan's preprocess pipeline.

    For datasets still running ppgan's ``Compose`` (which raises a bare
    ``RuntimeError`` with the informative :class:`ImageReadError` only as
    its context), raise that error instead.
    """

    def __getitem__(self, idx):
        try:
            return super().__getitem__(idx)
        except RuntimeError as e:
            if isinstance(e.__context__, ImageReadError):
                raise e.__context__ from None
            raise
