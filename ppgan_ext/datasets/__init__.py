"""Plugin datasets and preprocess ops, registered into ppgan on import."""
from . import sr_folder_dataset, face_sr_dataset, image_folder_dataset  # noqa: F401
