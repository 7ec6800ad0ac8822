"""The plugin's user-facing error types, gathered for the command-line tools.

Each is raised before work is lost and names the file or key at fault; the
tools print it as one line instead of a traceback.
"""
import contextlib
import sys

from .amp import AmpError, NonFiniteLossError
from .config import ConfigError
from .convert import CheckpointError, ConversionError
from .datasets.image_io import ImageReadError
from .datasets.base import DatasetError
from .device import DeviceError
from .engine.checkpoint import CheckpointLoadError
from .engine.run_state import OptimizerStateMismatch
from .faceutils import DlibUnavailableError, FaceDetectorError
from .models.criterions.local_perceptual_loss import VGGWeightsError
from .registry import RegistrationError

USER_ERRORS = (AmpError, ConfigError, CheckpointError, ConversionError,
               ImageReadError, DatasetError, DeviceError, FaceDetectorError,
               DlibUnavailableError, CheckpointLoadError, RegistrationError, VGGWeightsError,
               NonFiniteLossError, OptimizerStateMismatch)


def find_user_error(exc):
    """The first of our errors in ``exc``'s cause/context chain, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, USER_ERRORS):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def exit_on_user_error(also=()):
    """For command-line tools: one of our errors (or of ``also``) anywhere in
    the exception chain is printed as ``error: ...`` and exits with code 2;
    anything else propagates with its traceback."""
    try:
        yield
    except Exception as e:
        err = e if isinstance(e, tuple(also)) else find_user_error(e)
        if err is None:
            raise
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
