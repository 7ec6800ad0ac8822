"""Crop faces from photos into the folder FaceSRDataset (SPARNet) reads.

Each input photo is searched for frontal faces (OpenCV's bundled Haar
cascade if this OpenCV has one, else scikit-image's LBP cascade); the
largest face (or up to --max-faces) is cropped as a square enlarged by
--margin of the face box on every side and resized to --size. Files that
are not readable images, and photos without a face, are reported and
skipped; a summary is printed at the end.

Examples:
  # CelebA "in the wild" photos -> 128x128 face crops for configs/sparnet.yaml
  python tools/prepare_faces.py --input img_celeba --out data/celeba_faces/train
  # already-cropped faces (e.g. Helen test HR): only resize
  python tools/prepare_faces.py --input Helen/HR --out data/helen/test --already-cropped
  # the demo set data/demo_faces (scikit-image's astronaut + LFW subset)
  python tools/prepare_faces.py --demo
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def input_files(inputs):
    """Every regular, non-hidden file of the given files/folders (sorted)."""
    files = []
    for item in inputs:
        if os.path.isdir(item):
            files += sorted(os.path.join(item, n) for n in os.listdir(item)
                            if not n.startswith('.') and
                            os.path.isfile(os.path.join(item, n)))
        elif os.path.isfile(item):
            files.append(item)
        else:
            raise FileNotFoundError(f'--input {item}: no such file or folder')
    return files


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--input', nargs='+', help='photos or folders of photos')
    p.add_argument('--out', help='output folder of face crops')
    p.add_argument('--size', type=int, default=128, help='crop size (px)')
    p.add_argument('--margin', type=float, default=0.25,
                   help='extra border around the face box, fraction of its '
                   'side, on every side')
    p.add_argument('--already-cropped', action='store_true',
                   help='inputs are face crops: only square-crop and resize')
    p.add_argument('--max-faces', type=int, default=1,
                   help='faces written per photo (largest first)')
    p.add_argument('--min-face', type=int, default=40,
                   help='smallest face searched for (px)')
    p.add_argument('--backend', default='auto',
                   choices=['auto', 'opencv', 'skimage'])
    p.add_argument('--demo', action='store_true',
                   help='build data/demo_faces (or ROOT/demo_faces) instead')
    p.add_argument('--root', default='data', help='root for --demo')
    p.add_argument('--force', action='store_true', help='rebuild --demo')
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    if args.demo:
        from ppgan_ext.datasets.demo_faces_sr import build_demo_faces
        build_demo_faces(args.root, force=args.force)
        return 0
    if not args.input or not args.out:
        p.error('--input and --out are required (or use --demo)')
    from ppgan_ext.datasets.face_detect import (FaceDetector,
                                                FaceDetectorError,
                                                write_face_crops)
    try:
        files = input_files(args.input)
        detector = None if args.already_cropped else FaceDetector(
            args.backend, min_face=args.min_face)
    except (FileNotFoundError, FaceDetectorError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if not files:
        print(f'error: no files in {args.input}', file=sys.stderr)
        return 2
    report = write_face_crops(files, args.out, args.size, args.margin,
                              args.already_cropped, args.max_faces, detector)
    print(f'{args.out}: {report.summary()}')
    return 0 if report.faces else 1


if __name__ == '__main__':
    from tools.quiet import quiet_third_party
    quiet_third_party()
    sys.exit(main())
