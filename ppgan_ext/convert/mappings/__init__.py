"""One key-mapping module per model family; importing this registers them all.

Add a family by writing ``<family>.py`` with a function decorated by
``ppgan_ext.convert.register_mapping('<NetClassName>', ...)`` and importing it
here.
"""
from . import pgan, rdn, sparnet  # noqa: F401
