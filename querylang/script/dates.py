"""Calendar arithmetic of JavaScript Dates, all in UTC (the server has no local timezone).

A Date is milliseconds since 1970-01-01T00:00:00Z; NaN is an Invalid Date. These helpers
take and return plain numbers, so :mod:`querylang.script.values` can print a Date without
this module needing the value rules.
"""

from __future__ import annotations

import math
import time

from querylang.errors import ScriptError
from querylang.model.jsvalues import JSDate

NAN = math.nan
INF = math.inf
_MAX_TIME = 8.64e15  # ms; JavaScript's Date range is ±100,000,000 days around 1970
MS_PER_DAY = 86_400_000


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """(year, month 1-12, day) of a day number; the inverse of days_from_civil."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def time_clip(t: float) -> float:
    """TimeClip: outside ±8.64e15 ms or not finite is an Invalid Date (NaN)."""
    if t != t or t in (INF, -INF) or abs(t) > _MAX_TIME:
        return NAN
    return float(int(t)) + 0.0



def make_time(nums: list[int | float]) -> float:
    """Date.UTC(y, m = 0, d = 1, h = 0, min = 0, s = 0, ms = 0) as a clipped time value."""
    if any(n != n or n in (INF, -INF) for n in nums):
        return NAN
    y, mo, d, h, mi, s, ms = nums + [0, 0, 1, 0, 0, 0, 0][len(nums) :]
    if 0 <= math.trunc(y) <= 99:
        y = math.trunc(y) + 1900
    return make_day_time(y, mo, d, h, mi, s, ms)


def set_time(d: JSDate, ms: float) -> None:
    """Change a Date in place, as JavaScript's setters do (JSDate is frozen for everyone
    else: only the script's own setters write to it)."""
    object.__setattr__(d, "ms", ms)


# V8 makes no day of a year beyond ±1,000,000 or a month beyond ±10,000,000 (as given, before
# the month carries into the year), even where the day would bring the date back in range.
_MAX_YEAR, _MAX_MONTH = 1_000_000, 10_000_000
_YEAR_SHIFT = 399_999  # V8 counts days from a year this far back (one before a 400-year cycle)
_CUMULATIVE_DAYS = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _c_div(a: int, b: int) -> int:
    """Integer division that truncates toward zero, as C++ divides."""
    q = abs(a) // b
    return q if a >= 0 else -q


def _shifted_days(y: int) -> int:
    t = y + _YEAR_SHIFT
    return 365 * t + _c_div(t, 4) - _c_div(t, 100) + _c_div(t, 400)


_DAYS_BEFORE_1970 = _shifted_days(1970)


def make_day_time(
    y: int | float, mo: int | float, d: int | float, h: int | float, mi: int | float,
    s: int | float, ms: int | float,
) -> float:  # fmt: skip
    """MakeDate(MakeDay(y, mo, d), MakeTime(h, mi, s, ms)) of finite fields, clipped."""
    return time_clip(make_date(y, mo, d, h, mi, s, ms))


def make_date(
    y: int | float, mo: int | float, d: int | float, h: int | float, mi: int | float,
    s: int | float, ms: int | float,
) -> float:  # fmt: skip
    """MakeDate(MakeDay(y, mo, d), MakeTime(h, mi, s, ms)) of finite fields, as V8 computes it:
    any field may overflow into the next, the day and time add up in doubles (rounded as
    JavaScript rounds them), and the year and month are bounded (above). V8's count of days
    truncates toward zero, which puts a year before -399,999 a day late; node gives that.
    Not clipped yet: date text subtracts its offset first."""
    if not (-_MAX_YEAR <= y <= _MAX_YEAR and -_MAX_MONTH <= mo <= _MAX_MONTH):
        return NAN
    year, month = math.trunc(y) + math.trunc(mo) // 12, math.trunc(mo) % 12
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    first = _shifted_days(year) - _DAYS_BEFORE_1970 + _CUMULATIVE_DAYS[month]
    day = float(first + (leap and month >= 2) - 1) + float(math.trunc(d))
    time = (
        float(math.trunc(h)) * 3_600_000.0
        + float(math.trunc(mi)) * 60_000.0
        + float(math.trunc(s)) * 1000.0
        + float(math.trunc(ms))
    )
    return day * MS_PER_DAY + time


def fields(d: JSDate) -> tuple[int, int, int, int, int, int, int, int]:
    """(year, month 0-11, day, hours, minutes, seconds, ms, weekday) of a valid date, UTC."""
    days, rem = divmod(int(d.ms), MS_PER_DAY)
    y, m, day = civil_from_days(days)
    h, rem = divmod(rem, 3_600_000)
    mi, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return y, m - 1, day, h, mi, s, ms, (days + 4) % 7


def iso(d: JSDate) -> str:
    """toISOString; an Invalid Date throws RangeError in JavaScript."""
    if not d.valid:
        raise ScriptError("Invalid time value (toISOString of an Invalid Date)")
    y, mo, day, h, mi, s, ms, _ = fields(d)
    year = f"{y:04d}" if 0 <= y <= 9999 else f"{'+' if y > 0 else '-'}{abs(y):06d}"
    return f"{year}-{mo + 1:02d}-{day:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z"


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_to_string(d: JSDate) -> str:
    """Date.prototype.toString as a UTC machine prints it (what string concatenation shows)."""
    if not d.valid:
        return "Invalid Date"
    y, mo, day, h, mi, s, _, wd = fields(d)
    year = f"{'-' if y < 0 else ''}{abs(y):04d}"
    return (
        f"{_DAYS[wd]} {_MONTHS[mo]} {day:02d} {year} {h:02d}:{mi:02d}:{s:02d} "
        "GMT+0000 (Coordinated Universal Time)"
    )


def utc_string(d: JSDate) -> str:
    if not d.valid:
        return "Invalid Date"
    y, mo, day, h, mi, s, _, wd = fields(d)
    year = f"{'-' if y < 0 else ''}{abs(y):04d}"
    return f"{_DAYS[wd]}, {day:02d} {_MONTHS[mo]} {year} {h:02d}:{mi:02d}:{s:02d} GMT"


def now() -> JSDate:
    return JSDate(float(time.time_ns() // 1_000_000))


