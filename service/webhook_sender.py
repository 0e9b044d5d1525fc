"""The webhook sender: each process runs one beside the API; they share only the database.

It claims due deliveries (`triage.webhooks.deliveries.claim_due`), sends each as its own
task, at most `TRIAGE_WEBHOOK_CONCURRENCY` at once and at most `PER_ENDPOINT` to one
endpoint, so a slow, silent or huge receiver holds its own slots and nobody else's. Every
send has a deadline; at most `MAX_ANSWER_BYTES` of an answer are read; redirects are not
followed; the address is checked (`triage.webhooks.addresses`) right before the connection,
which goes to the checked address (the name is sent as Host and as the TLS server name).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections import Counter as Tally

import httpx
from starlette.concurrency import run_in_threadpool

from service.waiting import woken
from service.web import Services
from triage.storage.db import unit_of_work
from triage.webhooks import addresses, signing
from triage.webhooks.deliveries import Claimed, Outcome, claim_due, policy_for, publish, record

log = logging.getLogger(__name__)

PER_ENDPOINT = 4
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "GuestTriage-Webhooks/1"


class Refused(Exception):
    """The delivery may not or cannot go out (its URL, its name, its address)."""


async def _addresses(claimed: Claimed) -> tuple[addresses.Target, list[addresses.IPAddress]]:
    """The target and the addresses to connect to, checked now; or Refused."""
    try:
        target = addresses.parse(claimed.url)
    except Exception:
        raise Refused("invalid URL") from None
    found = addresses.literal(target.host)
    if found is not None:
        resolved = [found]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as error:
            raise Refused(f"name not resolved ({type(error).__name__})") from None
        found_all = (addresses.literal(str(info[4][0])) for info in infos)
        resolved = list(dict.fromkeys(a for a in found_all if a is not None))
    if not resolved:
        raise Refused("name not resolved")
    why = addresses.refusal(resolved, claimed.allow_private)
    if why is not None:
        raise Refused("refused: " + why.split(";")[0])
    return target, resolved


async def _exchange(client: httpx.AsyncClient, claimed: Claimed) -> int:
    """POST the delivery to each checked address in turn until one takes the connection;
    the answer's status (at most MAX_ANSWER_BYTES of its body are read)."""
    target, resolved = await _addresses(claimed)
    url = httpx.URL(claimed.url)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": url.netloc.decode("ascii"),
        "Triage-Event-Id": claimed.event_id,
        "Triage-Event-Type": claimed.event_type,
        "Triage-Delivery-Id": str(claimed.delivery_id),
        "Triage-Delivery-Attempt": str(claimed.attempt),
        signing.HEADER: signing.header_value([claimed.secret], timestamp, claimed.body),
    }
    # The connection goes to the checked address; the name is the Host and the TLS name.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    for n, address in enumerate(resolved):
        request = client.build_request(
            "POST",
            url.copy_with(host=str(address)),
            headers=headers,
            content=claimed.body,
            extensions=extensions,
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError:
            if n + 1 < len(resolved):
                continue  # the next address of the name
            raise
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_ANSWER_BYTES:
                    break  # enough: the status is what counts
        except httpx.HTTPError:
            pass  # the status has arrived; a body cut short does not change it
        finally:
            await response.aclose()
        return response.status_code
    raise Refused("no address")  # pragma: no cover - resolved is never empty


async def _send(client: httpx.AsyncClient, claimed: Claimed, timeout: float) -> Outcome:
    """One attempt, name resolution to answer within `timeout`, as an Outcome."""
    started = time.perf_counter()

    def done(status: int | None, error: str | None) -> Outcome:
        return Outcome(status, error, int((time.perf_counter() - started) * 1000))

    try:
        async with asyncio.timeout(timeout):
            status = await _exchange(client, claimed)
    except TimeoutError:
        return done(None, f"no answer within {timeout:g} s")
    except Refused as refused:
        return done(None, str(refused))
    except httpx.ConnectError as error:
        if "CERTIFICATE_VERIFY_FAILED" in str(error):
            return done(None, "TLS certificate not trusted")
        return done(None, "ConnectError")
    except (httpx.HTTPError, OSError) as error:
        return done(None, type(error).__name__)
    if 300 <= status < 400:
        return done(status, "redirect not followed")
    if not 200 <= status < 300:
        return done(status, f"answered {status}")
    return done(status, None)


class WebhookSender:
    """Publishes committed events and sends their deliveries, in this process."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._policy = policy_for(svc.settings)
        self._in_flight: Tally[int] = Tally()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (called on this loop's thread)."""
        self._wake.set()

    def _publish(self) -> int:
        with unit_of_work(self._svc.sessions) as s:
            n = publish(s, self._policy)
        if n:
            self._svc.metrics.events_published.inc(n)
        return n

    async def publish_loop(self) -> None:
        """Publish committed events as they come (and wake the sender for them)."""
        while True:
            try:
                n = await run_in_threadpool(self._publish)
            except Exception:
                log.exception("publishing events failed; will try again")
                n = 0
            if n:
                self._wake.set()
            else:
                await asyncio.sleep(self._svc.settings.events_poll_seconds)

    async def run(self) -> None:
        settings = self._svc.settings
        timeout = settings.webhook_timeout_seconds
        limits = httpx.Limits(max_connections=settings.webhook_concurrency * 2)
        verify: ssl.SSLContext | bool = True
        if settings.webhook_ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.webhook_ca_file))
        async with httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            limits=limits,
            trust_env=False,
            verify=verify,
        ) as client:
            try:
                while True:
                    free = settings.webhook_concurrency - len(self._tasks)
                    claimed: list[Claimed] = []
                    if free > 0:
                        try:
                            claimed = await run_in_threadpool(self._claim, free)
                        except Exception:
                            log.exception("claiming webhook deliveries failed; will try again")
                    for c in claimed:
                        self._in_flight[c.endpoint_id] += 1
                        task = asyncio.create_task(self._deliver(client, c, timeout))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                    if not claimed:
                        self._wake.clear()
                        await woken(self._wake, settings.webhook_poll_seconds)
            finally:
                for task in list(self._tasks):
                    task.cancel()
                for task in list(self._tasks):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def _claim(self, free: int) -> list[Claimed]:
        busy = [e for e, n in self._in_flight.items() if n >= PER_ENDPOINT]
        with unit_of_work(self._svc.sessions) as s:
            return claim_due(s, self._policy, limit=min(free, 50), skip_endpoints=busy)

    async def _deliver(self, client: httpx.AsyncClient, claimed: Claimed, timeout: float) -> None:
        try:
            outcome = await _send(client, claimed, timeout)
            status = await run_in_threadpool(self._record, claimed, outcome)
            self._svc.metrics.webhook_attempts.labels(outcome=status).inc()
            if status == "failed":
                log.warning(
                    "webhook delivery %d (event %s) failed for good after %d attempts: %s",
                    claimed.delivery_id,
                    claimed.event_id,
                    claimed.attempt,
                    outcome.error,
                )
        except Exception:
            log.exception("webhook delivery %d could not be recorded", claimed.delivery_id)
        finally:
            self._in_flight[claimed.endpoint_id] -= 1
            if self._in_flight[claimed.endpoint_id] <= 0:
                del self._in_flight[claimed.endpoint_id]
            self._wake.set()

    def _record(self, claimed: Claimed, outcome: Outcome) -> str:
        with unit_of_work(self._svc.sessions) as s:
            return record(s, claimed.delivery_id, outcome, self._policy)
