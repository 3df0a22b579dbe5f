"""encodeURIComponent, decodeURIComponent, encodeURI and decodeURI, as JavaScript has them.

Text is percent-encoded as UTF-8 with upper-case hex digits, and only JavaScript's unescaped
characters stay as they are: letters, digits and ``-_.!~*'()``, and for encodeURI also a URI's
own punctuation ``;/?:@&=+$,#``. Where JavaScript throws URIError (a lone surrogate to encode;
a ``%`` without two hex digits, or escapes that are not UTF-8, to decode) the script fails with
"URI malformed" and what was wrong.

>>> encode_uri_component(["a b&c/é😀"])
'a%20b%26c%2F%C3%A9%F0%9F%98%80'
>>> decode_uri(["%41%2f%3B%C3%A9"])
'A%2f%3Bé'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote_from_bytes

from querylang.errors import ScriptError
from querylang.script.values import (
    MAX_STRING_LENGTH,
    arg,
    from_u16,
    js_len,
    to_string,
    too_long,
)

_UNESCAPED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
_PUNCTUATION = b";/?:@&=+$,#"
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# The escapes of that punctuation, which decodeURI leaves as written ('%2f' stays '%2f').
_PUNCTUATION_ESCAPE = re.compile(r"(%(?:2[346BCFbcf]|3[ABDFabdf]|40))")


def _malformed(name: str, detail: str) -> ScriptError:
    return ScriptError(f"URI malformed: {detail} ({name})")


def _encoder(name: str, unescaped: bytes) -> Callable[[list[object]], str]:
    safe = unescaped.decode("ascii")

    def encode(args: list[object]) -> str:
        # from_u16: a surrogate pair held as two halves is one character, encoded as such.
        s = from_u16(to_string(arg(args, 0)))
        try:
            data = s.encode("utf-8")
        except UnicodeEncodeError as err:
            where = js_len(s[: err.start])
            raise _malformed(
                name,
                f"the string holds a lone surrogate (\\u{ord(s[err.start]):04x} at index {where}), "
                "which UTF-8 cannot encode",
            ) from None
        # An escaped byte takes three characters: the size is known before the text is built.
        if len(data) + 2 * len(data.translate(None, unescaped)) > MAX_STRING_LENGTH:
            raise too_long()
        return quote_from_bytes(data, safe=safe)

    return encode


def _decoder(name: str, kept: re.Pattern[str] | None) -> Callable[[list[object]], str]:
    def decode(args: list[object]) -> str:
        s = to_string(arg(args, 0))
        if "%" not in s:
            return s
        stray = _STRAY_PERCENT.search(s)
        if stray:
            i = stray.start()
            raise _malformed(
                name, f"'{s[i : i + 3]}' at index {js_len(s[:i])}: a % must be followed by two hex digits"
            )

        def run(m: re.Match[str]) -> str:
            if kept is None:
                return _utf8(m.group(), s, m.start(), name)
            out, at = [], m.start()
            for i, part in enumerate(kept.split(m.group())):  # each kept escape at an odd index
                out.append(part if i % 2 else _utf8(part, s, at, name))
                at += len(part)
            return "".join(out)

        return from_u16(_ESCAPES.sub(run, s))  # never longer than s

    return decode


def _utf8(escapes: str, s: str, at: int, name: str) -> str:
    """A run of %XX escapes (at ``at`` in ``s``) as the UTF-8 they spell; JavaScript refuses
    what UTF-8 does (a stray continuation byte, a sequence cut short, an overlong form, a
    surrogate, a code point past U+10FFFF)."""
    data = bytes.fromhex(escapes.replace("%", ""))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = escapes[3 * err.start : 3 * err.start + 12]  # up to a sequence's four bytes
        where = js_len(s[:at]) + 3 * err.start
        raise _malformed(name, f"{bad} at index {where} is not UTF-8") from None


encode_uri_component = _encoder("encodeURIComponent", _UNESCAPED)
encode_uri = _encoder("encodeURI", _UNESCAPED + _PUNCTUATION)
decode_uri_component = _decoder("decodeURIComponent", None)
decode_uri = _decoder("decodeURI", _PUNCTUATION_ESCAPE)
