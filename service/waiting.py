"""Waiting in the background loops, cancellable.

`asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11 `wait_for` can swallow a
cancellation that arrives as the awaited thing completes, and a loop that should stop then
runs on: a test's shutdown hung on it (the router's wake-up event was set as the app
stopped)."""

from __future__ import annotations

import asyncio
import contextlib


async def woken(event: asyncio.Event, seconds: float) -> None:
    """Return when `event` is set or after `seconds`, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
