"""``tools/main.py`` for the exact-resume tests, with one addition: when
``PPGAN_EXT_KILL_AT=N`` is set, the process SIGKILLs itself right after the
first optimizer step of iteration N -- a hard kill in the middle of an
iteration, with the in-memory state half updated and nothing saved."""
import os
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def arm_kill(kill_at):
    import paddle

    from ppgan_ext.engine.trainer import ExtTrainer
    trainers = []
    init = ExtTrainer.__init__

    def remember(self, *args, **kwargs):
        init(self, *args, **kwargs)
        trainers.append(self)

    ExtTrainer.__init__ = remember

    def killing(step):
        def wrapped(self, *args, **kwargs):
            result = step(self, *args, **kwargs)
            if trainers and trainers[0].current_iter == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapped

    optimizers = [paddle.optimizer.Optimizer]
    while optimizers:
        cls = optimizers.pop()
        optimizers.extend(cls.__subclasses__())
        if 'step' in vars(cls):
            cls.step = killing(vars(cls)['step'])


if __name__ == '__main__':
    if os.environ.get('PPGAN_EXT_KILL_AT'):
        arm_kill(int(os.environ['PPGAN_EXT_KILL_AT']))
    from ppgan_ext.cli import run
    run(sys.argv[1:])
