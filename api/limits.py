"""Request limits as plain ASGI middleware: body size and media type.

The body is read (up to the limit) before the application sees it, so an
oversize request is refused with 413 without ever reaching a handler, and a
body that is not JSON gets 415 on the JSON API.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


class RequestLimits:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(
                send,
                413,
                "too-large",
                f"The body exceeds {self.max_bytes} bytes (TRIAGE_MAX_BODY_BYTES).",
            )
            return
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if (
            scope["path"].startswith("/v1/")
            and declared not in (None, b"0")
            and media_type != b"application/json"
        ):
            await self._refuse(
                send,
                415,
                "unsupported-media-type",
                "Send the body as JSON with 'Content-Type: application/json'.",
            )
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(
                    send,
                    413,
                    "too-large",
                    f"The body exceeds {self.max_bytes} bytes (TRIAGE_MAX_BODY_BYTES).",
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, status: int, slug: str, detail: str) -> None:
        body = json.dumps(problem(status, slug, detail)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
