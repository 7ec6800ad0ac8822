r"""Pictures for people, made from the project's own outputs.

  # LR / bicubic / model / HR side by side on a held-out photo
  python tools/make_figures.py sr-compare -c configs/rdn_x2_demo.yaml \
      --weights W.pdparams --hr data/demo_sr/test/chelsea.png \
      --lr data/demo_sr/test_X2/chelsea.png --out docs.assets/rdn_x2_chelsea.png

  # training curve(s) from a run's log.txt
  python tools/make_figures.py curve --log RUN/log.txt --out docs.assets/curve.png

  # the face pipeline on a photo: detections with landmarks (on the photo
  # upscaled by bicubic), aligned and restored crops, the enhanced photo
  python tools/make_figures.py faces -c configs/sparnet_demo.yaml \
      --weights W.pdparams --input group.png --upscale 3 --min-face 16 \
      --out docs.assets/faces_pipeline.png
"""
import argparse
import os
import re

import numpy as np


def _label(img, text):
    import cv2
    out = img.copy()
    cv2.rectangle(out, (0, 0), (8 + 9 * len(text), 22), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (255, 255, 255), 1, cv2.LINE_AA)
    return out


def side_by_side(panels, crop=None, zoom=1):
    """``[(image, label), ...]`` (same size) as one labelled row; ``crop``
    ``(y, x, size)`` shows that square of each, ``zoom`` enlarges it
    (nearest, so pixels stay visible)."""
    row = []
    for img, text in panels:
        if crop:
            y, x, s = crop
            img = img[y:y + s, x:x + s]
        if zoom > 1:
            img = np.repeat(np.repeat(img, zoom, 0), zoom, 1)
        row.append(_label(img, text))
    return np.concatenate(row, axis=1)


def _check_pair(hr, lr, sr, args):
    """The model's output of ``--lr`` must have the size of ``--hr``."""
    from ppgan_ext.datasets.base import DatasetError
    if sr.shape[:2] != hr.shape[:2]:
        raise DatasetError(
            f'{args.lr}: LR {lr.shape[1]}x{lr.shape[0]} super-resolves to '
            f'{sr.shape[1]}x{sr.shape[0]}, but HR {args.hr} is '
            f'{hr.shape[1]}x{hr.shape[0]}')


def sr_compare(args):
    import ppgan_ext  # noqa: F401
    from ppgan.metrics.psnr_ssim import calculate_psnr
    from ppgan_ext.io.images import bicubic_resize, read_image, write_image
    from ppgan_ext.deploy.predictor import SRPredictor
    from ppgan_ext.errors import exit_on_user_error
    with exit_on_user_error():
        hr, lr = read_image(args.hr), read_image(args.lr)
        pred = SRPredictor(args.config_file, args.weights,
                           overrides=args.opt)
        sr = pred.predict(lr)
        _check_pair(hr, lr, sr, args)
    h, w = hr.shape[:2]
    bic = bicubic_resize(lr, (w, h))
    near = np.repeat(np.repeat(lr, h // lr.shape[0], 0), w // lr.shape[1], 1)
    border = pred.scale if pred.scale > 1 else 4
    p_bic = calculate_psnr(bic, hr, border, test_y_channel=True)
    p_sr = calculate_psnr(sr, hr, border, test_y_channel=True)
    name = args.name or pred.model_name
    write_image(args.out, side_by_side(
        [(near, 'LR'), (bic, f'bicubic {p_bic:.2f} dB'),
         (sr, f'{name} {p_sr:.2f} dB'), (hr, 'HR')], args.crop, args.zoom))
    print(f'{args.out}: bicubic {p_bic:.3f} dB, {name} {p_sr:.3f} dB '
          '(PSNR-Y, whole image)')


def curve(args):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    pattern = re.compile(r'Iter: (\d+)/\d+ .*?lr: [\d.e+-]+ (.*?) batch_cost')
    series = {}
    for line in open(args.log):
        m = pattern.search(line)
        if not m:
            continue
        it = int(m.group(1))
        for k, v in re.findall(r'(\w+): ([-\d.]+)', m.group(2)):
            series.setdefault(k, []).append((it, float(v)))
    metrics = re.findall(r'Metric (\w+): ([-\d.]+)', open(args.log).read())
    if not series:
        raise SystemExit(f'{args.log}: no "Iter:" loss lines found')
    fig, axes = plt.subplots(1, 2 if metrics else 1, figsize=(10, 3.5),
                             squeeze=False)
    for k, pts in series.items():
        axes[0, 0].plot(*zip(*pts), label=k)
    axes[0, 0].set_xlabel('iteration')
    axes[0, 0].set_title('training losses')
    axes[0, 0].legend()
    if metrics:
        by_name = {}
        for k, v in metrics:
            by_name.setdefault(k, []).append(float(v))
        for k, vals in by_name.items():
            axes[0, 1].plot(range(1, len(vals) + 1), vals, marker='o', label=k)
        axes[0, 1].set_xlabel('validation round')
        axes[0, 1].set_title('validation metrics')
        axes[0, 1].legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f'{args.out}: {sum(len(v) for v in series.values())} points')


def _mark_faces(img, faces, scale=1):
    """Boxes (green) and 5 landmarks (red) of ``faces`` (found in a photo
    ``scale`` times smaller) drawn on a copy of ``img``."""
    import cv2
    out = img.copy()
    for f in faces:
        x0, y0 = int(f.left * scale), int(f.top * scale)
        side = int(f.size * scale)
        cv2.rectangle(out, (x0, y0), (x0 + side - 1, y0 + side - 1),
                      (0, 255, 0), 2)
        for x, y in f.points:
            cv2.circle(out, (int((x + 0.5) * scale), int((y + 0.5) * scale)),
                       3, (255, 0, 0), -1)
    return out


def _strip(tiles, width):
    """Equal tiles side by side, wrapped into rows ``width`` wide."""
    per_row = max(1, width // tiles[0].shape[1])
    rows = []
    for k in range(0, len(tiles), per_row):
        row = np.concatenate(tiles[k:k + per_row], axis=1)
        rows.append(np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0))))
    return np.concatenate(rows, axis=0)


