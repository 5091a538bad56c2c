-- A GET of the URL given to wrk: video retrieve (gateways) or Runway's GET /v1/tasks/{id} (direct, floor)
wrk.method = "GET"
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/report.lua")
