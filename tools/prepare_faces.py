"""Crop faces from photos into the folders FaceSRDataset (SPARNet) and
FFHQDegradationDataset (SPARNetHD) read.

Each input photo is searched for faces (dlib's HOG detector with 5
landmarks; without dlib, a cascade: OpenCV's Haar or scikit-image's LBP);
the largest face (or up to --max-faces) is written at --size:

* with --align, aligned by its landmarks to a template (eyes level and at
  fixed positions): --template celeba (tight, forehead to chin; default
  below 256 px) or ffhq (FFHQ's framing; default from 256 px);
* without, as a square around the face box enlarged by --margin per side.

Files that are not readable images, and photos without a face, are
reported and skipped; a summary is printed at the end.

Examples:
  # CelebA "in the wild" photos -> aligned 128x128 crops for configs/sparnet.yaml
  python tools/prepare_faces.py --input img_celeba --out data/celeba_faces/train --align
  # photos -> FFHQ-style 512x512 crops for configs/sparnethd_attn2d.yaml
  python tools/prepare_faces.py --input photos/ --out data/faces512 --align --size 512
  # already-cropped faces (e.g. Helen test HR): only resize
  python tools/prepare_faces.py --input Helen/HR --out data/helen/test --already-cropped
  # the demo set data/demo_faces (scikit-image's astronaut + LFW subset)
  python tools/prepare_faces.py --demo
"""
import argparse
import os
import sys


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
    from ppgan_ext.faceutils import BACKENDS
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--input', nargs='+', help='photos or folders of photos')
    p.add_argument('--out', help='output folder of face crops')
    p.add_argument('--size', type=int, default=128, help='crop size (px)')
    p.add_argument('--margin', type=float, default=0.25,
                   help='extra border around the face box, fraction of its '
                   'side, on every side')
    p.add_argument('--align', action='store_true',
                   help='align each face to --template by its landmarks')
    p.add_argument('--template', choices=['celeba', 'ffhq'], default=None,
                   help='alignment template (default: ffhq if --size >= '
                   '256, else celeba)')
    p.add_argument('--already-cropped', action='store_true',
                   help='inputs are face crops: only square-crop and resize')
    p.add_argument('--max-faces', type=int, default=1,
                   help='faces written per photo (largest first)')
    p.add_argument('--min-face', type=int, default=40,
                   help='smallest face searched for (px)')
    p.add_argument('--backend', default='auto', choices=BACKENDS,
                   help='face detector (auto: dlib-hog if installed)')
    p.add_argument('--demo', action='store_true',
                   help='build data/demo_faces (or ROOT/demo_faces) instead')
    p.add_argument('--root', default='data', help='root for --demo')
    p.add_argument('--force', action='store_true', help='rebuild --demo')
    args = p.parse_args(argv)

    if args.demo:
        from ppgan_ext.prepare.demo_faces_sr import build_demo_faces
        build_demo_faces(args.root, force=args.force)
        return 0
    if not args.input or not args.out:
        p.error('--input and --out are required (or use --demo)')
    if args.align and args.already_cropped:
        print('error: --align and --already-cropped exclude each other',
              file=sys.stderr)
        return 2
    from ppgan_ext.prepare.face_crops import write_face_crops
    from ppgan_ext.faceutils import (FaceDetector, FaceDetectorError,
                                     default_template)
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
    template = (args.template or default_template(args.size)) \
        if args.align else None
    report = write_face_crops(files, args.out, args.size, args.margin,
                              args.already_cropped, args.max_faces, detector,
                              template=template)
    print(f'{args.out}: {report.summary()}')
    return 0 if report.faces else 1


if __name__ == '__main__':
    import _tool
    _tool.run(main)
