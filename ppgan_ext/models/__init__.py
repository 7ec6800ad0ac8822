"""Plugin networks and models, registered into ppgan's registries on import."""
from . import generators, discriminators, criterions  # noqa: F401
from . import sr_model, sparnet_model, sparnethd_model, pgan_model  # noqa: F401
