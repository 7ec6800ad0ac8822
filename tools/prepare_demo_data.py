"""Build the embedded demo datasets under data/ (data/demo_sr,
data/demo_faces, data/demo_faces_lfw)
from the photos and faces scikit-image ships."""
import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--root', default='data', help='output folder')
    parser.add_argument('--force', action='store_true', help='rebuild')
    args = parser.parse_args(argv)
    from ppgan_ext.prepare.demo_data import build_demo_sr
    from ppgan_ext.prepare.demo_faces_lfw import build_demo_faces_lfw
    from ppgan_ext.prepare.demo_faces_sr import build_demo_faces
    build_demo_sr(args.root, force=args.force)
    build_demo_faces(args.root, force=args.force)
    build_demo_faces_lfw(args.root, force=args.force)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
