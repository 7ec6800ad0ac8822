"""SPARNet trains step for step like Face-SPARNet's ``SPARNetModel``
(case ``train_sparnet``: BatchNorm, 2D attention, pixel L1, Adam 2e-4 /
(0.9, 0.99)): loss, parameters and BatchNorm running statistics after 1
and 3 iterations, with the model, losses and optimizer built from
``configs/sparnet.yaml``."""
import paddle

from tests.train_parity import Case, config_model, train_and_check

TINY = ['model.generator.min_ch=8', 'model.generator.max_ch=16',
        'model.generator.in_size=32', 'model.generator.out_size=32',
        'model.generator.min_feat_size=8', 'model.generator.res_depth=0',
        'model.generator.bottleneck_size=8',
        'model.generator.hourglass_width=8']


def test_train_sparnet_matches_the_reference():
    case = Case('train_sparnet')
    _, model = config_model('sparnet.yaml', TINY)
    batch = dict(case.batch, lq_path=['a.png', 'b.png'])
    train_and_check(case, model, {'generator': 'G'}, batch,
                    {'loss_Pix': 'loss_pixel'})


def test_running_variance_is_the_unbiased_batch_variance():
    """What the case found: Paddle's BatchNorm averaged the biased batch
    variance into its running variance; torch (the reference) uses the
    unbiased one. The plugin's BN layers follow torch (eval output of a
    trained model depends on it); the running mean was always the same."""
    from ppgan_ext.modules.conv_blocks import make_norm
    paddle.seed(0)
    bn = make_norm('bn', 3)
    x = paddle.randn([2, 3, 4, 5]) * 2 + 1
    bn.train()
    bn(x)
    n = 2 * 4 * 5
    var = x.numpy().var(axis=(0, 2, 3)) * n / (n - 1)
    mean = x.numpy().mean(axis=(0, 2, 3))
    assert abs(bn._variance.numpy() - (0.9 + 0.1 * var)).max() < 1e-6
    assert abs(bn._mean.numpy() - 0.1 * mean).max() < 1e-6
    bn.eval()  # eval mode leaves the statistics alone
    before = bn._variance.numpy().copy()
    bn(x)
    assert (bn._variance.numpy() == before).all()
