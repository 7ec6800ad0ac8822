"""A training data loader whose batches depend only on (seed, iteration).

ppgan's loader shuffles with ``DistributedBatchSampler`` (order = a function
of the epoch count, which restarts at 0 in a resumed process) and runs the
random augmentations (crops, flips, degradations) on the global ``random`` /
``np.random`` generators, from a prefetching thread or worker processes, so
neither the data position nor the augmentation stream of a run can be
saved and restored. Here:

* :class:`ResumableBatchSampler` is ppgan's sampler (same partition across
  ranks, same per-epoch order) that can be moved to any iteration
  (:meth:`~ResumableBatchSampler.seek`) and tags every index with its epoch;
* :class:`SeededSamples` seeds ``random`` and ``np.random`` from
  ``(seed, epoch, index)`` right before each sample is read and augmented,
  so a sample's augmentation no longer depends on what ran before it or in
  which thread or worker;
* worker processes die with the trainer: Paddle's workers outlive a
  SIGKILLed parent (blocked on their queues, holding memory and the
  parent's output pipes), so each asks Linux to kill it when its parent
  dies.
"""
import ctypes
import os
import random
import signal
import sys

import numpy as np
from paddle.io import DataLoader, Dataset, DistributedBatchSampler

__all__ = ['ResumableBatchSampler', 'SeededSamples', 'make_resumable']


class ResumableBatchSampler(DistributedBatchSampler):
    """``DistributedBatchSampler`` that yields ``(epoch, index)`` keys and
    can start at any iteration."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._skip = 0

    def seek(self, iterations_done):
        """Make the next pass start with the batch of iteration
        ``iterations_done + 1`` (iterations count from 1, one batch each)."""
        self.epoch, self._skip = divmod(int(iterations_done), len(self))

    def __iter__(self):
        epoch, skip = self.epoch, self._skip
        self._skip = 0
        if not self.shuffle:  # the parent only counts shuffled epochs
            self.epoch += 1
        for i, batch in enumerate(super().__iter__()):
            if i >= skip:
                yield [(epoch, idx) for idx in batch]


class SeededSamples(Dataset):
    """Wraps a dataset: item ``(epoch, index)`` is ``dataset[index]`` read
    with ``random`` and ``np.random`` seeded from ``(seed, epoch, index)``."""

    def __init__(self, dataset, seed):
        super().__init__()
        self.dataset = dataset
        self.seed = int(seed)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, key):
        epoch, index = key
        words = np.random.SeedSequence(
            [self.seed, int(epoch), int(index)]).generate_state(2)
        random.seed(int(words[0]))
        np.random.seed(int(words[1]))
        return self.dataset[index]

    def __getattr__(self, name):
        # ppgan code may read attributes of the dataset it built
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)


class _DieWithParent:
    """``worker_init_fn``: on Linux, SIGKILL this worker when the trainer
    dies (``PR_SET_PDEATHSIG``); then run the loader's own init function."""

    PR_SET_PDEATHSIG = 1

    def __init__(self, parent_pid, then=None):
        self.parent_pid, self.then = parent_pid, then

    def __call__(self, worker_id):
        if sys.platform.startswith('linux'):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(self.PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
            if os.getppid() != self.parent_pid:  # died before prctl
                os._exit(1)
        if self.then is not None:
            self.then(worker_id)


def make_resumable(loader, seed):
    """A copy of ppgan's training ``DataLoader`` with the sampler and the
    per-sample seeding above (same batch size, workers and memory use)."""
    old = loader.batch_sampler
    sampler = ResumableBatchSampler(loader.dataset,
                                    batch_size=old.batch_size,
                                    shuffle=old.shuffle,
                                    drop_last=old.drop_last)
    return DataLoader(SeededSamples(loader.dataset, seed),
                      batch_sampler=sampler,
                      num_workers=loader.num_workers,
                      use_shared_memory=loader.use_shared_memory,
                      collate_fn=loader.collate_fn,
                      worker_init_fn=_DieWithParent(os.getpid(),
                                                    loader.worker_init_fn))
