"""The tools print no known third-party noise and no warning of their own;
the library alone (import ppgan_ext) filters nothing."""
import glob
import os
import subprocess
import sys

from ppgan_ext.prepare.demo_data import build_demo_sr
from tests.tiny_configs import tiny_rdn_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NOISE = ('No ccache found', 'To copy construct from a tensor',
         'always track global mean and variance',
         'not support input out tensor', '[Paddle2ONNX]', '[INFO]',
         '[WARNING]', 'onnxruntime', 'Warning', 'warn(')

# What a training, an export and an inference do that prints each message.
TRIGGERS = '''
import paddle
import ppgan_ext
bn = paddle.nn.BatchNorm2D(3)
bn.train()
x = bn(paddle.rand([2, 3, 4, 4]))
paddle.to_tensor(x)
class Residual(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.linear = paddle.nn.Linear(3, 3)

    def forward(self, x):
        return x + self.linear(x)
static = paddle.jit.to_static(Residual(), input_spec=[
    paddle.static.InputSpec([None, 3], 'float32')], full_graph=True)
paddle.jit.save(static, {prefix!r})
'''


def run(args, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k != 'GLOG_minloglevel'}
    env.update(extra_env or {})
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=600)


def test_the_tools_helper_silences_each_known_message(tmp_path):
    code = TRIGGERS.format(prefix=str(tmp_path / 'add'))
    scripts = {'plain': code,  # a user's own script
               'quiet': 'from tools.quiet import quiet_third_party\n'
                        'quiet_third_party()\n' + code}
    for name, text in scripts.items():  # to_static reads the source
        (tmp_path / f'{name}.py').write_text(text)
    env = dict(PYTHONPATH=ROOT)
    plain, quiet = (run([sys.executable, str(tmp_path / f'{name}.py')],
                        extra_env=env) for name in scripts)
    assert plain.returncode == quiet.returncode == 0, plain.stderr
    for message in NOISE[:4]:  # importing ppgan_ext filters none of them
        assert message in plain.stderr
    assert quiet.stderr == quiet.stdout == ''


def assert_quiet(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stderr == ''  # no warning, no bar (not a terminal)
    for message in NOISE:
        assert message not in proc.stdout


def test_train_infer_export_print_no_noise(tmp_path):
    data = build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *a: None)
    config = tiny_rdn_config(tmp_path, data)
    trained = run([sys.executable, 'tools/main.py', '-c', config])
    assert_quiet(trained)
    assert 'Iter: 2/2' in trained.stdout
    weights, = glob.glob(str(tmp_path / 'out' / '*' / 'iter_2_weight.pdparams'))
    inferred = run([sys.executable, 'tools/inference.py', '-c', config,
                    '--weights', weights, '--input',
                    f'{data}/test_X2/astronaut.png', '--out',
                    str(tmp_path / 'sr'), '--tile', '64'])
    assert_quiet(inferred)
    assert '1 written' in inferred.stdout
    exported = run([sys.executable, 'tools/export_model.py', '-c', config,
                    '--load', weights, '--out', str(tmp_path / 'export'),
                    '--size', '16', '--onnx'])
    assert_quiet(exported)
    assert 'ONNX Runtime vs Paddle Inference' in exported.stdout
