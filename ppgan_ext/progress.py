"""Progress bars for the plugin's long loops: one look, and only on a terminal.

Inference over files and tiles, face enhancement, exports, dataset and demo
data preparation and the long metrics all report through :func:`progress`
(a loop) or :func:`stages` (one long job in named steps, e.g. an export).
Bars are drawn on stderr only when stderr is a terminal, so logs, pipes and
captured output never contain them. Lines printed while bars may be shown
go through :func:`echo` (and log lines through :func:`logs_above_bars`),
which keeps the bars intact. A loop inside another
passes ``nested=True``: its bar is drawn under the outer one and removed
when it ends.
"""
import contextlib
import logging
import sys
import threading

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

__all__ = ['bars_enabled', 'progress', 'stages', 'echo', 'logs_above_bars']


def bars_enabled(stream=None):
    """Whether bars are drawn: ``stream`` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def progress(iterable=None, desc=None, total=None, unit='it', nested=False):
    """``tqdm`` over ``iterable`` with the plugin's settings (a no-op
    wrapper when bars are off)."""
    return tqdm(iterable, desc=desc, total=total, unit=unit,
                leave=not nested, file=sys.stderr,
                disable=not bars_enabled(), dynamic_ncols=True,
                mininterval=0.5)


@contextlib.contextmanager
def stages(desc, count, nested=False):
    """A bar over the ``count`` steps of one long job; yields
    ``start(name)`` to call as each step begins. The elapsed time keeps
    counting while a step runs (one call such as ``paddle.jit.to_static``
    can take minutes)."""
    bar = progress(total=count, desc=desc, unit='step', nested=nested)
    started, done = [], threading.Event()

    def start(name):
        if started:
            bar.update()
        started.append(name)
        bar.set_postfix_str(name)

    def tick():
        while not done.wait(1.0):
            bar.refresh()

    ticker = None if bar.disable else threading.Thread(target=tick,
                                                       daemon=True)
    if ticker is not None:
        ticker.start()
    try:
        yield start
        if started:
            bar.update()
    finally:
        done.set()
        if ticker is not None:
            ticker.join()
        bar.close()


def echo(*parts):
    """``print`` that does not break the bars on screen."""
    tqdm.write(' '.join(str(p) for p in parts), file=sys.stdout)


@contextlib.contextmanager
def logs_above_bars(*logger_names):
    """While bars are drawn, the console lines of these loggers are printed
    above the bars instead of through them."""
    if not bars_enabled():
        yield
        return
    with logging_redirect_tqdm([logging.getLogger(n) for n in logger_names]):
        yield
