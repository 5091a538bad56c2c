"""Kept media: a copy of each completed video and its thumbnail in irisgate's own media store.

`stores.py` (the interface; `local.py` a folder, `s3.py` an S3-compatible bucket), `keeper.py` (the
background copies and removals, from the store), `thumbnail.py` (the first frame, PyAV + Pillow),
`serving.py` (`/v1/videos/{id}/content` from the kept copy, else the provider's link).
"""
