"""Date text as node reads it (`new Date(text)`, `Date.parse`): ISO-8601 first, then the
forms browsers have always taken (`'2024/1/15'`, `'Jan 5 2024 10:00 PM'`, `'1 March 2024'`).

The language leaves any text that is not ISO-8601 to each engine; the script runs in node in
Noodl, so these are V8's rules, with no local time zone (a time without an offset is UTC):

- The text is read as tokens: numbers (ASCII digits), the signs `: - + . )`, words (a run of
  characters from 'A' up, spaces excepted: any other non-ASCII character is a letter here),
  spaces, text in parentheses (skipped) and anything else (skipped); a NUL ends the text.
- As much of it as fits ISO-8601 is read as such (`2024-01-05`, with `T` and a time it must
  all fit, or the text is no date). The rest is read loosely: a number before ':' or '.' is
  a time, later ones its minutes, seconds and milliseconds; other numbers are the day's, in
  the order year-month-day if the first is no day of a month (0 or above 31), else
  month-day-year; a word whose first three letters name a month is the month; `am`/`pm`
  after a time shift it; `UTC`, `GMT`, `Z` and the North American zone names are offsets,
  as is a sign with hours (`+5`, `-0800`, `+05:`) after a time or UTC; a year of two digits is
  1950-2049; any other word before the first number is passed over, after it the text is
  no date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from querylang.script.dates import make_date, time_clip
from querylang.script.lexer import JS_SPACE
from querylang.script.values import u16

NAN = float("nan")
# A number's value is its first nine digits after its leading zeros; the rest only count in its
# length ('0001234567' is the year 1234567, too far: no date).
_MAX_DIGITS = 9

# Spaces end a word; the line terminators U+2028 and U+2029 do not (V8 takes them for letters).
_SPACES = JS_SPACE.replace("\u2028", "").replace("\u2029", "")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Zone words (exactly these, at most three letters) and their offsets in hours.
_ZONES = {"ut": 0, "utc": 0, "z": 0, "gmt": 0, "cdt": -5, "cst": -6, "edt": -4, "est": -5,
          "mdt": -6, "mst": -7, "pdt": -7, "pst": -8}  # fmt: skip


@dataclass
class _Tok:
    kind: str  # 'num', 'sym', 'word', 'space', 'other' or 'end'
    value: int | str = 0  # a number's value, a sign's character, a word's kind
    length: int = 0  # characters (UTF-16 units) read
    amount: int = 0  # a word's month (1-12), zone offset (hours) or am/pm shift

    def sym(self, ch: str) -> bool:
        return self.kind == "sym" and self.value == ch

    def sign(self) -> int:
        if self.kind != "sym" or self.value not in ("+", "-"):
            return 0
        return 1 if self.value == "+" else -1

    def digits(self, n: int) -> bool:
        return self.kind == "num" and self.length == n

    def is_z(self) -> bool:
        return self.kind == "word" and self.value == "zone" and self.length == 1


def _word(text: str) -> _Tok:
    low = "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in text[:3])
    if low in _MONTHS:
        return _Tok("word", "month", len(text), _MONTHS.index(low) + 1)
    if len(text) <= 3:
        if low in _ZONES:
            return _Tok("word", "zone", len(text), _ZONES[low])
        if low in ("am", "pm"):
            return _Tok("word", "ampm", len(text), 0 if low == "am" else 12)
        if low == "t":
            return _Tok("word", "T", len(text))
    return _Tok("word", "other", len(text))


def _tokens(u: str) -> list[_Tok]:
    """The tokens of ``u`` (UTF-16 units), ending with an 'end' token."""
    out: list[_Tok] = []
    i, n = 0, len(u)
    while i < n and u[i] != "\0":
        ch = u[i]
        if "0" <= ch <= "9":
            j = i
            while j < n and "0" <= u[j] <= "9":
                j += 1
            digits = u[i:j].lstrip("0")
            out.append(_Tok("num", int(digits[:_MAX_DIGITS] or "0"), j - i))
            i = j
        elif ch in ":-+.)":
            out.append(_Tok("sym", ch, 1))
            i += 1
        elif ch >= "A" and ch not in _SPACES:
            j = i
            while j < n and u[j] >= "A" and u[j] not in _SPACES:
                j += 1
            out.append(_word(u[i:j]))
            i = j
        elif ch in JS_SPACE:
            out.append(_Tok("space", length=1))
            i += 1
        elif ch == "(":
            depth = 0
            while True:
                depth += {"(": 1, ")": -1}.get(u[i], 0)
                i += 1
                if depth <= 0 or i >= n or u[i] == "\0":
                    break
            out.append(_Tok("other", length=1))
        else:
            out.append(_Tok("other", length=1))
            i += 1
    out.append(_Tok("end"))
    return out


class _Reader:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks, self.i = toks, 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def skip(self, ch: str) -> bool:
        if self.peek().sym(ch):
            self.next()
            return True
        return False


@dataclass
class _Parts:
    day: list[int] = field(default_factory=list)
    month_name: int | None = None
    iso: bool = False
    time: list[int] = field(default_factory=list)
    hour_shift: int | None = None
    tz_sign: int | None = None
    tz_hour: int | None = None
    tz_minute: int | None = None

    def add_time(self, n: int, final: bool = False) -> bool:
        if len(self.time) >= 4:
            return False
        self.time.append(n)
        if final:
            self.time += [0] * (4 - len(self.time))
        return True

    def expects_time(self, n: int) -> bool:
        k = len(self.time)
        return (k in (1, 2) and 0 <= n <= 59) or (k == 3 and 0 <= n <= 999)

    def set_zone(self, hours: int) -> None:
        self.tz_sign, self.tz_hour, self.tz_minute = (-1 if hours < 0 else 1), abs(hours), 0


def _milliseconds(tok: _Tok) -> int:
    """A fraction's first three digits as milliseconds (`.5` is 500, `.1234` is 123)."""
    n, length = int(tok.value), tok.length
    if length < 3:
        return n * (100 if length == 1 else 10)
    return n // 10 ** (min(length, _MAX_DIGITS) - 3)


