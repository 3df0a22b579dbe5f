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


def hide_password(text: str) -> str:
    """``text`` with every password of a PostgreSQL URL or conninfo string in it masked."""
    text = _USERINFO.sub(lambda m: m.group("keep") + MASK + "@", text)
    text = _QUERY.sub(lambda m: m.group("keep") + MASK, text)
    return _KEYWORD.sub(lambda m: m.group("keep") + MASK, text)
