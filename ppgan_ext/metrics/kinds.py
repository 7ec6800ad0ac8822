"""What a validation metric is fed, declared by the metric.

A metric may declare ``input_kind`` (``'images'``: lists of uint8 HWC
images, ppgan's PSNR/SSIM contract; ``'tensors'``: NCHW batches in the
model's value range) and ``min_side`` (the smallest image side it can
score; smaller evaluations skip it). ppgan's own metrics declare nothing:
they take images, except ppgan's FID, which takes ``[-1, 1]`` tensors (as
its GPEN and CycleGAN models pass them).
"""
from ppgan.metrics.fid import FID

__all__ = ['input_kind', 'min_side']


def input_kind(metric):
    if isinstance(metric, FID):
        return 'tensors'
    return getattr(metric, 'input_kind', 'images')


def min_side(metric):
    return getattr(metric, 'min_side', 1)
