-- Unified video create (irisgate, the reference, LiteLLM): POST /v1/videos, Runway gen4_turbo image-to-video
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"runway/gen4_turbo","prompt":"the lighthouse beam sweeps over a stormy sea","input_reference":"https://example.com/a.png","seconds":"5","size":"1280x720"}'
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
