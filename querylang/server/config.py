"""What a running server is told: keys, where the API is mounted, and its limits."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# Parse Server's own default body limit (its ``maxUploadSize``).
DEFAULT_MAX_BODY = 20 * 1024 * 1024
# The library refuses values nested deeper than 100 levels; a request body may wrap them in a
# few levels of its own (batch → requests → body → where).
DEFAULT_MAX_DEPTH = 110
# Wrong keys one client address may send in a window before it is answered 429 (guesses.py):
# enough for a person mistyping a key a few times, few enough that guessing a weak key takes
# days rather than seconds.
DEFAULT_KEY_GUESSES = 10
DEFAULT_KEY_GUESS_WINDOW = 60


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one server.

    ``acl_field`` names the record field that holds a Parse ACL (``{"*": {"read": true}}``);
    it is rendered as ``ACL`` in responses. The interchange format reserves the name ``ACL``
    for a coming ACL type, so until then a database keeps ACLs in an Object field of another
    name (``--acl-field acl``).

    ``allowed_hosts`` names the hosts a request's ``Host`` may name besides loopback names,
    IP addresses and the host of ``public_url`` (hosts.py); ``"*"`` allows any. ``key_guesses``
    wrong keys from one client address within ``key_guess_window`` seconds have it answered
    429 until the window ends (guesses.py); 0 sets no limit.
    """

    app_id: str
    master_key: str
    rest_key: str | None = None
    allow_client_writes: bool = False
    mount: str = "/parse"
    public_url: str | None = None  # the serverURL clients use; built from the request if None
    acl_field: str = "ACL"
    max_body: int = DEFAULT_MAX_BODY
    max_depth: int = DEFAULT_MAX_DEPTH
    default_limit: int = 100
    allowed_hosts: tuple[str, ...] = ()
    key_guesses: int = DEFAULT_KEY_GUESSES
    key_guess_window: float = DEFAULT_KEY_GUESS_WINDOW

    def __post_init__(self) -> None:
        if not self.master_key:
            # An empty key would be matched by an empty X-Parse-Master-Key header and an empty
            # sign-in form: every client would hold the master key.
            raise ValueError("the master key must not be empty")
        mount = "/" + self.mount.strip("/") if self.mount.strip("/") else ""
        object.__setattr__(self, "mount", mount)
        if self.public_url:
            # A serverURL is often written with a trailing slash; paths are added after it.
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        object.__setattr__(self, "allowed_hosts", tuple(host_name(h) for h in self.allowed_hosts))
        if self.key_guesses < 0 or self.key_guess_window <= 0:
            raise ValueError(f"key_guesses must be 0 or more and key_guess_window more than 0, "
                             f"not {self.key_guesses} and {self.key_guess_window}")


# A host as a URL names it: a DNS name, an IPv4 address, or an IPv6 one in brackets.
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\]")


def host_name(given: str) -> str:
    """An allowed host as the Host check compares it (lower case, IPv6 in brackets, no dot at
    the end), or a ValueError saying what is wrong with it: a scheme or a port (which a Host
    check of names does not compare) are mistakes to say, not to drop."""
    if given == "*":
        return given
    name = given.strip().lower().rstrip(".")
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address written without its brackets
    if not _HOST.fullmatch(name) or (name.startswith("[") and not (":" in name and is_address(name))):
        raise ValueError(f"allowed host {given!r} is not a host name or address; give it as a URL names it, "
                         "without scheme or port (data.example.org, 192.168.1.5, [fd00::5]), or * for any")
    return name


def is_address(host: str) -> bool:
    """Whether ``host`` is an IP address (an IPv6 one with or without its brackets)."""
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") else host)
    except ValueError:
        return False
    return True
