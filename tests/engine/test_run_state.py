"""Random-generator snapshots and optimizer state matched by position."""
import numpy as np
import paddle
import pytest

from ppgan_ext.io.checkpoint import load_checkpoint, save_checkpoint
from ppgan_ext.engine.run_state import (OptimizerStateMismatch, capture_rng,
                                        optimizer_param_names,
                                        rename_optimizer_state, restore_rng)


def test_rng_snapshot_survives_a_checkpoint_file(tmp_path):
    paddle.seed(11)
    paddle.randn([5])
    path = str(tmp_path / 'ck.pdparams')
    save_checkpoint({'rng': capture_rng()}, path)
    want = [paddle.randn([4]).numpy(), paddle.rand([3]).numpy()]
    paddle.seed(99)
    restore_rng(load_checkpoint(path)['rng'])
    got = [paddle.randn([4]).numpy(), paddle.rand([3]).numpy()]
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)


def _trained_adam(prefix, layers=2):
    with paddle.utils.unique_name.guard(prefix):
        net = paddle.nn.Sequential(*[paddle.nn.Linear(3, 3)
                                     for _ in range(layers)])
    opt = paddle.optimizer.Adam(0.1, parameters=net.parameters())
    return net, opt


def test_adam_state_finds_parameters_with_other_names():
    net, opt = _trained_adam('first_')
    net(paddle.ones([2, 3])).sum().backward()
    opt.step()
    opt.clear_grad()
    # as read back from a checkpoint: arrays, not the live tensors
    saved = {k: v.numpy() for k, v in opt.state_dict().items()}
    names = optimizer_param_names(opt)

    other, other_opt = _trained_adam('second_')
    assert optimizer_param_names(other_opt)[0] != names[0]
    state = rename_optimizer_state(saved, names, other_opt, 'ck: optim')
    other_opt.set_state_dict(state)
    # the first step after loading continues Adam (moments restored)
    # exactly like the original optimizer does
    other.set_state_dict(net.state_dict())
    for model, optim in ((net, opt), (other, other_opt)):
        model(paddle.ones([2, 3])).sum().backward()
        optim.step()
    for a, b in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_without_renaming_the_first_step_fails_deep_in_paddle():
    net, opt = _trained_adam('third_')
    net(paddle.ones([2, 3])).sum().backward()
    opt.step()
    saved = {k: v.numpy() for k, v in opt.state_dict().items()}
    other, other_opt = _trained_adam('fourth_')
    other_opt.set_state_dict(saved)  # accepted without a word...
    other(paddle.ones([2, 3])).sum().backward()
    with pytest.raises(AssertionError, match='Optimizer set error'):
        other_opt.step()  # ...and only the first step after it fails


def test_parameter_count_mismatch_is_named():
    net, opt = _trained_adam('sixth_', layers=1)
    _, bigger = _trained_adam('seventh_', layers=2)
    with pytest.raises(OptimizerStateMismatch,
                       match=r'ck.pdparams: optimizer optimG: the checkpoint '
                       r'optimizes 2 parameter tensors but this model has 4'):
        rename_optimizer_state(opt.state_dict(), optimizer_param_names(opt),
                               bigger, 'ck.pdparams: optimizer optimG')
