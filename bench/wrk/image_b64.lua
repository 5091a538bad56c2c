-- Unified image generation answered as b64_json (the fake's ~4 MB base64 image)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"runware/runware:100@1","prompt":"a lighthouse on a cliff at dawn, oil painting","size":"1024x1024","response_format":"b64_json"}'
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
