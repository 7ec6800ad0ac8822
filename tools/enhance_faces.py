r"""Enhance the faces in whole photos with SPARNet / SPARNetHD.

  python tools/enhance_faces.py -c configs/sparnethd_attn2d.yaml \
      --weights sparnethd.pdparams --input group.jpg photos/ --out enhanced/
  # already aligned face crops (e.g. a test set): restore each whole image
  python tools/enhance_faces.py --weights RUN/iter_N_weight.pdparams \
      --input faces/ --out restored/ --aligned

Faces are found with the cascade detector that ships with OpenCV or
scikit-image (no downloads), restored, and pasted back with a soft mask; the
rest of each photo is unchanged. Photos keep their file names; unreadable
files are reported and skipped (exit code 1 if nothing could be written).
Grayscale, RGBA and 16-bit photos are read as 8-bit RGB (see
ppgan_ext/datasets/image_io.py); outputs are written atomically.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    from ppgan_ext.tool_config import (add_config_arguments,
                                       add_precision_argument)
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    add_config_arguments(p)
    p.add_argument('--weights', required=True)
    p.add_argument('--input', nargs='+', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--aligned', action='store_true',
                   help='inputs are aligned face crops: restore each whole '
                   'image, no detection')
    p.add_argument('--margin', type=float, default=0.25)
    p.add_argument('--min-face', type=int, default=40,
                   help='smallest face side to look for, in pixels')
    p.add_argument('--device', default='auto')
    add_precision_argument(p)
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan_ext.datasets.face_detect import FaceDetector
    from ppgan_ext.datasets.image_io import ImageReadError, read_image
    from ppgan_ext.datasets.pairs_writer import write_image
    from ppgan_ext.deploy.face_enhance import FaceEnhancer
    from ppgan_ext.deploy.predictor import expand_inputs
    from ppgan_ext.device import set_device
    from ppgan_ext.errors import exit_on_user_error
    from ppgan_ext.output_paths import ensure_writable_dir
    from ppgan_ext.progress import echo, progress
    with exit_on_user_error():
        set_device(args.device)
        ensure_writable_dir(args.out)
        enhancer = FaceEnhancer(args.config_file, args.weights,
                                FaceDetector(min_face=args.min_face),
                                margin=args.margin, overrides=args.opt,
                                precision=args.precision)
        files = expand_inputs(args.input)
    done = skipped = 0
    for src in progress(files, 'photos', unit='photo'):
        try:
            img = read_image(src)
        except ImageReadError as e:
            echo(f'skip: {e}')
            skipped += 1
            continue
        if args.aligned:
            out, what = enhancer.restore_aligned(img), 'aligned face restored'
        else:
            out, boxes = enhancer.enhance(img)
            what = f'{len(boxes)} face(s) enhanced'
        with exit_on_user_error():
            write_image(os.path.join(args.out, os.path.basename(src)), out)
        echo(f'{src}: {what}')
        done += 1
    print(f'{done} photo(s) written to {args.out}, {skipped} skipped')
    sys.exit(1 if skipped and not done else 0)


if __name__ == '__main__':
    from tools.quiet import quiet_third_party
    quiet_third_party()
    main()