def _two_digits(tok: _Tok, low: int, high: int) -> bool:
    return tok.digits(2) and low <= int(tok.value) <= high


def _read_iso(r: _Reader, p: _Parts) -> _Tok | None:
    """Read what fits ISO-8601; the token to go on from, an 'end' token when all of it fit,
    None when the text cannot be a date."""
    sign = r.peek().sign()
    if sign:
        sign_tok = r.next()
        if not r.peek().digits(6):
            return sign_tok
        year = int(r.next().value)
        if sign < 0 and year == 0:
            return sign_tok
        p.day.append(sign * year)
    elif r.peek().digits(4):
        p.day.append(int(r.next().value))
    else:
        return r.next()
    if r.skip("-"):
        if not _two_digits(r.peek(), 1, 12):
            return r.next()
        p.day.append(int(r.next().value))
        if r.skip("-"):
            if not _two_digits(r.peek(), 1, 31):
                return r.next()
            p.day.append(int(r.next().value))
    if not (r.peek().kind == "word" and r.peek().value == "T"):
        if r.peek().kind != "end":
            return r.next()
    elif not _read_iso_time(r, p):
        return None
    if p.tz_hour is None and not p.time:
        p.set_zone(0)  # a date without a time is UTC (and with one, local: UTC here too)
    p.iso = True
    return _Tok("end")


def _read_iso_time(r: _Reader, p: _Parts) -> bool:
    r.next()  # the T
    if not _two_digits(r.peek(), 0, 24):
        return False
    at_24 = r.peek().value == 24  # 24:00 is the end of the day; 24:01 is nothing
    p.time.append(int(r.next().value))
    if not r.skip(":") or not _two_digits(r.peek(), 0, 0 if at_24 else 59):
        return False
    p.time.append(int(r.next().value))
    if r.skip(":"):
        if not _two_digits(r.peek(), 0, 0 if at_24 else 59):
            return False
        p.time.append(int(r.next().value))
        if r.skip("."):
            if r.peek().kind != "num" or (at_24 and r.peek().value):
                return False
            p.time.append(_milliseconds(r.next()))
    if r.peek().is_z():
        r.next()
        p.set_zone(0)
    elif r.peek().sign():
        p.tz_sign = r.next().sign()
        if r.peek().digits(4):
            hour, minute = divmod(int(r.next().value), 100)
            if hour > 23 or minute > 59:
                return False
        else:
            if not _two_digits(r.peek(), 0, 23):
                return False
            hour = int(r.next().value)
            if not r.skip(":") or not _two_digits(r.peek(), 0, 59):
                return False
            minute = int(r.next().value)
        p.tz_hour, p.tz_minute = hour, minute
    return r.peek().kind == "end"


