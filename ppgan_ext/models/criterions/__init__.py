"""Plugin criterions, registered into ppgan's CRITERIONS on import."""
from . import local_perceptual_loss  # noqa: F401
