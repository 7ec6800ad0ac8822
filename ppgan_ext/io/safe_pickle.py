"""The one allow-list unpickler: weight files without running their code.

``.pth`` (PyTorch) and ``.pdparams`` (Paddle/PaddleGAN) files are pickles,
and a pickle can name any Python callable and have it called while loading.
:class:`SafeUnpickler` resolves only the globals a reader allows (tensor
rebuild functions, numpy array reconstruction, plain containers) and
refuses anything else with :class:`UnsafeCheckpointError` naming the file
and the global. With ``allow_module_objects=True`` -- for checkpoints that
pickle a whole ``nn.Module`` -- classes outside the standard library become
inert :class:`PickledObject` records that keep their state and never run
code; a standard-library callable (``os.system``, ``builtins.eval``) is
still refused.
"""
import pickle
import sys

from ..errors import UserError

__all__ = ['CheckpointError', 'UnsafeCheckpointError', 'PickledObject',
           'SafeUnpickler']


class CheckpointError(UserError, ValueError):
    """A checkpoint file is missing, truncated, corrupt or unsafe."""


class UnsafeCheckpointError(CheckpointError):
    """The pickle asks for a global that is not on the allow-list."""


class PickledObject:
    """Inert record of a pickled class instance (e.g. an ``nn.Module``).

    Holds ``cls_path`` and the pickled ``state``; never executes code.
    """

    cls_path = '?'

    def __new__(cls, *args, **kwargs):
        if args or kwargs:
            raise UnsafeCheckpointError(
                f'refusing to call {cls.cls_path} with arguments while '
                'loading a checkpoint')
        return object.__new__(cls)

    def __setstate__(self, state):
        self.state = state

    def __repr__(self):
        return f'<PickledObject {self.cls_path}>'


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only allow-listed globals.

    Args:
        file, encoding: as for ``pickle.Unpickler``.
        source: the file's name, for error messages.
        allowed: ``{(module, name): object}`` returned for those globals.
        resolve: optional ``(module, name) -> object or None`` for globals a
            reader builds itself (e.g. torch storage types).
        importable: optional ``(module, name) -> bool``: globals imported
            normally (e.g. numpy's array reconstruction).
        persistent_load: optional handler of persistent ids (torch storages).
        allow_module_objects: inert records for third-party classes.
    """

    def __init__(self, file, source, allowed, resolve=None, importable=None,
                 persistent_load=None, allow_module_objects=False,
                 encoding='ASCII'):
        super().__init__(file, encoding=encoding)
        self._source = source
        self._allowed = allowed
        self._resolve = resolve
        self._importable = importable
        self._persistent = persistent_load
        self._allow_objects = allow_module_objects
        self._stub_classes = {}

    def persistent_load(self, pid):
        if self._persistent is None:
            raise UnsafeCheckpointError(
                f'{self._source}: unexpected persistent id {pid!r}')
        return self._persistent(pid)

    def find_class(self, module, name):
        if (module, name) in self._allowed:
            return self._allowed[(module, name)]
        found = self._resolve(module, name) if self._resolve else None
        if found is not None:
            return found
        if self._importable and self._importable(module, name):
            return super().find_class(module, name)
        if (self._allow_objects and name[:1].isupper() and
                module.split('.')[0] not in sys.stdlib_module_names):
            path = f'{module}.{name}'
            if path not in self._stub_classes:
                self._stub_classes[path] = type(
                    name, (PickledObject, ), {'cls_path': path})
            return self._stub_classes[path]
        hint = ('' if self._allow_objects or self._persistent is None else
                ' (if this checkpoint pickles a whole model object, pass '
                'allow_module_objects=True / --allow-module-pickle)')
        raise UnsafeCheckpointError(
            f"{self._source}: refusing to load global '{module}.{name}' from "
            f'the pickle: only tensors and plain containers are allowed'
            f'{hint}. Load checkpoints only from sources you trust.')
