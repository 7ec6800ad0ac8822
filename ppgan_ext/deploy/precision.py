"""Inference precision on CPU: ``fp32``, ``bf16`` or ``auto``.

Paddle Inference runs an export in bfloat16 with
``Config.enable_mkldnn_bfloat16()``. What the CPU does with it:

* AMX-BF16 or AVX512-BF16 (``/proc/cpuinfo`` flags ``amx_bf16``,
  ``avx512_bf16``): native bf16 kernels, about twice the fp32 conv rate on
  AVX512-BF16 (docs/deploy.md);
* AVX-512 without those: oneDNN *emulates* bf16 (correct, slower than fp32);
* no AVX-512: Paddle ignores the request and silently runs fp32.

``auto`` picks bf16 only on native bf16 CPUs and only for generators whose
bf16 output was measured close enough to fp32 (:data:`BF16_AUTO`), else fp32,
and logs its choice in one line. An explicit ``bf16`` is refused with
:class:`PrecisionError` where the kernels cannot run at all, rather than
silently giving fp32; where they are emulated it runs with a warning.
"""
import warnings

from ..errors import UserError

__all__ = ['PRECISIONS', 'BF16_AUTO', 'PrecisionError', 'bf16_support',
           'resolve_precision', 'engine_precision']

PRECISIONS = ('auto', 'fp32', 'bf16')

# Generators 'auto' runs in bf16 (on native bf16 CPUs), measured with
# demo-trained weights (docs/deploy.md, "bf16 quality"): ESRGAN's RRDBNet
# loses 0.004 dB PSNR-Y on the held-out photos (bound 0.05 dB); PGAN's bf16
# samples are 46 dB from its fp32 ones. RDN (-0.09 dB) and SPARNet
# (-0.13 dB) stay fp32.
BF16_AUTO = frozenset({'RRDBNet', 'PGANGenerator'})

_NATIVE_FLAGS = ('amx_bf16', 'avx512_bf16')


class PrecisionError(UserError, ValueError):
    """The requested inference precision cannot run here."""


def _cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def bf16_support():
    """``'native'`` (AMX-BF16 / AVX512-BF16), ``'emulated'`` (AVX-512:
    oneDNN emulates bf16) or ``None`` (Paddle would run fp32)."""
    from paddle.base import core
    if not core.supports_bfloat16():
        return None
    native = (bool(_cpu_flags() & set(_NATIVE_FLAGS))
              or core.supports_bfloat16_fast_performance())
    return 'native' if native else 'emulated'


def resolve_precision(precision, generator=None, log=print):
    """``'fp32'`` or ``'bf16'`` for a requested ``precision`` (one of
    :data:`PRECISIONS`) and a generator class name (for ``auto``'s allow
    list); ``auto`` logs what it chose and why."""
    if precision not in PRECISIONS:
        raise PrecisionError(f'precision must be one of {list(PRECISIONS)}, '
                             f'got {precision!r}')
    support = bf16_support() if precision != 'fp32' else None
    if precision == 'bf16':
        if support is None:
            raise PrecisionError('precision bf16: this CPU has no AVX-512, '
                                 'Paddle cannot run bf16 kernels on it; use '
                                 'precision fp32 or auto')
        if support == 'emulated':
            warnings.warn('precision bf16: this CPU lacks AMX-BF16 and '
                          'AVX512-BF16, oneDNN emulates bf16 (slower than '
                          'fp32)')
        return 'bf16'
    if precision == 'fp32':
        return 'fp32'
    if support != 'native':
        choice, why = 'fp32', 'the CPU has no AMX-BF16 or AVX512-BF16'
    elif generator not in BF16_AUTO:
        choice, why = 'fp32', (f'{generator} is not on the bf16 allow list '
                               '(its bf16 output is not close enough)')
    else:
        choice, why = 'bf16', 'the CPU has AMX-BF16 or AVX512-BF16'
    log(f'precision auto: {choice} ({why})')
    return choice


def engine_precision(engine, precision, generator, log=print):
    """The precision an inference engine runs (``'inference'``: as
    :func:`resolve_precision`; ``'dynamic'``: fp32, an explicit ``'bf16'``
    refused)."""
    if engine == 'inference':
        return resolve_precision(precision, generator, log)
    if precision == 'bf16':
        raise PrecisionError('precision bf16 needs the inference engine '
                             f'(engine is {engine})')
    if precision not in PRECISIONS:
        resolve_precision(precision)  # raises, naming the choices
    return 'fp32'
