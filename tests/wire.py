"""Loopback servers for wire tests: run an ASGI app with uvicorn in a thread; fake Telegram/Zalo APIs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackServer:
    """uvicorn on 127.0.0.1 in a background thread; `stop()` runs the app's shutdown."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


async def _params(request: Request) -> dict:
    body = await request.body()
    if not body:
        return {}
    if request.headers.get("content-type", "").startswith("application/json"):
        return json.loads(body)
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


class FakeBotApi:
    """Records every Bot API call; answers like Telegram would."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.message_id = 100
        self.pending_updates: list[dict] = []  # served once by getUpdates (polling mode)
        self.fail_next = 0  # answer this many sendMessage calls with HTTP 502
        self.files: dict[str, bytes] = {}  # file_id → content, served by getFile and the file URL
        self.fail_get_file = 0  # answer this many getFile calls with a 500
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["POST", "GET"]),
                                     Route("/file/bot{token}/{path:path}", self.file, methods=["GET"])])

    async def file(self, request: Request):
        self.calls.append(("file", {"path": request.path_params["path"]}))
        content = self.files.get(request.path_params["path"].rsplit("/", 1)[-1])
        if content is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)
        return Response(content, media_type="application/octet-stream")

    async def handle(self, request: Request):
        method = request.path_params["method"]
        params = await _params(request)
        self.calls.append((method, params))
        if method == "getMe":
            return JSONResponse({"ok": True, "result": {"id": 999, "is_bot": True, "first_name": "TTHC", "username": "tthc_bot"}})
        if method == "getUpdates":
            updates, self.pending_updates = self.pending_updates, []
            return JSONResponse({"ok": True, "result": updates})
        if method == "getFile":
            params = params or dict(request.query_params)
            if self.fail_get_file:
                self.fail_get_file -= 1
                return JSONResponse({"ok": False, "error_code": 500, "description": "Internal"}, status_code=500)
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                                    status_code=400)
            return JSONResponse({"ok": True, "result": {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                                        "file_size": len(self.files[file_id]),
                                                        "file_path": f"photos/{file_id}"}})
        if method == "sendMessage" and self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status_code=502)
        if method == "sendMessage":
            self.message_id += 1
            return JSONResponse({"ok": True, "result": {"message_id": self.message_id, "date": int(time.time()),
                                                        "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                                                        "text": params.get("text", "")}})
        return JSONResponse({"ok": True, "result": True})

    def sent(self, chat_id: int | None = None) -> list[dict]:
        return [p for m, p in self.calls if m == "sendMessage" and (chat_id is None or str(p.get("chat_id")) == str(chat_id))]


class FakeZaloApi:
    """Records OA API sends and token refreshes; can answer "token expired" once."""

    def __init__(self):
        self.sent: list[dict] = []
        self.refreshes: list[dict] = []
        self.expire_next = False
        self.fail_next = 0
        self.files: dict[str, bytes] = {}  # name → content, served at /files/{name} (Zalo gives such URLs)
        self.answers: list[dict] = []  # documented OA API bodies to answer the next sends with, in order
        self.refuse_templates = 0  # answer this many sends that carry an attachment with "invalid parameter"
        self.refused: list[dict] = []  # the bodies so refused
        self.app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self.send, methods=["POST"]),
            Route("/v4/oa/access_token", self.refresh, methods=["POST"]),
            Route("/files/{name}", self.file, methods=["GET"]),
        ])

    async def file(self, request: Request):
        content = self.files.get(request.path_params["name"])
        if content is None:
            return JSONResponse({"error": 404}, status_code=404)
        return Response(content, media_type="application/octet-stream")

    async def send(self, request: Request):
        token = request.headers.get("access_token")
        if self.answers:
            return JSONResponse(self.answers.pop(0))
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": -32, "message": "rate limit"}, status_code=200)
        if self.expire_next or token == "expired":
            self.expire_next = False
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        body = json.loads(await request.body())
        if self.refuse_templates and "attachment" in body.get("message", {}):
            self.refuse_templates -= 1
            self.refused.append(body)
            return JSONResponse({"error": -201, "message": "Parameters are invalid"})
        self.sent.append({"token": token, **body})
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": f"m{len(self.sent)}"}})

    async def refresh(self, request: Request):
        self.refreshes.append({"secret_key": request.headers.get("secret_key"), **(await _params(request))})
        return JSONResponse({"access_token": f"fresh-{len(self.refreshes)}", "refresh_token": "r2", "expires_in": "90000"})


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
