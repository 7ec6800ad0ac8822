"""Making data: the paired folders SR configs read (``pairs_writer``),
aligned face crops (``face_crops``), the embedded demo data built from
photos that ship with scikit-image (``demo_*``, with build stamps) and the
bicubic baselines the demos are compared with (``sr_baseline``)."""
