"""``querylang serve``: run the Parse REST API and the data browser with uvicorn."""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import click

import querylang
from querylang.api import shown
from querylang.app.commands import db_words, is_url, not_an_export
from querylang.app.params import DbParam, HomePath, check_acl_field

from .config import (
    DEFAULT_KEY_GUESS_WINDOW,
    DEFAULT_KEY_GUESSES,
    DEFAULT_MAX_BODY,
    ServerConfig,
    host_name,
    is_address,
)

# What a URL path segment holds as is (RFC 3986 pchar, less percent-encoding).
PATH_CHARACTERS = "/!$&'()*+,;=:@"
# The largest request line and headers taken. A browser's filter script travels in the URL
# (the form is a GET, and paging and sorting links carry it): under h11's default of 16 KiB a
# script of a few hundred ids was refused with a bare "Invalid HTTP request received."
MAX_REQUEST_HEAD = 1024 * 1024


def uvicorn_config(app: Any, **options: Any) -> Any:
    """The uvicorn.Config serve runs ``app`` with (the tests' servers too)."""
    import uvicorn
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from .guesses import KeepPeer

    config = uvicorn.Config(app, h11_max_incomplete_event_size=MAX_REQUEST_HEAD, **options)
    if config.proxy_headers:
        # uvicorn's own would put the address an X-Forwarded-For names (from loopback, by
        # default) in place of the connection's, which any client there may write: the key
        # guesses are counted by the connection's (guesses.PEER), kept before it.
        proxied: Any = ProxyHeadersMiddleware(app, trusted_hosts=config.forwarded_allow_ips)
        config.app = KeepPeer(proxied)
        config.proxy_headers = False
    return config


def open_database(db: str | Path | None, data: str | Path | None) -> querylang.Database:
    """A DuckDB file or a PostgreSQL URL (kept writable: the API writes), an interchange file
    or directory loaded into memory, or the bundled sample."""
    if db is not None and data is not None:
        raise click.UsageError("give --db or --data, not both")
    if db is not None:
        if not is_url(db) and not Path(db).exists():
            # connect() makes a new file for a writer; served, that empty database answers
            # every class "unknown" and the REST API cannot add classes: a mistyped name.
            raise ServeError(f"no such database file: {db} (make one with: querylang load FILE --db {db_words(db)})")
        # A database without querylang's classes (another application's DuckDB file or
        # PostgreSQL database, a search_path naming the wrong schema) would be served empty
        # (a DuckDB file after querylang's tables were made in it). Looked at read-only first,
        # which makes nothing.
        try:
            found = querylang.connect(db, read_only=True)
        except querylang.DataError:
            if isinstance(db, str) and is_url(db) and _holds_parse_tables(db):
                # The library's refusal suggests --layout parse, which serve does not take.
                raise ServeError("the PostgreSQL database given to --db holds Parse Server's own tables, which "
                                 "serve does not serve in place (their ACLs are not read there): copy them into a "
                                 "querylang database with 'querylang import parse-server' and serve that") from None
            raise
        with found:
            if not found.schema.classes:
                what = "the PostgreSQL database given to --db" if is_url(db) else db
                raise ServeError(f"{what} holds no querylang classes (load them first: querylang load FILE --db "
                                 f"{db_words(db)}); nothing was served or made there")
        return querylang.connect(db)
    if data is not None:
        # A folder of exports said only that it lacks a schema.json: said what it is, with
        # the import command that reads it, as load and the other commands' --data say it.
        not_an_export(data)
    conn = querylang.connect()
    if data is not None:
        conn.load(data)
        if not conn.schema.classes:
            # As a database without classes above: every call would answer "unknown class",
            # and the REST API cannot add classes.
            conn.close()
            where = "a directory's classes are in its schema.json" if Path(data).is_dir() else "an interchange file's classes are"
            raise ServeError(f'{shown(data)} holds no classes: nothing to serve ({where} under "classes", README '
                             '"Interchange format")')
    else:
        from querylang.app.demo import sample_document

        conn.load(sample_document())
    return conn


@click.command()
@click.option("--db", "db", type=DbParam(),
              help="A DuckDB database file (made by 'querylang load'), or a PostgreSQL database: "
                   "postgresql://user@host:port/dbname.")
