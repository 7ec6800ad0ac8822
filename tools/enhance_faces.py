r"""Enhance the faces in whole photos with SPARNet / SPARNetHD, optionally
upscaling the whole photo (background with an SR model or bicubic).

  # faces restored in place
  python tools/enhance_faces.py -c configs/sparnethd_attn2d.yaml \
      --weights sparnethd.pdparams --input group.jpg photos/ --out enhanced/
  # x4: background by RDN x4 (tiled), faces by SPARNetHD
  python tools/enhance_faces.py -c sparnethd_attn2d --weights sparnethd.pdparams \
      --upscale 4 --bg-model rdn_x4 --bg-weights rdn_x4.pdparams \
      --input group.jpg --out enhanced/
  # already aligned face crops (e.g. a test set): restore each whole image
  python tools/enhance_faces.py --weights RUN/iter_N_weight.pdparams \
      --input faces/ --out restored/ --aligned

Faces are found with dlib's HOG detector and 5 landmarks (a cascade
without dlib), aligned to the face model's template at its size, restored,
and pasted back by the inverse warp with a feathered mask; every other
pixel is the background's (the photo, or its --upscale x version made by
--bg-model or bicubic). Photos keep their file names; unreadable files are
reported and skipped (exit code 1 if nothing could be written). Grayscale,
RGBA and 16-bit photos are read as 8-bit RGB (see
ppgan_ext/io/images.py); outputs are written atomically.
"""
import argparse
import os
import sys


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
    p.add_argument('--upscale', type=int, default=1,
                   help='upscale the whole photo this many times')
    p.add_argument('--bg-model', default=None,
                   help='SR config (or model name) for the background '
                   "(default: --bg-weights' run folder's config.yaml)")
    p.add_argument('--bg-weights', default=None,
                   help='SR weights for the background; default: bicubic')
    p.add_argument('--bg-tile', type=int, default=None,
                   help='background tile size in input pixels (default: '
                   "the config's inference.tile)")
    p.add_argument('--template', choices=['celeba', 'ffhq'], default=None,
                   help="alignment template (default: by the face model's "
                   'size, ffhq from 256 px)')
    p.add_argument('--feather', type=float, default=0.1,
                   help='blending ramp, fraction of the aligned crop side')
    p.add_argument('--backend', default='auto', help='face detector')
    p.add_argument('--min-face', type=int, default=40,
                   help='smallest face side to look for, in pixels')
    p.add_argument('--max-faces', type=int, default=None,
                   help='enhance at most this many faces (the largest)')
    p.add_argument('--device', default='auto')
    add_precision_argument(p)
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan_ext.io.images import ImageReadError, read_image, write_image
    from ppgan_ext.deploy.face_enhance import Background, FaceEnhancer
    from ppgan_ext.deploy.predictor import expand_inputs
    from ppgan_ext.device import set_device
    from ppgan_ext.errors import UserError, exit_on_user_error
    from ppgan_ext.faceutils import FaceDetector
    from ppgan_ext.output_paths import ensure_writable_dir
    from ppgan_ext.progress import echo, progress
    with exit_on_user_error():
        if args.upscale < 1:
            raise UserError(f'--upscale {args.upscale}: must be >= 1')
        if args.aligned and (args.upscale > 1 or args.bg_weights):
            raise UserError('--aligned restores face crops at their size; '
                            'it takes no --upscale or --bg-weights')
        if args.bg_model and not args.bg_weights:
            raise UserError(f'--bg-model {args.bg_model}: give its '
                            '--bg-weights too')
        set_device(args.device)
        ensure_writable_dir(args.out)
        detector = FaceDetector(args.backend, min_face=args.min_face,
                                max_faces=args.max_faces)
        background = Background(args.upscale, args.bg_model, args.bg_weights,
                                tile=args.bg_tile, precision=args.precision)
        enhancer = FaceEnhancer(args.config_file, args.weights, detector,
                                template=args.template, feather=args.feather,
                                background=background, overrides=args.opt,
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
        dst = os.path.join(args.out, os.path.basename(src))
        if args.aligned:
            out, what = enhancer.restore_aligned(img), 'aligned face restored'
        else:
            result = enhancer.enhance(img)
            out, what = result.image, (f'{len(result.faces)} face(s) '
                                       f'enhanced, background '
                                       f'{background.name}')
        with exit_on_user_error():
            write_image(dst, out)
        echo(f'{src}: {what} -> {dst}')
        done += 1
    print(f'{done} photo(s) written to {args.out}, {skipped} skipped')
    sys.exit(1 if skipped and not done else 0)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
