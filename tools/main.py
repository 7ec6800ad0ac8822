"""Train / evaluate any PaddleGAN or ppgan_ext model: PaddleGAN's tools/main.py
plus --device and --amp. See README.md for examples."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == '__main__':
    from tools.quiet import quiet_third_party
    quiet_third_party()
    from ppgan_ext.engine.cli import run
    run()
