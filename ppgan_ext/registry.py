"""Registering plugin classes into ppgan's own registries, without shadowing.

ppgan's ``Registry._do_register`` guards collisions with ``assert``, which
vanishes under ``python -O`` and gives a bare AssertionError. Plugin classes
go through :func:`register` instead, which always raises a
:class:`RegistrationError` naming the registry and the clash.
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