def _read_loose(r: _Reader, p: _Parts, tok: _Tok) -> bool:
    """Read the rest of the text the way browsers always have; False if it is no date."""
    seen_number = bool(p.day)
    while tok.kind != "end":
        if tok.kind == "num":
            seen_number = True
            n = int(tok.value)
            if r.skip(":"):
                if r.skip(":"):
                    if p.time:
                        return False
                    p.time += [n, 0]
                else:
                    if not p.add_time(n):
                        return False
                    if r.peek().sym("."):
                        r.next()
            elif r.skip(".") and p.expects_time(n):
                p.add_time(n)
                if r.peek().kind != "num":
                    return False
                p.add_time(_milliseconds(r.next()), final=True)
            elif p.tz_hour is not None and p.tz_minute is None and 0 <= n <= 59:
                p.tz_minute = n
            elif p.expects_time(n):
                p.add_time(n, final=True)
                after = r.peek()
                if after.kind not in ("end", "space") and not after.is_z() and not after.sign():
                    return False
            else:
                if len(p.day) >= 3:
                    return False
                p.day.append(n)
                r.skip("-")
        elif tok.kind == "word":
            if tok.value == "ampm" and p.time:
                p.hour_shift = tok.amount
            elif tok.value == "month":
                p.month_name = tok.amount
                r.skip("-")
            elif tok.value == "zone" and seen_number:
                p.set_zone(tok.amount)
            elif seen_number or r.peek().kind == "num":
                return False
        elif tok.sign() and ((p.tz_hour == 0 and p.tz_minute == 0) or p.time):
            p.tz_sign = tok.sign()
            n = length = 0
            if r.peek().kind == "num":
                num = r.next()
                n, length = int(num.value), num.length
            seen_number = True
            if r.peek().sym(":"):
                p.tz_hour, p.tz_minute = n, None
            elif length in (1, 2):
                p.tz_hour, p.tz_minute = n, 0
            elif length in (3, 4):
                p.tz_hour, p.tz_minute = divmod(n, 100)
            else:
                return False
        elif (tok.sign() or tok.sym(")")) and seen_number:
            return False
        tok = r.next()
    return True


def _time_value(p: _Parts) -> float:
    if not p.day:
        return NAN
    c = p.day + [1] * (3 - len(p.day))
    if p.month_name is None:
        if p.iso or not 1 <= c[0] <= 31:
            year, month, day = c
        else:
            month, day, year = c
    else:
        month = p.month_name
        year, day = (c[0], c[1]) if not 1 <= c[0] <= 31 else (c[1], c[0])
    if not p.iso and 0 <= year <= 99:
        year += 2000 if year <= 49 else 1900
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return NAN
    hour, minute, second, ms = p.time + [0] * (4 - len(p.time))
    if p.hour_shift is not None:
        if not 0 <= hour <= 12:
            return NAN
        hour = hour % 12 + p.hour_shift
    if not (hour <= 23 and minute <= 59 and second <= 59 and ms <= 999):
        if (hour, minute, second, ms) != (24, 0, 0, 0):
            return NAN
    t = make_date(year, month - 1, day, hour, minute, second, ms)
    if p.tz_sign is not None:
        # V8 adds the offset up in unsigned 32 bits and takes no more than its largest small
        # integer (2**31 - 1) seconds.
        seconds = ((p.tz_hour or 0) * 3600 + (p.tz_minute or 0) * 60) % 2**32
        if seconds > 2**31 - 1:
            return NAN
        t -= p.tz_sign * seconds * 1000.0
    return time_clip(t)


def parse_date(text: str) -> float:
    """Date.parse: the time value of date text, NaN (an Invalid Date) when node makes no date
    of it."""
    r = _Reader(_tokens(u16(text)))
    p = _Parts()
    tok = _read_iso(r, p)
    if tok is None or not _read_loose(r, p, tok):
        return NAN
    return _time_value(p)
