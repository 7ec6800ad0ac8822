"""Plugin criterions, registered into ppgan's CRITERIONS on import."""
from . import gan_losses, local_perceptual_loss  # noqa: F401
