"""Plugin discriminators, registered into ppgan's DISCRIMINATORS on import."""
from . import pgan  # noqa: F401
