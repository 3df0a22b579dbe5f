"""Passwords kept out of messages.

A PostgreSQL target names its password in three places: the URL's userinfo
(``postgresql://u:PW@host/db``), a URL query parameter (``?password=PW``) and a conninfo
key (``password=PW``, which is how psycopg spells a URL once options are added to it). Every
message that names a target, and every driver message that may quote it (psycopg repeats a
malformed URL whole), goes through :func:`hide_password`, so error text that ends up in a
terminal's scrollback or a CI log never holds the password.
"""

from __future__ import annotations

import re

MASK = "***"

# The password runs to the last '@' before the host: libpq stops at the first one, but a
# password with a raw '@' in it must not leave its tail showing.
_USERINFO = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s:/?#@'\"]*:)[^\s/?#]*@", re.IGNORECASE)
# In a URL's query the value ends at '&'; in a conninfo string '&' is part of the value.
_QUERY = re.compile(r"(?P<keep>[?&]password=)[^&#\s'\"]*", re.IGNORECASE)
_KEYWORD = re.compile(r"(?P<keep>(?:^|(?<=[\s'\"]))password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s'\"]*)", re.IGNORECASE)


# A URL's passwords read leniently, as a malformed URL holds them: the userinfo's up to the
# last '@' before the path, a query parameter's up to the next '&'; spaces included.
_LENIENT_USERINFO = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#:@]*:(?P<pw>[^/?#]*)@", re.IGNORECASE)
_LENIENT_QUERY = re.compile(r"[?&]password=(?P<pw>[^&#]*)", re.IGNORECASE)


def hide_password(text: str, target: str = "") -> str:
    """``text`` with every password of a PostgreSQL URL or conninfo string in it masked, and
    the passwords of ``target`` (the URL it is about) wherever the driver quoted them."""
    for m in (*_LENIENT_USERINFO.finditer(target), *_LENIENT_QUERY.finditer(target)):
        text = _quoted_parts_hidden(text, m.group("pw"))
    text = _USERINFO.sub(lambda m: m.group("keep") + MASK + "@", text)
    text = _QUERY.sub(lambda m: m.group("keep") + MASK, text)
    return _KEYWORD.sub(lambda m: m.group("keep") + MASK, text)


def command_url(url: str) -> str:
    """A PostgreSQL URL as a command to type repeats it: as given but for its password, masked.
    The patterns above end a URL's password at a '#' or '?', which libpq reads as part of it
    ('u:p#w@h'): where the password libpq reads is still in the text, or libpq cannot read the
    URL at all, it is written ``URL``."""
    from psycopg.conninfo import conninfo_to_dict

    text = hide_password(url, url)
    try:
        password = conninfo_to_dict(url).get("password")
    except Exception:  # noqa: BLE001 - a URL the driver refuses: nothing of it is repeated
        return "URL"
    return "URL" if password and str(password) in text else text


def _quoted_parts_hidden(text: str, password: str) -> str:
    """The patterns above end a password at a space, and the driver quotes a password with a
    space alone ('unexpected spaces found in "pass word"'); given a raw '@', libpq ends the
    password at the first one and names the rest as the host ("failed to resolve host
    'rest@h'"). Those are masked where found; an ordinary password, which the patterns mask,
    is not looked for in the text (a short one could be any word's letters)."""
    if any(c.isspace() or c in "'\"" for c in password):
        text = text.replace(password, MASK)
    for i, c in enumerate(password):
        if c == "@" and password[i + 1:]:
            text = text.replace(password[i + 1:] + "@", MASK + "@")
    return text
