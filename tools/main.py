"""Train / evaluate any PaddleGAN or ppgan_ext model: PaddleGAN's tools/main.py
plus --device and --amp. See README.md for examples."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppgan_ext.engine.cli import run  # noqa: E402

if __name__ == '__main__':
    run()
