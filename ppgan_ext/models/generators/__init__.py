"""Plugin generators, registered into ppgan's GENERATORS on import."""
from . import pgan, rdn, sparnet  # noqa: F401
