"""Train / evaluate any PaddleGAN or ppgan_ext model: PaddleGAN's tools/main.py
plus --device and --amp. See README.md for examples."""


def main(argv=None):
    from ppgan_ext.cli import run
    run(argv)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
