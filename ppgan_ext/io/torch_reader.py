"""Read PyTorch ``.pth`` checkpoints into numpy arrays -- without torch, safely.

Both on-disk formats are understood:

* the zip format (``torch.save`` since 1.6): ``<root>/data.pkl`` plus one raw
  little-endian blob per storage in ``<root>/data/<key>``;
* the legacy format (torch < 1.6): a stream of pickles (magic number,
  protocol, sys info, the object, the storage keys) followed by each storage
  as an int64 element count and its raw bytes.

Safety: the pickle is read by :class:`~.safe_pickle.SafeUnpickler` with an
allow-list of the tensor/storage rebuild functions and plain containers;
``allow_module_objects=True`` (``torch.save(model)`` checkpoints) turns
model classes into inert records. Anything refused raises
:class:`~.safe_pickle.UnsafeCheckpointError` naming the file and the
global.
"""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

from .safe_pickle import (CheckpointError, PickledObject, SafeUnpickler,
                          UnsafeCheckpointError)

__all__ = ['load_torch_checkpoint', 'load_torch_state_dict']


_STORAGE_DTYPES = {
    'FloatStorage': np.float32,
    'DoubleStorage': np.float64,
    'HalfStorage': np.float16,
    'BFloat16Storage': 'bfloat16',
    'LongStorage': np.int64,
    'IntStorage': np.int32,
    'ShortStorage': np.int16,
    'CharStorage': np.int8,
    'ByteStorage': np.uint8,
    'BoolStorage': np.bool_,
}


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: only carries the dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    @property
    def itemsize(self):
        return 2 if self.dtype == 'bfloat16' else np.dtype(self.dtype).itemsize


class _Storage:
    """A flat storage: raw bytes decoded lazily to a 1-D numpy array."""

    def __init__(self, storage_type, raw=None):
        self.storage_type = storage_type
        self.raw = raw

    def array(self):
        if self.raw is None:
            raise CheckpointError('storage data missing from checkpoint')
        if self.storage_type.dtype == 'bfloat16':
            bits = np.frombuffer(self.raw, dtype='<u2').astype(np.uint32)
            return (bits << 16).view(np.float32)
        return np.frombuffer(self.raw,
                             dtype=np.dtype(self.storage_type.dtype)
                             .newbyteorder('<'))


class _LazyTensor:
    """A tensor whose storage bytes may arrive after unpickling (legacy)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def materialize(self):
        flat = self.storage.array()
        if not self.size:
            return np.array(flat[self.offset])
        needed = self.offset + sum(
            (s - 1) * st for s, st in zip(self.size, self.stride)) + 1
        if min(self.size) > 0 and needed > flat.size:
            raise CheckpointError('tensor runs past the end of its storage '
                                  '(truncated checkpoint?)')
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size,
            strides=[st * item for st in self.stride])
        return np.ascontiguousarray(view).astype(view.dtype.newbyteorder('='))


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=None, backward_hooks=None, *rest):
    return data


_ALLOWED = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor,
    ('torch._utils', '_rebuild_tensor'): _rebuild_tensor,
    ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
    ('torch._utils', '_rebuild_parameter_with_state'): _rebuild_parameter,
    ('builtins', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
    ('builtins', 'slice'): slice,
}


def _torch_global(module, name):
    """Torch's storage types and ``torch.Size``, built here."""
    if module == 'torch' and name in _STORAGE_DTYPES:
        return _StorageType(name)
    if module == 'torch' and name == 'Size':
        return tuple
    return None


def _unpickler(f, path, persistent_load, allow_module_objects):
    return SafeUnpickler(f, path, _ALLOWED, resolve=_torch_global,
                         persistent_load=persistent_load,
                         allow_module_objects=allow_module_objects)


def _zip_load(path, allow_module_objects):
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith('data.pkl')]
        if not pkl:
            raise CheckpointError(f'{path}: zip file has no data.pkl; not a '
                                  'PyTorch checkpoint')
        root = pkl[0][:-len('data.pkl')]
        storages = {}

        def persistent_load(pid):
            if not (isinstance(pid, tuple) and pid and pid[0] == 'storage'):
                raise UnsafeCheckpointError(
                    f'{path}: unexpected persistent id {pid!r}')
            _, stype, key, _location, _numel = pid[:5]
            if key not in storages:
                member = f'{root}data/{key}'
                try:
                    raw = zf.read(member)
                except KeyError:
                    raise CheckpointError(
                        f'{path}: storage {member} missing (truncated?)')
                storages[key] = _Storage(stype, raw)
            return storages[key]

        data = zf.read(pkl[0])
        return _unpickler(io.BytesIO(data), path, persistent_load,
                          allow_module_objects).load()


