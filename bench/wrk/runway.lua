-- Runway's own create (direct to the fake, or through the nginx floor): POST /v1/image_to_video
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Runway-Version"] = "2024-11-06"
wrk.body = '{"model":"gen4_turbo","promptText":"the lighthouse beam sweeps over a stormy sea","promptImage":"https://example.com/a.png","ratio":"1280:720","duration":5}'
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
