"""Silence the known third-party noise in the command-line tools.

Called by each tool's ``__main__`` block before Paddle is imported, never by
the library: ``import ppgan_ext`` in user code leaves warning filters and
logging alone. Each message is handled where it is produced:

* Python warnings (``warnings`` filters, by message and issuing module):
  ``No ccache found`` (Paddle, at import: it looks for a compiler cache for
  C++ extensions, which nothing here builds); ``To copy construct from a
  tensor`` (Paddle, when ppgan's ``BaseSRModel.setup_input`` passes the
  loader's tensors to ``paddle.to_tensor`` again); ``When training, we now
  always track global mean and variance`` (Paddle's BatchNorm, on every
  training forward).
* Paddle's C++ warnings (glog), e.g. ``Paddle static graph(PIR) not support
  input out tensor for now!!!!!`` on every export (tracing ``x + y``): glog
  cannot drop one message, so the tools hide its WARNING level
  (``GLOG_minloglevel=2``, errors still shown) unless the user has set
  ``GLOG_minloglevel`` (``GLOG_minloglevel=0`` shows everything).
* ONNX export (:func:`quiet_onnx`): paddle2onnx's Python log (INFO/WARNING
  lines printed to stdout), its C++ ``[Paddle2ONNX] ...`` progress lines
  (written to file descriptor 1, dropped from that call's output) and ONNX
  Runtime's graph clean-up warnings (its logger set to errors only).
"""
import contextlib
import os
import sys
import tempfile
import warnings

__all__ = ['quiet_third_party', 'quiet_onnx', 'KNOWN_WARNINGS']

# (message regex, module that issues it)
KNOWN_WARNINGS = (
    (r'No ccache found', r'paddle\.utils\.cpp_extension'),
    (r'To copy construct from a tensor', r'paddle\.tensor\.creation'),
    (r'When training, we now always track global mean and variance',
     r'paddle\.nn\.layer\.norm'),
)


def quiet_third_party():
    """Filter the known warnings and Paddle's C++ warning level (call before
    ``import paddle``)."""
    for message, module in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message,
                                category=UserWarning, module=module)
    os.environ.setdefault('GLOG_minloglevel', '2')


@contextlib.contextmanager
def _without_lines(prefixes, fd=1, stream=None):
    """Run the block with file descriptor ``fd`` captured, then write what
    was printed there back to ``stream``, minus lines starting with
    ``prefixes`` (for C++ code that prints straight to the descriptor)."""
    stream = stream or sys.stdout
    stream.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), fd)
        try:
            yield
        finally:
            stream.flush()
            os.dup2(saved, fd)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors='replace')
            stream.write(''.join(
                line for line in text.splitlines(keepends=True)
                if not line.startswith(prefixes)))
            stream.flush()


@contextlib.contextmanager
def quiet_onnx():
    """paddle2onnx and ONNX Runtime without their progress and clean-up
    chatter (their errors still show)."""
    try:
        import onnxruntime
        from paddle2onnx.utils import logging as p2o_logging
    except ImportError:  # export_onnx says what to install
        yield
        return
    onnxruntime.set_default_logger_severity(3)  # errors and fatal only
    level, p2o_logging.log_level = p2o_logging.log_level, 0  # errors only
    try:
        with _without_lines(('[Paddle2ONNX] ', )):
            yield
    finally:
        p2o_logging.log_level = level