_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


def _legacy_load(path, allow_module_objects):
    storages = {}

    def persistent_load(pid):
        typename = pid[0]
        if typename == 'module':
            return pid[1]  # container class (already vetted by find_class)
        if typename != 'storage':
            raise UnsafeCheckpointError(
                f'{path}: unexpected persistent id {pid!r}')
        stype, key, _location, numel, view = pid[1:6]
        if key not in storages:
            storages[key] = _Storage(stype)
        if view is not None:
            raise CheckpointError(f'{path}: storage views are not supported')
        return storages[key]

    def plain_load(f):
        return _unpickler(f, path, lambda pid: pid, False).load()

    with open(path, 'rb') as f:
        if plain_load(f) != _LEGACY_MAGIC:
            raise CheckpointError(f'{path}: not a PyTorch checkpoint '
                                  '(bad magic number)')
        plain_load(f)  # protocol version
        plain_load(f)  # sys info
        obj = _unpickler(f, path, persistent_load,
                         allow_module_objects).load()
        keys = plain_load(f)
        for key in keys:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f'{path}: truncated storage data')
            (numel, ) = struct.unpack('<q', head)
            storage = storages[key]
            nbytes = numel * storage.storage_type.itemsize
            storage.raw = f.read(nbytes)
            if len(storage.raw) != nbytes:
                raise CheckpointError(f'{path}: truncated storage data')
    return obj


def _materialize(obj):
    if isinstance(obj, _LazyTensor):
        return obj.materialize()
    if isinstance(obj, dict):
        out = type(obj)() if isinstance(obj, collections.OrderedDict) else {}
        for k, v in obj.items():
            out[k] = _materialize(v)
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v) for v in obj)
    if isinstance(obj, PickledObject):
        obj.state = _materialize(getattr(obj, 'state', None))
    return obj


def load_torch_checkpoint(path, allow_module_objects=False):
    """Load a ``.pth`` file; tensors become numpy arrays.

    Returns the pickled object with every tensor materialised (a dict for a
    state_dict, a :class:`PickledObject` for a whole pickled module).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: no such checkpoint file')
    if os.path.getsize(path) == 0:
        raise CheckpointError(f'{path}: checkpoint file is empty')
    try:
        if zipfile.is_zipfile(path):
            obj = _zip_load(path, allow_module_objects)
        else:
            obj = _legacy_load(path, allow_module_objects)
        return _materialize(obj)
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, KeyError,
            ValueError, struct.error, TypeError, IndexError,
            AttributeError) as e:
        raise CheckpointError(
            f'{path}: not a readable PyTorch checkpoint ({type(e).__name__}: '
            f'{e})') from e


def _module_state_dict(obj, prefix=''):
    """Flatten a pickled ``nn.Module`` record into a state_dict."""
    state = obj.state if isinstance(obj.state, dict) else {}
    out = collections.OrderedDict()
    skip = set(state.get('_non_persistent_buffers_set', ()) or ())
    for kind in ('_parameters', '_buffers'):
        for k, v in (state.get(kind) or {}).items():
            if v is not None and not (kind == '_buffers' and k in skip):
                out[prefix + k] = v
    for k, sub in (state.get('_modules') or {}).items():
        if isinstance(sub, PickledObject):
            out.update(_module_state_dict(sub, f'{prefix}{k}.'))
    return out


def load_torch_state_dict(path, allow_module_objects=False, key=None):
    """Load a checkpoint and return a flat ``{name: np.ndarray}`` dict.

    Accepts a plain state_dict, a dict wrapping one under ``key`` (or under
    one of the usual names ``state_dict``/``params``/``model``), or -- with
    ``allow_module_objects`` -- a whole pickled ``nn.Module``.
    """
    obj = load_torch_checkpoint(path, allow_module_objects)
    if isinstance(obj, PickledObject):
        return _module_state_dict(obj)
    if not isinstance(obj, dict):
        raise CheckpointError(f'{path}: expected a state_dict, found '
                              f'{type(obj).__name__}')
    if key is not None:
        if key not in obj:
            raise CheckpointError(f"{path}: no entry '{key}' in checkpoint "
                                  f'(top-level keys: {sorted(obj)[:20]})')
        obj = obj[key]
    elif not any(isinstance(v, np.ndarray) for v in obj.values()):
        for k in ('state_dict', 'params', 'params_ema', 'model'):
            if isinstance(obj.get(k), (dict, PickledObject)):
                obj = obj[k]
                break
    if isinstance(obj, PickledObject):
        return _module_state_dict(obj)
    return collections.OrderedDict(
        (k, v) for k, v in obj.items() if isinstance(v, np.ndarray))
