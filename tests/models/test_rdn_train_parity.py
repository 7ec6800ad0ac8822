"""RDN trains step for step like the seed repository's ``train.py``
(case ``train_rdn_seed``: L1, Adam with PyTorch's defaults lr 1e-3 /
(0.9, 0.999)), with everything built from ``configs/rdn_seed_x2.yaml``,
the seed's protocol (``configs/rdn_x*.yaml`` keep the paper's, see
docs/rdn.md)."""
import paddle
import pytest

from tests.train_parity import Case, config_model, train_and_check

# the case's RDN: the seed's layout with its hard-coded width 64 -> 16
TINY = ['model.generator.num_features=16', 'model.generator.growth_rate=16']


def run(overrides=(), record=True):
    case = Case('train_rdn_seed')
    _, model = config_model('rdn_seed_x2.yaml', TINY + list(overrides))
    batch = dict(case.batch, lq_path=['a.png', 'b.png'])
    train_and_check(case, model, {'generator': 'G'}, batch,
                    {'loss': 'loss_pixel'}, record=record)


def test_train_rdn_seed_matches_the_reference():
    run()


@pytest.mark.parametrize('override, message', [
    # the paper configs' learning rate: every weight moves 10x less
    ('lr_scheduler.learning_rate=0.0001', 'G after iteration 1 differs'),
    # Adam's first step is about lr * sign(g) whatever beta2 is: the
    # difference shows from iteration 2 on
    ('optimizer.beta2=0.99', 'iteration 3: loss terms off'),
])
def test_a_changed_hyperparameter_is_caught(override, message):
    with pytest.raises(AssertionError, match=message):
        run([override], record=False)


def test_seed_learning_rate_halves_after_epochs_50_75_100():
    from ppgan.solver import build_lr_scheduler
    from ppgan_ext.config import load_config
    cfg = load_config('configs/rdn_seed_x2.yaml')
    cfg.lr_scheduler.iters_per_epoch = 25   # what the Trainer fills in
    sched = build_lr_scheduler(cfg.lr_scheduler)
    rates = []
    for _ in range(101 * 25 + 1):
        rates.append(sched())
        sched.step()
    # iteration i (1-based) is rates[i - 1]; epoch e = iterations
    # 25(e-1)+1 .. 25e
    assert rates[50 * 25 - 1] == pytest.approx(1e-3)      # last of epoch 50
    assert rates[50 * 25] == pytest.approx(5e-4)          # first of 51
    assert rates[75 * 25] == pytest.approx(2.5e-4)
    assert rates[100 * 25] == pytest.approx(1.25e-4)
    assert isinstance(sched, paddle.optimizer.lr.LRScheduler)


def test_epoch_scheduler_needs_iters_per_epoch():
    from ppgan_ext.config import ConfigError
    from ppgan_ext.lr_schedulers import EpochMultiStepDecay
    with pytest.raises(ConfigError, match='iters_per_epoch'):
        EpochMultiStepDecay(1e-3, [50, 75, 100], 0.5)
