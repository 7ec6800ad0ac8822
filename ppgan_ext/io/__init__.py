"""Files in and out: checkpoints (atomic, safely unpickled), PyTorch ``.pth``
reading without torch, images, and images <-> model tensors."""
