"""Inference and export: predictors, tiling, Paddle Inference export."""
