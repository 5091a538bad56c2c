"""The reference gateway: only the mapping (image → Runware task array, video create → Runway image_to_video,
retrieve → Runway GET task), nothing else; Starlette + aiohttp + orjson, uvicorn (uvloop, httptools)."""

# Kept compact on purpose (issue 6 wants it under 80 lines), so not reformatted:
# fmt: off
import os
import time
import uuid

import aiohttp
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ENV = os.environ
RUNWARE, RUNWAY = ENV["REF_RUNWARE_URL"], ENV["REF_RUNWAY_URL"]
RUNWARE_HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {ENV['REF_RUNWARE_KEY']}"}
RUNWAY_HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {ENV['REF_RUNWAY_KEY']}",
                  "X-Runway-Version": "2024-11-06"}
STATUS = {"PENDING": "queued", "THROTTLED": "queued", "RUNNING": "in_progress", "SUCCEEDED": "completed"}
http: dict[str, aiohttp.ClientSession] = {}


def answer(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


async def upstream(method: str, url: str, headers: dict[str, str], body: object = None) -> dict:
    data = None if body is None else orjson.dumps(body)
    if "s" not in http:  # one pooled keep-alive session, made in the server's event loop
        http["s"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
    async with http["s"].request(method, url, data=data, headers=headers) as response:
        return orjson.loads(await response.read())


async def images(request: Request) -> Response:
    unified = orjson.loads(await request.body())
    width, height = map(int, unified.get("size", "1024x1024").split("x"))
    task = {"taskType": "imageInference", "taskUUID": str(uuid.uuid4()), "positivePrompt": unified["prompt"],
            "model": unified["model"].split("/", 1)[1], "width": width, "height": height, "includeCost": True}
    if unified.get("response_format") == "b64_json":
        task["outputType"] = "base64Data"
    items = (await upstream("POST", RUNWARE, RUNWARE_HEADERS, [task]))["data"]
    data = [{"b64_json": i["imageBase64Data"]} if "imageBase64Data" in i else {"url": i["imageURL"]}
            for i in items]
    return answer({"created": int(time.time()), "data": data})


def video(task_id: str, model: str, status: str, progress: float) -> dict:
    return {"id": task_id, "object": "video", "model": model, "status": status,
            "progress": int(progress * 100), "created_at": int(time.time())}


async def create_video(request: Request) -> Response:
    unified = orjson.loads(await request.body())
    body = {"model": unified["model"].split("/", 1)[1], "promptText": unified["prompt"],
            "promptImage": unified["input_reference"], "duration": int(unified.get("seconds", 5)),
            "ratio": unified.get("size", "1280x720").replace("x", ":")}
    task = await upstream("POST", RUNWAY + "/v1/image_to_video", RUNWAY_HEADERS, body)
    return answer(video(task["id"], unified["model"], "queued", 0))


async def retrieve_video(request: Request) -> Response:
    task = await upstream("GET", f"{RUNWAY}/v1/tasks/{request.path_params['id']}", RUNWAY_HEADERS)
    status = STATUS.get(task["status"], "failed")
    progress = 1.0 if status == "completed" else task.get("progress", 0)
    return answer(video(task["id"], "runway", status, progress))


app = Starlette(routes=[
    Route("/v1/images/generations", images, methods=["POST"]), Route("/v1/videos/{id}", retrieve_video),
    Route("/v1/videos", create_video, methods=["POST"])])
if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(ENV["REF_PORT"]), loop="uvloop", http="httptools",
                log_level="warning", access_log=False)
