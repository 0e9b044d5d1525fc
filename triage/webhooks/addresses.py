"""Where a webhook may point: http(s) to a public address, unless an admin allowed a
private one for that endpoint. Checked when an endpoint is saved and again before every
delivery, against the addresses the name resolves to then (the sender connects to the
address it checked, so a name that changes its answer cannot redirect a delivery into
the hotel's own network; redirects are never followed)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from triage.core.errors import FieldProblem, InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int


def parse(url: str) -> Target:
    """The URL's scheme, host and port, or InvalidInput saying what is wrong with it."""

    def bad(why: str) -> InvalidInput:
        return InvalidInput("invalid webhook URL", [FieldProblem("url", "url", why)])

    if len(url) > 2000:
        raise bad("at most 2000 characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise bad(f"not a URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise bad("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise bad("the URL has no host")
    if parts.username or parts.password:
        raise bad("credentials in the URL are not allowed; the signature authenticates us")
    if parts.fragment:
        raise bad("the URL must not have a #fragment")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, reserved,
    shared or multicast; an IPv4-mapped IPv6 address counts as its IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to now (empty when it does not resolve)."""
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def refusal(addresses: list[IPAddress], allow_private: bool) -> str | None:
    """Why these addresses may not be called, or None."""
    if allow_private:
        return None
    private = [str(a) for a in addresses if not is_public(a)]
    if private:
        return (
            f"the host resolves to a private or reserved address ({', '.join(private[:3])}); "
            "an admin may allow private addresses for this endpoint"
        )
    return None


def check_for_saving(url: str, allow_private: bool) -> Target:
    """Refuse a URL that is malformed or points at a private address (when not allowed).
    A name that does not resolve yet is accepted: deliveries check again."""
    target = parse(url)
    why = refusal(resolve(target.host, target.port), allow_private)
    if why is not None:
        raise InvalidInput("invalid webhook URL", [FieldProblem("url", "private_address", why)])
    return target
