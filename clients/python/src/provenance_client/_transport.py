"""What the synchronous and the asyncio clients share: the address, the channel credentials, and how
the access token travels with a call.

The token travels by gRPC's own call credentials (``grpc.access_token_call_credentials``) over TLS.
A plaintext channel cannot carry call credentials (gRPC refuses them, rightly: the token would
cross the network in the clear), so over ``http://`` the token is sent as explicit ``authorization``
metadata, and only to a loopback address (a registry on the same machine, as in development and
tests). A token with an ``http://`` URL to any other host is refused before anything is sent.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

__all__ = ["Endpoint", "is_loopback"]

#: Request paths the registry serves nothing at; the URL names a host and port only.
_NO_PATH = ("", "/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _read(path: str | Path | None) -> bytes | None:
    return None if path is None else Path(path).read_bytes()


@dataclass
class Endpoint:
    """A registry's address and how to authenticate to it, checked once for both clients."""

    url: str
    target: str
    tls: bool
    token: str | None
    client_certificate: bool
    credentials: grpc.ChannelCredentials | None
    options: list[tuple[str, Any]]

    @classmethod
    def parse(
        cls,
        url: str,
        token: str | None,
        root_certificates: str | Path | None,
        client_cert: str | Path | None,
        client_key: str | Path | None,
        options: Iterable[tuple[str, Any]],
    ) -> Endpoint:
        """Checks the arguments both clients take (see :class:`provenance_client.Registry`).

        Raises:
            ValueError: a URL that is not ``http(s)://host:port``, a lone client certificate or
                key, TLS files for a plaintext URL, or a token for plaintext to a non-loopback host.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"url must be http://host:port or https://host:port, not {url!r}")
        if parts.path not in _NO_PATH or parts.query or parts.fragment:
            raise ValueError(f"url must not have a path, query or fragment: {url!r}")
        if (client_cert is None) != (client_key is None):
            raise ValueError("client_cert and client_key go together")
        if token is not None and (not isinstance(token, str) or not token.strip()):
            raise ValueError("token must be a non-empty str (or None)")
        tls = parts.scheme == "https"
        credentials: grpc.ChannelCredentials | None = None
        if tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(root_certificates),
                private_key=_read(client_key),
                certificate_chain=_read(client_cert),
            )
        else:
            if root_certificates is not None or client_cert is not None:
                raise ValueError("TLS files were given for an http:// url; use https://")
            if token is not None and not is_loopback(parts.hostname or ""):
                raise ValueError(
                    f"refusing to send an access token in plaintext to {parts.hostname!r}: use https:// "
                    "(plaintext http:// carries a token only to a loopback address such as 127.0.0.1)"
                )
        return cls(
            url=url,
            target=parts.netloc,
            tls=tls,
            token=token,
            client_certificate=client_cert is not None,
            credentials=credentials,
            options=list(options),
        )

    def call_auth(self, authenticated: bool) -> dict[str, Any]:
        """The keyword arguments that authenticate one call: ``credentials`` (TLS) or ``metadata``
        (loopback plaintext); none for a call that needs no token.

        Raises:
            ValueError: the call needs a token and the client has neither one nor a client
                certificate.
        """
        if not authenticated:
            return {}
        if not self.token:
            if self.client_certificate:
                return {}  # the mapped client certificate stands in for the token
            raise ValueError(
                "this call needs an access token (token=...) or a client certificate the registry "
                "maps to an organisation (an https:// url with client_cert=..., client_key=...)"
            )
        if self.tls:
            return {"credentials": grpc.access_token_call_credentials(self.token)}
        return {"metadata": (("authorization", f"Bearer {self.token}"),)}

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The explicit ``authorization`` metadata (loopback plaintext only; empty over TLS, where
        :meth:`call_auth`'s credentials carry the token)."""
        return tuple(self.call_auth(True).get("metadata", ())) if self.token else ()
