"""Where an admin may have the service send events (webhook subscriptions).

A subscription's URL is typed by a person, and the worker then POSTs to it from inside the centre's network:
pointed at 127.0.0.1, 10.x or 169.254.169.254 it would make the service a way in to what only it can reach
(its own database port, the cloud's metadata, the bank's intranet). Outside demo mode a subscription's URL
must be https (an event names payment codes and amounts) and every address its host resolves to must be a
public one, unless the operator lists a private network the receiver lives in
(HCCPAY_WEBHOOK_PRIVATE_NETWORKS). Demo mode allows anything: `make run`'s sandboxes are on 127.0.0.1.

The host is resolved again before each delivery (a name public when subscribed may point inside later: DNS
rebinding), and refused with a reason the alert can show. requests then resolves the name once more to connect,
and a name that answers a public address to the first look-up and 127.0.0.1 to the second would slip through:
`public_only_session` checks the address each socket is actually connected to, before a byte is sent (TLS
included), so no window is left. Through an outbound proxy the socket is the proxy's: the proxy resolves the
name, and its own policy (with the check before each delivery) is the guard there.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests
from urllib3.connection import HTTPConnection

from kernel.outbound import outbound_session

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _internal(address: str, allowed: Sequence[Network]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 link-local address may carry its zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return False
    return not ip.is_global or ip.is_multicast


def internal_address(host: str, port: int | None, allowed: Sequence[Network] = ()) -> str | None:
    """The first internal address `host` names or resolves to, None when all are public. A name that does not
    resolve is None: nothing can be sent to it (the delivery fails and is retried), and DNS may not know a
    receiver's name yet on the day it is subscribed."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return name
    try:
        # Also reads the numeric forms an address may take in a URL (127.1, 2130706433, 0x7f000001).
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return next((sockaddr[0] for *_, sockaddr in found if _internal(sockaddr[0], allowed)), None)


def refusal(url: str, allowed: Sequence[Network] = ()) -> tuple[str, str] | None:
    """Why `url` (an http(s) URL with a host) may not receive our events outside demo mode, as (code, message);
    None when it may."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "insecure_url", "url must be https: events name payment codes and amounts"
    address = internal_address(parts.hostname, parts.port, allowed)
    if address is not None:
        return "internal_url", (f"url must name a public address; {parts.hostname} is or resolves to {address}, "
                                "inside a private network (HCCPAY_WEBHOOK_PRIVATE_NETWORKS lists those allowed)")
    return None


class InternalDestination(Exception):
    """A connection reached an internal address (the name was rebound between our look-up and requests')."""


def public_only_session(allowed: Sequence[Network] = ()) -> requests.Session:
    """An `outbound_session` whose every connection is refused (`InternalDestination`, nothing sent) when the
    socket turns out connected to an internal address other than in `allowed`."""

    def check(connection: HTTPConnection, sock: socket.socket) -> None:
        address = sock.getpeername()[0]
        if not connection.proxy and _internal(address, allowed):
            sock.close()
            raise InternalDestination(f"{connection.host} was connected to {address}, an internal address")

    return outbound_session(check)
