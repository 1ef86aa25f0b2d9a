"""Which addresses a run may fetch from, decided per resolved IP address (never per host name alone).

Rules, first match wins:

1. an ``egress.deny`` entry (a CIDR, an address, a host name or ``*.domain``) refuses;
2. an ``egress.allow`` entry allows (this is how an operator opens, say, one link-local address);
3. link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200, …),
   unspecified, multicast and broadcast addresses are refused;
4. loopback (127.0.0.0/8, ::1) is allowed unless ``egress.allowLoopback: false``;
5. private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) are allowed unless
   ``egress.allowPrivate: false`` — a self-hosted registry or git server usually lives there;
6. anything else (the public internet) is allowed.

Why per address: a host name is only a promise. ``check_host`` resolves the name and checks *every* answer, and
the HTTP client connects to an address it checked (see ``http.py``), so a DNS answer that changes between the
check and the connection (rebinding) cannot smuggle a refused address in. IPv4-mapped IPv6 addresses are
checked as the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tasks_engine.errors import UsageError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_METADATA = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # IPv4 link-local: AWS, Azure, GCP, OpenStack metadata at 169.254.169.254
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS IMDS over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "192.0.0.192/32",  # Oracle Cloud metadata (legacy)
    )
)
_METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal"})
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


class EgressRefused(UsageError):
    """A fetch the engine's egress policy does not allow; the message names the URL's host and the rule."""


def _parse_entry(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | str:
    text = entry.strip().lower()
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        if not text or any(c.isspace() for c in text):
            raise UsageError(f"invalid egress entry {entry!r}: expected a CIDR, an address or a host name") from None
        return text


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow_loopback: bool = True
    allow_private: bool = True
    resolver: Resolver = field(default=_default_resolver, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in (*self.allow, *self.deny):
            _parse_entry(entry)

    @staticmethod
    def _matches(entries: Sequence[str], host: str, address: IPAddress | None) -> str | None:
        for entry in entries:
            parsed = _parse_entry(entry)
            if isinstance(parsed, str):
                if parsed == host or (parsed.startswith("*.") and host.endswith(parsed[1:])):
                    return entry
            elif address is not None and address.version == parsed.version and address in parsed:
                return entry
        return None

    def verdict(self, host: str, address: IPAddress | None) -> str | None:
        """None when ``host`` at ``address`` may be fetched, else the rule that refuses it."""
        host = host.lower().rstrip(".")
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        denied = self._matches(self.deny, host, address)
        if denied is not None:
            return f"{address or host} is denied by the egress.deny entry {denied!r}"
        if self._matches(self.allow, host, address) is not None:
            return None
        if host in _METADATA_NAMES:
            return f"{host} is a cloud metadata host, refused by default (list it in egress.allow to permit it)"
        if address is None:
            return None
        if any(address in net for net in _METADATA if net.version == address.version):
            return (f"{address} is a link-local/cloud-metadata address, refused by default "
                    "(list it in egress.allow to permit it)")
        if address.is_unspecified or address.is_multicast or str(address) == "255.255.255.255":
            return f"{address} is not a unicast address"
        if address.is_loopback:
            return None if self.allow_loopback else f"{address} is loopback and egress.allowLoopback is false"
        if any(address in net for net in _PRIVATE if net.version == address.version):
            return None if self.allow_private else f"{address} is a private address and egress.allowPrivate is false"
        return None

    def check_host(self, host: str, port: int, *, what: str) -> list[str]:
        """Resolve ``host`` and return its addresses when every one of them is allowed.

        Raises :class:`EgressRefused` naming ``what`` (the URL, masked by the caller) and the rule. A name
        that does not resolve raises ``OSError`` as a connection would.
        """
        name = host.strip("[]")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        refused = self.verdict(name, literal)
        if refused is not None:
            raise EgressRefused(f"fetching {what} is not allowed: {refused}")
        if literal is not None:
            return [str(literal)]
        addresses = self.resolver(name, port)
        for text in addresses:
            refused = self.verdict(name, ipaddress.ip_address(text.split("%", 1)[0]))
            if refused is not None:
                raise EgressRefused(f"fetching {what} is not allowed: {name} resolves to {text}; {refused}")
        if not addresses:
            raise OSError(f"{name} did not resolve")
        return addresses


DEFAULT_POLICY = EgressPolicy()
