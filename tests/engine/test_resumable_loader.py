"""The training loader: batches addressed by iteration, augmentation by
(seed, epoch, index), the same with and without worker processes."""
import random

import numpy as np
import pytest
from paddle.io import DataLoader, Dataset

from ppgan_ext.engine.resumable_loader import (ResumableBatchSampler,
                                               SeededSamples, make_resumable)


class RandomCrops(Dataset):
    """Item i: (i, a draw from `random`, a draw from np.random)."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, random.random(), np.random.rand()], 'float64')


def batches(loader, n):
    out, it = [], iter(loader)
    while len(out) < n:
        try:
            batch = next(it)
            out.append((batch[0] if isinstance(batch, list) else
                        batch).numpy())
        except StopIteration:
            it = iter(loader)
    return out


def loader(seed=5, workers=0):
    plain = DataLoader(RandomCrops(), batch_size=2, shuffle=True,
                       drop_last=True, num_workers=workers)
    return make_resumable(plain, seed)


def test_seek_continues_the_sequence_mid_epoch_and_across_epochs():
    straight = batches(loader(), 8)  # 3 batches per epoch
    for done in (1, 3, 4):
        resumed = loader()
        resumed.batch_sampler.seek(done)
        for a, b in zip(straight[done:], batches(resumed, 8 - done)):
            np.testing.assert_array_equal(a, b)


def test_augmentation_depends_on_seed_epoch_and_index_only():
    a, b = batches(loader(seed=5), 6), batches(loader(seed=6), 6)
    assert not np.array_equal(a[0][:, 1:], b[0][:, 1:])
    first = np.concatenate(a[:3])
    second = np.concatenate(a[3:])
    # every epoch draws afresh for the same image
    by_index = {row[0]: row for row in first}
    assert all(not np.array_equal(by_index[row[0]][1:], row[1:])
               for row in second if row[0] in by_index)
    # reading an item twice gives the same draws, whatever ran in between
    seeded = SeededSamples(RandomCrops(), 5)
    once = seeded[(1, 4)]
    random.random(), np.random.rand(), seeded[(0, 2)]
    np.testing.assert_array_equal(once, seeded[(1, 4)])


@pytest.mark.parametrize('workers', [2])
def test_worker_processes_give_the_same_batches(workers):
    for a, b in zip(batches(loader(), 5), batches(loader(workers=workers), 5)):
        np.testing.assert_array_equal(a, b)


def test_sampler_partitions_like_ppgan_and_tags_epochs():
    ds = RandomCrops()
    sampler = ResumableBatchSampler(ds, batch_size=2, shuffle=False,
                                    drop_last=True)
    assert list(sampler) == [[(0, 0), (0, 1)], [(0, 2), (0, 3)],
                             [(0, 4), (0, 5)]]
    assert list(sampler)[0] == [(1, 0), (1, 1)]