# As typed (a str): Path drops the './' of './d', and the messages name the folder as written.
@click.option("--data", type=HomePath(exists=True, path_type=str),
              help="An interchange JSON file, or an interchange directory (schema.json and one "
                   "<Class>.ndjson per class), loaded into memory.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=1337, show_default=True, type=click.IntRange(0, 65535))
@click.option("--mount", default="/parse", show_default=True, help="Path the Parse API is served under.")
@click.option("--app-id", required=True, help="X-Parse-Application-Id every request must carry.")
@click.option("--master-key", required=True, envvar="QUERYLANG_MASTER_KEY",
              help="X-Parse-Master-Key: writes, /schemas, the browser, ACL bypass (or $QUERYLANG_MASTER_KEY, "
                   "which other users cannot read in the process list).")
@click.option("--rest-key", default=None, envvar="QUERYLANG_REST_KEY",
              help="Client key (X-Parse-REST-API-Key) requests without the master key must carry (or $QUERYLANG_REST_KEY).")
@click.option("--allow-client-writes", is_flag=True, help="Let requests without the master key create, update and delete.")
@click.option("--acl-field", default="ACL", show_default=True, help="Field holding each record's Parse ACL (of type ACL, or an Object).")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=click.IntRange(min=0), help="Largest request body in bytes.")
@click.option("--public-url", default=None, help="serverURL clients use (for Location headers); default: from the request.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name requests may name in Host besides localhost, IP addresses, --host and "
                   "--public-url's host (others are refused 403: DNS rebinding); repeatable; * for any.")
@click.option("--key-guesses", default=DEFAULT_KEY_GUESSES, show_default=True, type=click.IntRange(min=0),
              help="Wrong keys (master, app id, client) one client address may send within --key-guess-window "
                   "before it is answered 429 until the window ends; 0 for no limit.")
@click.option("--key-guess-window", default=DEFAULT_KEY_GUESS_WINDOW, show_default=True, type=click.IntRange(min=1),
              metavar="SECONDS", help="The window --key-guesses counts in.")
def serve(
    db: str | Path | None, data: str | None, host: str, port: int, mount: str, app_id: str, master_key: str,
    rest_key: str | None, allow_client_writes: bool, acl_field: str, max_body: int, public_url: str | None,
    allowed_hosts: tuple[str, ...], key_guesses: int, key_guess_window: int,
) -> None:
    """Serve Parse Server's REST API for data, and a data browser at /browser.

    Point a Parse SDK or a Noodl app at http://HOST:PORT/parse; open http://HOST:PORT/browser
    and sign in with the master key. With neither --db nor --data the bundled sample is served.
    """
    try:
        import uvicorn

        from .app import create_app
    except ImportError as exc:  # the serve extra is optional: say how to get it
        raise click.ClickException(f"querylang serve needs the 'serve' extra ({exc.name} is missing): "
                                   "pip install 'querylang[serve]'") from None

    if not master_key:
        # Matched by an empty X-Parse-Master-Key header and an empty sign-in form (Parse Server
        # refuses to start without one too).
        raise ServeError("--master-key is empty: every client sending an empty key would hold the master key")
    if not app_id.strip():
        # Parse Server refuses to start without one; served, it matched only requests sending
        # an empty X-Parse-Application-Id.
        raise ServeError("--app-id is empty: give the application id your clients are initialised with")
    under = "/" + mount.strip("/")
    if under == "/browser" or under.startswith("/browser/"):
        # The browser's routes come first (app.py): the API would answer nothing there.
        raise ServeError(f"--mount {mount}: the data browser is served at /browser; put the Parse API "
                         "under another path (the default is /parse)")
    if quote(under, safe=PATH_CHARACTERS) != under or any(s in (".", "..") for s in under.split("/")):
        # Served, such a mount answers nothing: a client resolves '.' and '..' away, and the
        # characters a URL path must encode arrive decoded, which the mount does not match.
        raise ServeError(f"--mount {mount}: not a plain URL path; give one of ASCII letters, digits and "
                         "-._~!$&'()*+,;=:@ between slashes, such as /parse")
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # It is put before every Location header's path: anything else gives clients junk.
            raise ServeError(f"--public-url {public_url}: not an http(s) URL; give the serverURL clients use, "
                             "such as https://example.com/parse")
    named = hosts_named(host, allowed_hosts)
    with SigtermEnding() as sigterm:
        sock = listen(host, port)  # before the database: a port in use is said at once, nothing opened
        try:
            database = open_database(db, data)
        except BaseException:
            sock.close()
            raise
        if click.get_current_context().get_parameter_source("acl_field") != click.core.ParameterSource.DEFAULT:
            try:  # the flag's check is the CLI's (querylang/app/params.py), as its other flags'
                check_acl_field(database.schema, acl_field)
            except BaseException:
                sock.close()
                database.close()
                raise
        config = ServerConfig(
            app_id=app_id, master_key=master_key, rest_key=rest_key, allow_client_writes=allow_client_writes,
            mount=mount, acl_field=acl_field, max_body=max_body, public_url=public_url, allowed_hosts=named,
            key_guesses=key_guesses, key_guess_window=key_guess_window,
        )
        port = sock.getsockname()[1]  # the one the system chose for --port 0
        # An IPv6 address goes in brackets in a URL: "http://:::1337" was no address to open.
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        click.echo(f"querylang serve: Parse API at http://{shown}:{port}{config.mount}, browser at http://{shown}:{port}/browser")
        # Told by the address bound, not by --host's spelling: "::0" and "0" are every address too.
        if ipaddress.ip_address(sock.getsockname()[0]).is_unspecified and not allowed_hosts and public_url is None:
            # The machine's names are not knowable; its addresses need no naming (hosts.py).
            click.echo("querylang serve: serving every address of this machine: requests naming it by an address "
                       "are answered, by a name other than localhost refused (name it with --allowed-host)", err=True)
        try:
            sigterm.server = uvicorn.Server(uvicorn_config(create_app(database, config), log_level="warning"))
            sigterm.server.run(sockets=[sock])
        finally:
            sock.close()
            database.close()