def faces(args):
    import ppgan_ext  # noqa: F401
    from ppgan_ext.io.images import bicubic_resize, read_image
    from ppgan_ext.deploy.face_enhance import Background, FaceEnhancer
    from ppgan_ext.errors import exit_on_user_error
    from ppgan_ext.faceutils import FaceDetector
    k = args.upscale
    with exit_on_user_error():
        photo = read_image(args.input)
        enhancer = FaceEnhancer(args.config_file, args.weights,
                                FaceDetector(min_face=args.min_face),
                                background=Background(k),
                                overrides=args.opt)
        res = enhancer.enhance(photo)
    order = sorted(range(len(res.faces)), key=lambda i: res.faces[i].left)
    h, w = photo.shape[:2]
    bicubic = bicubic_resize(photo, (w * k, h * k))
    pairs = [np.concatenate([_label(res.crops[i], f'aligned {n + 1}'),
                             _label(res.restored[i], 'restored')], axis=0)
             for n, i in enumerate(order)]
    panels = [_label(_mark_faces(bicubic, res.faces, k),
                     f'photo {w}x{h} (bicubic x{k}): {len(res.faces)} '
                     'faces, 5 landmarks'),
              _strip(pairs, w * k),
              _label(res.image, f'faces pasted back, x{k}')]
    _write_palette_png(args.out, np.concatenate(panels, axis=0))
    print(f'{args.out}: {len(res.faces)} face(s), template '
          f'{enhancer.template} at {enhancer.size} px, '
          f'{os.path.getsize(args.out) // 1024} KB')


def _write_palette_png(path, img):
    """A photo figure as a 256-colour PNG (a third of the RGB file)."""
    from PIL import Image
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + '.tmp.png'
    Image.fromarray(img).quantize(256).save(tmp, optimize=True)
    os.replace(tmp, path)


def main(argv=None):
    from ppgan_ext.tool_config import add_config_arguments
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sr-compare')
    add_config_arguments(s)
    s.add_argument('--weights', required=True)
    s.add_argument('--hr', required=True)
    s.add_argument('--lr', required=True)
    s.add_argument('--out', required=True)
    s.add_argument('--name', default=None)
    s.add_argument('--crop', type=int, nargs=3, default=None,
                   metavar=('Y', 'X', 'SIZE'), help='HR-pixel crop to show')
    s.add_argument('--zoom', type=int, default=1)
    c = sub.add_parser('curve')
    c.add_argument('--log', required=True)
    c.add_argument('--out', required=True)
    f = sub.add_parser('faces')
    add_config_arguments(f)
    f.add_argument('--weights', required=True)
    f.add_argument('--input', required=True, help='a photo')
    f.add_argument('--out', required=True)
    f.add_argument('--upscale', type=int, default=2)
    f.add_argument('--min-face', type=int, default=40,
                   help='smallest face side to look for, in pixels')
    args = p.parse_args(argv)
    {'sr-compare': sr_compare, 'curve': curve, 'faces': faces}[args.cmd](args)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
