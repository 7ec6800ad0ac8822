"""Plugin discriminators, registered into ppgan's DISCRIMINATORS on import."""
from . import multiscale, pgan  # noqa: F401