class SigtermEnding:
    """SIGTERM ends serve as it ends uvicorn's own servers: the requests in progress are
    answered, the database is closed, then the process ends by the signal itself, so its parent
    sees a SIGTERM ending (a shell's status 143), which systemd and Docker take for a clean stop.
    The CLI makes SIGTERM a Ctrl-C for every command, and uvicorn raised it again after its
    shutdown: serve ended "interrupted" with 130, as if someone had pressed Ctrl-C."""

    def __init__(self) -> None:
        self.server: Any = None  # a uvicorn.Server once serving
        self.received = False
        self.previous: Any = None

    def __enter__(self) -> SigtermEnding:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.received = True
        if self.server is None:
            raise KeyboardInterrupt  # still opening the database: stopped there, through its clean-up
        # uvicorn takes SIGTERM over while it serves and calls this once it has shut down.
        self.server.should_exit = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self.previous is None:
            return
        signal.signal(signal.SIGTERM, self.previous)
        if self.received and (kind is None or issubclass(kind, KeyboardInterrupt)):
            sys.stdout.flush()
            sys.stderr.flush()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)


def _holds_parse_tables(url: str) -> bool:
    """Whether ``url`` opens as a Parse Server's database (layout="parse")."""
    try:
        querylang.connect(url, read_only=True, layout="parse").close()
    except querylang.QueryError:
        return False
    return True


class ServeError(click.ClickException):
    """A server that cannot start: a user error (exit 2), like every other bad input."""

    exit_code = 2


EVERY_ADDRESS = ("", "0.0.0.0", "::")


def hosts_named(host: str, allowed_hosts: tuple[str, ...]) -> tuple[str, ...]:
    """The hosts a request's Host may name besides loopback's and addresses (hosts.py): those
    of --allowed-host, each checked, and --host when it is a name (the one the server was told
    to be reached by)."""
    for name in allowed_hosts:
        try:
            host_name(name)
        except ValueError as exc:
            raise ServeError(f"--allowed-host {name}: {exc}") from None
    if is_address(host):
        return allowed_hosts
    return allowed_hosts if host in EVERY_ADDRESS else (*allowed_hosts, host)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a ServeError saying why there is none (a port in
    use, a host that does not resolve or is not this machine's), before anything is served."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot serve on {host}: the host name does not resolve ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
