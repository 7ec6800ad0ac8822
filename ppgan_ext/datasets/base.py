"""Behaviour shared by the plugin's datasets."""
from .image_io import ImageReadError


class ClearErrorsMixin:
    """Re-raise a bad-image error from inside ppgan's preprocess pipeline.

    ppgan's ``Compose`` prints the failing op's traceback and raises a bare
    ``RuntimeError``; the informative :class:`ImageReadError` (naming the
    file) is only its context. Datasets mixing this in raise that error.
    """

    def __getitem__(self, idx):
        try:
            return super().__getitem__(idx)
        except RuntimeError as e:
            if isinstance(e.__context__, ImageReadError):
                raise e.__context__ from None
            raise
