-- Unified image generation (irisgate, the reference, LiteLLM): POST /v1/images/generations
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"runware/runware:100@1","prompt":"a lighthouse on a cliff at dawn, oil painting","size":"1024x1024"}'
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
