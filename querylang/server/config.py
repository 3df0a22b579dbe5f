"""What a running server is told: keys, where the API is mounted, and its limits."""

from __future__ import annotations

from dataclasses import dataclass

# Parse Server's own default body limit (its ``maxUploadSize``).
DEFAULT_MAX_BODY = 20 * 1024 * 1024
# The library refuses values nested deeper than 100 levels; a request body may wrap them in a
# few levels of its own (batch → requests → body → where).
DEFAULT_MAX_DEPTH = 110


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one server.

    ``acl_field`` names the record field that holds a Parse ACL (``{"*": {"read": true}}``);
    it is rendered as ``ACL`` in responses. The interchange format reserves the name ``ACL``
    for a coming ACL type, so until then a database keeps ACLs in an Object field of another
    name (``--acl-field acl``).
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
