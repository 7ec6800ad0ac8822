"""Face detection on real photos, per backend (run by hand).

For each photo with known face centres (the astronaut, Grace Hopper and the
test suite's group photo of 26 real faces, ``tests/real_faces.py``): faces
found, duplicates (a true face covered by more than one box), false
positives (boxes on no true face) and the median detection time over
--repeat runs (models loaded first). The baseline row is the cascade this
project used before dlib (scikit-image's LBP cascade here).

Usage:
  python benchmarks/bench_faces.py                 # dlib-hog and the cascade
  python benchmarks/bench_faces.py --backends dlib-hog cascade dlib-cnn
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photos():
    sys.path.insert(0, ROOT)
    from tests.real_faces import (ASTRONAUT_FACE, GRACE_HOPPER_FACE,
                                  astronaut, grace_hopper, group_photo)
    group, centres = group_photo()
    return [('astronaut 512x512', astronaut(), [ASTRONAUT_FACE]),
            ('grace_hopper 512x600', grace_hopper(), [GRACE_HOPPER_FACE]),
            (f'group {group.shape[1]}x{group.shape[0]}', group, centres)]


def score(faces, centres):
    def inside(f, c):
        return (f.left <= c[0] < f.left + f.size and
                f.top <= c[1] < f.top + f.size)
    hits = [sum(inside(f, c) for f in faces) for c in centres]
    false = sum(not any(inside(f, c) for c in centres) for f in faces)
    return sum(h > 0 for h in hits), sum(h > 1 for h in hits), false


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--backends', nargs='+', default=['cascade', 'dlib-hog'])
    p.add_argument('--repeat', type=int, default=3)
    args = p.parse_args(argv)
    sys.path.insert(0, ROOT)
    import ppgan_ext  # noqa: F401
    from ppgan_ext.faceutils import FaceDetector
    rows = []
    for name, img, centres in photos():
        for backend in args.backends:
            det = FaceDetector(backend)
            det.detect(img[:64, :64])  # load the models
            times, faces = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                faces = det.detect(img)
                times.append(time.perf_counter() - t)
            found, dups, false = score(faces, centres)
            label = det.backend + (' (baseline)' if backend == 'cascade'
                                   else '')
            rows.append((name, label, len(centres), found, dups, false,
                         statistics.median(times)))
    print('| photo | backend | faces | found | duplicates | false '
          'positives | seconds |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for name, label, n, found, dups, false, sec in rows:
        print(f'| {name} | {label} | {n} | {found} | {dups} | {false} | '
              f'{sec:.2f} |')


if __name__ == '__main__':
    main()
