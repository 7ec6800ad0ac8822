"""Optional ONNX export of a ``paddle.jit.save`` export, checked with ONNX Runtime.

Needs ``pip install paddle2onnx onnxruntime`` (the ``onnx`` extra); without
them :func:`export_onnx` raises ImportError saying so.
"""
import numpy as np

from .export import _model_file, create_predictor, run_predictor

__all__ = ['export_onnx']


def export_onnx(path_prefix, sample, atol=1e-4, opset=13, log=print):
    """Write ``path_prefix.onnx`` and compare ONNX Runtime with Paddle
    Inference on ``sample``; returns the max abs difference."""
    try:
        import onnxruntime
        import paddle2onnx
    except ImportError as e:
        raise ImportError('ONNX export needs `pip install paddle2onnx '
                          f'onnxruntime` ({e})') from None
    onnx_path = path_prefix + '.onnx'
    # onnxoptimizer, not paddle2onnx's default Polygraphy constant folding:
    # its symbolic shape inference (sympy) takes minutes to hours on graphs
    # with many dynamic-size slices (SPARNet); ONNX Runtime folds constants
    # itself when it loads the model.
    paddle2onnx.export(_model_file(path_prefix), path_prefix + '.pdiparams',
                       save_file=onnx_path, opset_version=opset,
                       enable_onnx_checker=True,
                       optimize_tool='onnxoptimizer')
    session = onnxruntime.InferenceSession(
        onnx_path, providers=['CPUExecutionProvider'])
    feed = {session.get_inputs()[0].name: sample.astype(np.float32)}
    got = session.run(None, feed)[0]
    want = run_predictor(create_predictor(path_prefix, mkldnn=False), sample)
    diff = float(np.max(np.abs(got - want)))
    log(f'{onnx_path}: ONNX Runtime vs Paddle Inference max abs diff '
        f'{diff:.3g}' + (' (above atol)' if diff > atol else ''))
    return diff
