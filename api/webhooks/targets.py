"""Where a webhook may send to: public addresses only, so that a subscription cannot reach into the internal network.

A subscription's host is checked when it is registered (a literal address or a name that resolves to an internal
address is refused) and again before every delivery, because a name can be made to resolve elsewhere later; the
delivery then connects to the address that was checked (``target_check``), with the name in the Host header and as
the TLS server name whose certificate is verified.
Internal receivers (a development machine, a test) are allowed with ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` (default: on
in DEBUG only).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str] | None:
    """The addresses a host name stands for, or None where it cannot be resolved now."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except (socket.gaierror, UnicodeError, OSError):
        return None


def target_check(url: str, *, must_resolve: bool) -> tuple[str | None, str | None]:
    """``(refusal, address)``: a German reason why ``url`` may not receive webhooks (or None), and the checked
    address a delivery must connect to (None where the name could not be resolved and that is allowed).

    ``must_resolve``: a name that cannot be resolved is refused (before a delivery); at registration it is accepted,
    the check before each delivery decides then. The delivery connects to the returned address and to no other:
    resolving the name a second time to connect would let it point elsewhere by then (DNS rebinding).
    """
    if private_targets_allowed() and not must_resolve:
        return None, None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return _("Die Adresse ist ungültig."), None
    if not host:
        return _("Die Adresse nennt keinen Rechner."), None
    try:
        literal = [str(ipaddress.ip_address(host))]
    except ValueError:
        literal = None
    addresses = literal or _addresses(host, port)
    if private_targets_allowed():
        return None, (addresses[0] if addresses else None)
    if addresses is None:
        return (_("Der Rechner %(host)s ist nicht auflösbar.") % {"host": host} if must_resolve else None), None
    internal = [a for a in addresses if not _is_public(a)]
    if internal:
        refusal = _("Webhooks gehen nur an öffentliche Adressen; %(host)s zeigt ins interne Netz (%(addresses)s).")
        return refusal % {"host": host, "addresses": ", ".join(internal)}, None
    return None, addresses[0]


def target_refusal(url: str, *, must_resolve: bool) -> str | None:
    """A German reason why ``url`` may not receive webhooks, or None (see ``target_check``)."""
    return target_check(url, must_resolve=must_resolve)[0]
