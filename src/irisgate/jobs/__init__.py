"""Video job lifecycle: opaque ids, the job record, status refresh, download streaming."""
