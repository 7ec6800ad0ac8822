"""Device choice for training and inference: ``--device`` parsing and discovery.

``auto`` prefers a Paddle custom device (Ascend ``npu`` first, through
PaddleCustomDevice) over a CUDA ``gpu`` over the ``cpu``. Under
``python -m paddle.distributed.launch`` each rank takes its own card: the one
the launcher selected for it (``FLAGS_selected_<type>s``), else its local rank.
Asking for a device that is not there fails at once with the list of those
that are.
"""
import os

import paddle

from .errors import UserError

__all__ = ['DeviceError', 'available_devices', 'resolve_device', 'set_device']

# Order in which ``auto`` tries custom device types; others follow by name.
_CUSTOM_PREFERENCE = ('npu', 'mlu', 'gcu', 'intel_gpu', 'metax_gpu')


class DeviceError(UserError, RuntimeError):
    """The requested device does not exist on this machine."""


def _count(kind):
    if kind == 'gpu':
        if not paddle.is_compiled_with_cuda():
            return 0
        return paddle.device.cuda.device_count()
    if kind == 'xpu':
        if not paddle.is_compiled_with_xpu():
            return 0
        return paddle.device.xpu.device_count()
    if kind in paddle.device.get_all_custom_device_type():
        ids = [d for d in paddle.device.get_available_custom_device()
               if d.split(':')[0] == kind]
        return len(ids)
    return 0


def available_devices():
    """``{'cpu': 1, 'gpu': n, 'npu': n, ...}`` for device kinds present."""
    found = {'cpu': 1}
    kinds = ['gpu', 'xpu'] + list(paddle.device.get_all_custom_device_type())
    for kind in kinds:
        n = _count(kind)
        if n:
            found[kind] = n
    return found


def _describe(found):
    return ', '.join(k if k == 'cpu' else f'{k}:0..{n - 1}'
                     for k, n in found.items())


def _auto_kind(found):
    custom = [k for k in found if k not in ('cpu', 'gpu', 'xpu')]
    custom.sort(key=lambda k: (_CUSTOM_PREFERENCE.index(k)
                               if k in _CUSTOM_PREFERENCE else
                               len(_CUSTOM_PREFERENCE), k))
    for kind in custom + ['gpu', 'xpu']:
        if kind in found:
            return kind
    return 'cpu'


def _rank_index(kind):
    """The card the distributed launcher gave this process, if any."""
    selected = os.environ.get(f'FLAGS_selected_{kind}s')
    if selected:
        return int(selected.split(',')[0])
    local_rank = os.environ.get('PADDLE_LOCAL_RANK')
    if local_rank is not None and int(os.environ.get('PADDLE_TRAINERS_NUM',
                                                     '1')) > 1:
        return int(local_rank)
    return 0


def resolve_device(spec='auto'):
    """Turn ``auto``/``cpu``/``gpu[:N]``/``npu[:N]``/... into a Paddle place string.

    Raises :class:`DeviceError` (listing what exists) if it is not present.
    """
    spec = (spec or 'auto').strip().lower()
    found = available_devices()
    kind, _, index = spec.partition(':')
    if kind == 'auto':
        kind, index = _auto_kind(found), ''
    if kind == 'cpu':
        if index:
            raise DeviceError(f"--device '{spec}': cpu takes no index")
        return 'cpu'
    if kind not in found:
        raise DeviceError(
            f"--device '{spec}': no {kind} device on this machine "
            f'(available: {_describe(found)}). For Ascend NPUs install '
            'PaddleCustomDevice (paddle-custom-npu) matching this Paddle.')
    if index:
        if not index.isdigit():
            raise DeviceError(f"--device '{spec}': index must be a number")
        idx = int(index)
    else:
        idx = _rank_index(kind)
    if idx >= found[kind]:
        raise DeviceError(
            f"--device '{spec}': {kind}:{idx} does not exist "
            f'(available: {_describe(found)})')
    return f'{kind}:{idx}'


def set_device(spec='auto'):
    """Resolve ``spec`` and make it Paddle's current device; returns the place."""
    place = resolve_device(spec)
    paddle.set_device(place)
    return place
