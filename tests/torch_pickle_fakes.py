"""Write torch-format checkpoint files without torch, for reader tests.

``write_torch_zip(path, obj)`` produces the zip layout ``torch.save`` uses
(``<root>/data.pkl`` + ``<root>/data/<key>``); ``write_torch_legacy(path,
obj)`` the pre-1.6 stream layout. ``obj`` may contain :class:`FakeTensor`
(numpy-backed), :class:`FakeModule` (pickled like an ``nn.Module`` whose class
lives in a non-stdlib module, as ``torch.save(model)`` does) and plain
containers. Stand-in ``torch`` modules are installed only while pickling.
"""
import collections
import contextlib
import io
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

_DTYPE_STORAGE = {np.dtype('float32'): 'FloatStorage',
                  np.dtype('int64'): 'LongStorage'}


class FakeTensor:
    """A numpy array that pickles as ``torch._utils._rebuild_tensor_v2``."""

    def __init__(self, array):
        self.array = np.ascontiguousarray(array)


class FakeModule:
    """Pickles like ``nn.Module``: NEWOBJ of a class + its ``__dict__``."""


def _module_class(qualname, module='refmodel.rdn'):
    return type(qualname, (FakeModule, ), {'__module__': module})


def make_module(class_name, params=None, children=None, module='refmodel.rdn'):
    """An nn.Module-like object with ``_parameters``/``_buffers``/``_modules``."""
    obj = _module_class(class_name, module)()
    obj.training = False
    obj._parameters = collections.OrderedDict(
        (k, FakeTensor(v)) for k, v in (params or {}).items())
    obj._buffers = collections.OrderedDict()
    obj._modules = collections.OrderedDict(children or {})
    return obj


@contextlib.contextmanager
def _fake_torch():
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')

    def _rebuild_tensor_v2(*args):  # never called: only named in the pickle
        raise AssertionError('fake torch called')

    _rebuild_tensor_v2.__module__ = 'torch._utils'
    _rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in _DTYPE_STORAGE.values():
        setattr(torch, name, type(name, (), {'__module__': 'torch'}))
    torch._utils = utils
    saved = {k: sys.modules.get(k) for k in ('torch', 'torch._utils',
                                             'refmodel', 'refmodel.rdn')}
    sys.modules.update({'torch': torch, 'torch._utils': utils,
                        'refmodel': types.ModuleType('refmodel'),
                        'refmodel.rdn': types.ModuleType('refmodel.rdn')})
    try:
        yield torch
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class _Pickler(pickle.Pickler):

    def __init__(self, f, torch, storages, legacy):
        super().__init__(f, protocol=2)
        self.torch, self.storages, self.legacy = torch, storages, legacy

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            stype = getattr(self.torch, _DTYPE_STORAGE[obj.array.dtype])
            pid = ('storage', stype, obj.key, 'cpu', obj.array.size)
            return pid + (None, ) if self.legacy else pid
        return None

    def reducer_override(self, obj):
        if isinstance(obj, FakeTensor):
            key = str(len(self.storages))
            self.storages[key] = obj.array
            stride = tuple(s // obj.array.itemsize for s in obj.array.strides)
            return (self.torch._utils._rebuild_tensor_v2,
                    (_StorageRef(key, obj.array), 0, obj.array.shape, stride,
                     False, collections.OrderedDict()))
        if isinstance(obj, FakeModule):
            cls = type(obj)
            sys.modules[cls.__module__].__dict__[cls.__name__] = cls
            return NotImplemented
        return NotImplemented


class _StorageRef:

    def __init__(self, key, array):
        self.key, self.array = key, array


def _dump(obj, legacy):
    buf, storages = io.BytesIO(), collections.OrderedDict()
    with _fake_torch() as torch:
        _Pickler(buf, torch, storages, legacy).dump(obj)
    return buf.getvalue(), storages


def write_torch_zip(path, obj, root='archive'):
    data, storages = _dump(obj, legacy=False)
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr(f'{root}/data.pkl', data)
        for key, arr in storages.items():
            zf.writestr(f'{root}/data/{key}', arr.astype('<' + arr.dtype.str[1:]).tobytes())


def write_torch_legacy(path, obj):
    data, storages = _dump(obj, legacy=True)
    with open(path, 'wb') as f:
        for header in (0x1950a86a20f9469cfc6c, 1001, {'little_endian': True}):
            pickle.dump(header, f, protocol=2)
        f.write(data)
        pickle.dump(list(storages), f, protocol=2)
        for arr in storages.values():
            f.write(struct.pack('<q', arr.size))
            f.write(arr.tobytes())


def write_raw_zip_pickle(path, payload_bytes, root='archive'):
    """A torch-style zip whose data.pkl is ``payload_bytes`` (crafted)."""
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr(f'{root}/data.pkl', payload_bytes)
