-- Runware's own request (direct to the fake, or through the nginx floor): POST /v1 with a task array
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-runware-key"
wrk.body = '[{"taskType":"imageInference","taskUUID":"a770f077-f413-47de-9dac-be0b26a35da6","model":"runware:100@1","positivePrompt":"a lighthouse on a cliff at dawn, oil painting","width":1024,"height":1024,"includeCost":true}]'
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
