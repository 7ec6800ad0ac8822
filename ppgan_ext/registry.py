"""Registering plugin classes into ppgan's own registries, without shadowing.

ppgan's ``Registry._do_register`` guards collisions with ``assert``, which
vanishes under ``python -O`` and gives a bare AssertionError. Plugin classes
go through :func:`register` instead, which always raises a
:class:`RegistrationError` naming the registry and the clash.

The one deliberate exception is :func:`replace`: a few ppgan components
(``SRDataset``, ``LoadImageFromFile``, ``PerceptualLoss``) are swapped for
subclasses that take the same arguments and add the plugin's checks, so
PaddleGAN's own configs get them without a change.
"""
from .errors import UserError


class RegistrationError(UserError, RuntimeError):
    """A plugin name collides with one already registered in ppgan."""


def register(registry, name=None):
    """Class decorator: add ``cls`` to the ppgan ``registry`` under ``name``.

    Fails loudly if the name is taken (by ppgan or by another plugin class),
    so a plugin can never silently replace one of ppgan's components.
    """

    def deco(cls):
        key = name or cls.__name__
        existing = registry._obj_map.get(key)
        if existing is not None and existing is not cls:
            raise RegistrationError(
                f"cannot register {cls.__module__}.{cls.__qualname__} as "
                f"'{key}' in ppgan's {registry._name} registry: that name "
                f"already belongs to {existing.__module__}."
                f"{existing.__qualname__}. Pick a name that does not collide.")
        registry._obj_map[key] = cls
        return cls

    return deco


def replace(registry, name):
    """Class decorator: put ``cls`` in ppgan's ``registry`` in place of the
    class registered as ``name``, of which it must be a subclass (so every
    config written for ppgan's class keeps working)."""

    def deco(cls):
        original = registry._obj_map.get(name)
        if original is None or not issubclass(cls, original):
            raise RegistrationError(
                f"cannot replace '{name}' in ppgan's {registry._name} "
                f'registry with {cls.__module__}.{cls.__qualname__}: '
                + ('no such name' if original is None else
                   f'it is not a subclass of {original.__module__}.'
                   f'{original.__qualname__}'))
        registry._obj_map[name] = cls
        return cls

    return deco
