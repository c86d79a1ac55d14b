"""A local stand-in for an OpenAI-compatible chat-completions API, for tests only.

A real HTTP server (FastAPI under uvicorn, on 127.0.0.1 and a free port) that speaks the real
protocol: `POST /v1/chat/completions` validates the request the way the API does and answers in
the `chat.completion` shape. Tests script it with a queue of behaviours and read back every
request it received.

In process (see the `fake_openai` fixture in subgraphs/waste/tests/conftest.py):

    with FakeOpenAI() as fake:
        fake.enqueue(answer={"category_code": "CLEAR_PET", "item_name": "생수병",
                             "confidence": 0.9})
        fake.enqueue(status=503)
        fake.enqueue(content="not json", delay=0.5)
        ... point the client at fake.base_url ...
        fake.requests[0].body["messages"]

Standalone (for end-to-end tests that run a real worker against it):

    python -m devstack.fake_openai --port 0 \
        --script '[{"answer": {"category_code": "PAPER_PACK", "confidence": 0.9}}]' \
        --default '{"answer": {"category_code": "UNCLASSIFIED", "confidence": 0}}' \
        --api-key sk-test

It prints `FAKE_OPENAI_BASE_URL=http://127.0.0.1:<port>/v1` once it is listening. A behaviour
is a JSON object with any of: `answer` (object, sent as the JSON message content), `content`
(raw message content string), `status` (HTTP status, default 200), `delay` (seconds before
answering), `error` (error message for non-200), `headers` (extra response headers). When the
script runs out the default behaviour answers; without a default the fake answers 500.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import itertools
import json
import re
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

_DATA_URL = re.compile(r"^data:(image/[\w.+-]+);base64,(.+)$", re.DOTALL)
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Behaviour:
    """One scripted reply."""

    answer: Any = None  # JSON-able; becomes the message content via json.dumps
    content: str | None = None  # raw message content (wins over `answer`)
    status: int = 200
    delay: float = 0.0
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Behaviour:
        unknown = set(value) - {"answer", "content", "status", "delay", "error", "headers"}
        if unknown:
            raise ValueError(f"unknown behaviour keys: {sorted(unknown)}")
        return cls(**value)

    def message_content(self) -> str:
        if self.content is not None:
            return self.content
        return json.dumps(self.answer, ensure_ascii=False)


@dataclass(frozen=True)
class ReceivedRequest:
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON body (None when it was not JSON)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def system_prompt(self) -> str:
        return "\n".join(
            m["content"]
            for m in self.body.get("messages", [])
            if m.get("role") == "system" and isinstance(m.get("content"), str)
        )

    def content_parts(self, kind: str) -> list[dict[str, Any]]:
        return [
            part
            for m in self.body.get("messages", [])
            if m.get("role") == "user" and isinstance(m.get("content"), list)
            for part in m["content"]
            if isinstance(part, dict) and part.get("type") == kind
        ]

    @property
    def image_urls(self) -> list[str]:
        return [p["image_url"]["url"] for p in self.content_parts("image_url")]

    @property
    def texts(self) -> list[str]:
        return [p["text"] for p in self.content_parts("text")]


class _Invalid(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def _error_body(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    kind, code = _ERROR_TYPES.get(status, ("server_error" if status >= 500 else "api_error", None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _validate(body: Any) -> None:
    """The checks the real API makes that matter to our client, with its wording."""
    if not isinstance(body, dict):
        raise _Invalid("We could not parse the JSON body of your request.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Invalid("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Invalid("'messages' must be a non-empty array", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in {
            "system",
            "developer",
            "user",
            "assistant",
        }:
            raise _Invalid(f"Invalid value for 'messages[{index}].role'.", f"messages[{index}]")
        if "content" not in message:
            raise _Invalid(f"Missing required parameter: 'messages[{index}].content'.")
    temperature = body.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        raise _Invalid("Invalid 'temperature': must be a number between 0 and 2.", "temperature")

    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_object":
        raise _Invalid(
            "fake: this endpoint expects response_format {'type': 'json_object'}",
            "response_format",
        )
    if "json" not in json.dumps(messages, ensure_ascii=False).lower():
        raise _Invalid(
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'.",
            "messages",
        )

    images = []
    for index, message in enumerate(messages):
        content = message["content"]
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            raise _Invalid(f"Invalid type for 'messages[{index}].content'.")
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                continue
            if kind == "image_url" and message["role"] == "user":
                url = (part.get("image_url") or {}).get("url")
                images.append(url)
                continue
            raise _Invalid(f"Invalid content part in 'messages[{index}].content'.")
    if not images:
        raise _Invalid("fake: expected an image_url content part in a user message", "messages")
    for url in images:
        match = _DATA_URL.match(url) if isinstance(url, str) else None
        if match is None:
            raise _Invalid("Invalid image URL: expected a base64 data URL.", "messages")
        try:
            base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _Invalid("Invalid base64 image data.", "messages") from exc


class FakeOpenAI:
    """The fake server: start/stop (or use as a context manager), script, inspect."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        default: Behaviour | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key  # when set, requests must carry `Authorization: Bearer <key>`
        self.default = default
        self.requests: list[ReceivedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # ---- scripting

    def enqueue(self, behaviour: Behaviour | None = None, /, **fields: Any) -> None:
        """Queue one reply: `enqueue(answer={...})`, `enqueue(status=429)`, `enqueue(b)`."""
        with self._lock:
            self._queue.append(behaviour if behaviour is not None else Behaviour(**fields))

    def script(self, behaviours: list[dict[str, Any]]) -> None:
        for value in behaviours:
            self.enqueue(Behaviour.from_json(value))

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
        self.api_key = None
        self.default = None

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _next(self) -> Behaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    # ---- the app

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake OpenAI")

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": []}

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> JSONResponse:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with self._lock:
                self.requests.append(
                    ReceivedRequest({k.lower(): v for k, v in request.headers.items()}, body)
                )

            expected = f"Bearer {self.api_key}" if self.api_key is not None else None
            if expected is not None and request.headers.get("authorization") != expected:
                return _error(401, "Incorrect API key provided.")
            try:
                _validate(body)
            except _Invalid as exc:
                return _error(400, exc.message, exc.param)

            behaviour = self._next()
            if behaviour is None:
                return _error(500, "fake: no scripted behaviour left and no default")
            if behaviour.delay:
                await asyncio.sleep(behaviour.delay)
            if behaviour.status != 200:
                message = behaviour.error or f"fake: scripted HTTP {behaviour.status}"
                return _error(behaviour.status, message, headers=behaviour.headers)

            content = behaviour.message_content()
            prompt_tokens = len(raw) // 4
            completion_tokens = max(1, len(content) // 4)
            return JSONResponse(
                {
                    "id": f"chatcmpl-fake{next(self._ids)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, "refusal": None},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                    "system_fingerprint": "fp_fake",
                },
                headers=behaviour.headers,
            )

        return app

    # ---- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self, timeout: float = 10) -> FakeOpenAI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-openai", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _error(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(_error_body(status, message, param), status_code=status, headers=headers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat-completions API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", default="[]", help="JSON list of behaviours, in order")
    parser.add_argument("--default", default=None, help="JSON behaviour once the script is used")
    parser.add_argument("--api-key", default=None, help="require this Bearer key")
    args = parser.parse_args(argv)

    default = Behaviour.from_json(json.loads(args.default)) if args.default else None
    fake = FakeOpenAI(host=args.host, port=args.port, api_key=args.api_key, default=default)
    fake.script(json.loads(args.script))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with fake:
        print(f"FAKE_OPENAI_BASE_URL={fake.base_url}", flush=True)
        while not stop.wait(0.2):
            if fake._thread is None or not fake._thread.is_alive():
                sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
