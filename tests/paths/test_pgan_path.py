"""User path, PGAN: train through a scale change on real faces, then
``tools/pgan_sample.py`` for the evaluation seed and the exported generator
give the Trainer's own evaluation samples (``samples_iter_N``), and the
grid is in VisualDL."""
import glob
import os

import numpy as np
import pytest

from ppgan_ext.io.visuals import batch_to_uint8
from tests.real_faces import write_lfw_faces
from tests.user_paths import (assert_close_image, assert_same_image,
                              export_run, run_export, run_tool, train,
                              weights_of)

ITERS = 6  # 3 at 4x4, 3 at 8x8 (fade-in done by the last one)
TINY = ['model.generator.latent_dim=8', 'model.depth_scales=[16, 16]',
        'model.max_iter_at_scale=[3, 3]', 'model.alpha_n_jumps=[0, 2]',
        'model.alpha_size_jumps=[0, 1]', 'model.num_eval_samples=16',
        'model.eval_seed=5', 'model.max_eval_steps=1',
        'dataset.train.size=8', 'dataset.test.size=8',
        'dataset.train.batch_size=4', 'dataset.test.batch_size=8',
        f'total_iters={ITERS}', f'validate.interval={ITERS}',
        f'snapshot_config.interval={ITERS}', 'log_config.interval=1',
        "validate.metrics={'swd': {'name': 'LaplacianSWD'}}"]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pgan')
    faces = write_lfw_faces(tmp / 'faces', range(12), 23)
    trainer, run = train('configs/pgan_demo_lfw.yaml', str(tmp / 'out'),
                         TINY + [f'dataset.train.dataroot={faces}',
                                 f'dataset.test.dataroot={faces}'])
    assert (trainer.model.scale, trainer.model.alpha) == (1, 0.0)
    samples = os.path.join(run, f'samples_iter_{ITERS}')
    return dict(tmp=tmp, run=run, samples=samples, weights=weights_of(run))


def test_sampling_tool_gives_the_evaluation_samples(trained):
    out = os.path.join(trained['tmp'], 'sampled')
    code, log = run_tool('pgan_sample', ['--weights', trained['weights'],
                                         '--out', out, '--num', '16',
                                         '--seed', '5', '--precision',
                                         'fp32'])
    assert code == 0, log
    for i in range(16):
        assert_same_image(os.path.join(out, f'generated_{i}.png'),
                          os.path.join(trained['samples'],
                                       f'generated_{i}.png'), f'sample {i}')
    assert_same_image(os.path.join(out, 'grid.png'),
                      os.path.join(trained['samples'], 'grid.png'), 'grid')
    # precision auto (bf16 on a bf16 CPU: PGAN is on the allow list)
    code, log = run_tool('pgan_sample', ['--weights', trained['weights'],
                                         '--out', out + '_auto', '--num',
                                         '16', '--seed', '5'])
    assert code == 0, log
    assert_close_image(os.path.join(out + '_auto', 'grid.png'),
                       os.path.join(trained['samples'], 'grid.png'), 30,
                       'grid, precision auto')


def test_exported_generator_gives_the_evaluation_samples(trained):
    prefix, _ = export_run(trained)
    z = np.random.RandomState(5).standard_normal((16, 8)).astype('float32')
    images = batch_to_uint8(run_export(prefix, z), (-1., 1.))
    for i, img in enumerate(images):  # grey faces, read back as RGB
        assert_same_image(np.repeat(img, 3, axis=2), os.path.join(
            trained['samples'], f'generated_{i}.png'), f'export sample {i}')


def test_grid_goes_to_visualdl(trained):
    from visualdl import LogReader
    records = glob.glob(os.path.join(trained['run'], 'vdlrecords*'))
    reader = LogReader(file_path=records[0])
    assert 'val/grid' in reader.get_tags()['image']
    steps = [r.id for r in reader.get_data('image', 'val/grid')]
    assert steps == [ITERS]
