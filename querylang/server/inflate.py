"""Compressed request bodies (``Content-Encoding``), inflated as Parse Server's body parsers
inflate them on Node.js 20: gzip and deflate with zlib, br with the brotli package (the serve
extra), imported at the first br body so that serve starts without it."""

from __future__ import annotations

import logging
import zlib
from typing import Any

from .errors import BadBody, too_large

log = logging.getLogger("querylang.server")

# Content-Encoding → zlib's window bits for it (br has a decoder of its own: _unbrotli). zstd,
# which Parse's body parsers inflate only on a Node.js that has it (22.15 and later), is 415,
# as they answer it on Node 20.
INFLATE = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS}
# How much of a br body is handed to the decoder at a time: where a stream ends inside a piece
# followed by more bytes, that piece is handed over again a byte at a time.
BR_PIECE = 16 * 1024


def inflated(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """The body inflated as its ``Content-Encoding`` says, as Parse's body parsers inflate it:
    ``limit`` holds for the inflated bytes (413); an encoding they do not know is 415, data
    that does not inflate 400 in zlib's words ("incorrect header check", "unexpected end of
    file")."""
    encoding = (encoding or "identity").lower()
    if encoding == "identity":
        if len(raw) > limit:
            raise too_large()
        return raw
    if encoding == "br":
        return _unbrotli(raw, limit)
    if encoding not in INFLATE:
        raise BadBody(f'unsupported content encoding "{encoding}"', status=415)
    out = b""
    while True:
        inflater = zlib.decompressobj(INFLATE[encoding])
        try:
            out += inflater.decompress(raw, limit + 1 - len(out))
        except zlib.error as exc:
            raise BadBody(str(exc).rpartition(": ")[2]) from None
        if len(out) > limit:
            raise too_large()
        if not inflater.eof:
            raise BadBody("unexpected end of file")
        raw = inflater.unused_data
        # As Node's gunzip reads what follows a gzip member: another member, inflated and
        # joined to it, unless it starts with a zero byte (padding, left unread). deflate
        # leaves whatever follows unread.
        if encoding != "gzip" or not raw or raw[0] == 0:
            return out


def _unbrotli(raw: bytes, limit: int) -> bytes:
    """A br body inflated as Node's zlib inflates it for Parse, in its words: "Decompression
    failed" for data that is no Brotli, "unexpected end of file" for data cut short. What
    follows the end of the stream is left unread, as Node leaves it (the brotli package
    refuses a stream with more bytes after it)."""
    brotli = _brotli()
    decoder, out = brotli.Decompressor(), bytearray()
    for start in range(0, len(raw), BR_PIECE):
        try:
            out += _inflate_piece(decoder, raw[start : start + BR_PIECE], limit - len(out))
        except brotli.error:
            return _unbrotli_to_its_end(brotli, raw, start, limit)
        if decoder.is_finished():
            return bytes(out)
    raise BadBody("unexpected end of file")


def _unbrotli_to_its_end(brotli: Any, raw: bytes, start: int, limit: int) -> bytes:
    """The piece at ``start`` failed: inflated again up to it, then a byte at a time, so a
    stream that ends inside the piece is told from data that is no Brotli."""
    decoder = brotli.Decompressor()
    try:
        out = bytearray(_inflate_piece(decoder, raw[:start], limit))
        for at in range(start, min(start + BR_PIECE, len(raw))):
            out += _inflate_piece(decoder, raw[at : at + 1], limit - len(out))
            if decoder.is_finished():
                return bytes(out)
    except brotli.error:
        pass
    raise BadBody("Decompression failed")


def _inflate_piece(decoder: Any, piece: bytes, room: int) -> bytes:
    """What ``piece`` inflates to, never more than a byte past ``room`` (413 then), however
    much it would inflate to."""
    out: bytes = decoder.process(piece, output_buffer_limit=room + 1)
    if len(out) > room:
        raise too_large()
    return out


def _brotli() -> Any:
    """The brotli package, 1.2 or later (its output_buffer_limit keeps an inflated body within
    the limit); without it a br body is 415, as for an encoding Parse's parsers do not know,
    and the log says what to install."""
    try:
        import brotli
    except ImportError:
        brotli = None  # type: ignore[assignment]
    if brotli is None or not hasattr(brotli.Decompressor, "can_accept_more_data"):
        log.warning("a request body sent with Content-Encoding br was refused (415): it needs the brotli "
                    "package, 1.2 or later: pip install 'querylang[serve]'")
        raise BadBody('unsupported content encoding "br"', status=415)
    return brotli
