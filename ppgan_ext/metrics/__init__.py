"""Plugin metrics, registered into ppgan's METRICS on import."""
from . import face_identity, face_psnr_ssim, ms_ssim, swd  # noqa: F401
