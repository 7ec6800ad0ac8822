"""Plugin datasets and preprocess ops, registered into ppgan on import."""
from . import (face_sr_dataset, ffhq_degradation_dataset,  # noqa: F401
               image_folder_dataset, sr_folder_dataset)
