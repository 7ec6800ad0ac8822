"""Layers and ops the networks are built from (as ppgan's ``modules/``):
resize/pad ops that export to Paddle Inference, PyTorch-faithful conv units
(``conv_blocks``), He's equalized-LR layers (``equalized_layers``) and the
references' initialisations (``init``)."""
