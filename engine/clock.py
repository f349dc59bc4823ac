"""The one clock: real time by default; fixed or shifted for demos and tests.

PHANCAP_NOW (or --now) takes an ISO date/datetime ("2025-04-20", "2025-04-20T09:00+07:00")
or a shift from real time ("+30d", "-2h")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

# Việt Nam has used UTC+7 without daylight saving since 1975; deadlines are read in local days.
VIETNAM = timezone(timedelta(hours=7), "ICT")
_SHIFT = re.compile(r"^([+-])(\d+)([dhm])$")


class Clock:
    def __init__(self, fixed: datetime | None = None, shift: timedelta = timedelta(0)) -> None:
        self.fixed = fixed
        self.shift = shift

    @classmethod
    def parse(cls, spec: str | None) -> Clock:
        if not spec:
            return cls()
        spec = spec.strip()
        m = _SHIFT.match(spec)
        if m:
            amount = int(m.group(2)) * {"d": 86400, "h": 3600, "m": 60}[m.group(3)]
            return cls(shift=timedelta(seconds=amount if m.group(1) == "+" else -amount))
        try:
            parsed = datetime.fromisoformat(spec)
        except ValueError as exc:
            raise ValueError(f"PHANCAP_NOW/--now: {spec!r} is neither an ISO date/time nor a shift like +30d") from exc
        if len(spec) == 10:  # a bare date means the start of that local day
            parsed = datetime.combine(date.fromisoformat(spec), time(0), VIETNAM)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=VIETNAM)
        return cls(fixed=parsed)

    @classmethod
    def from_env(cls) -> Clock:
        """PHANCAP_NOW, read through the one Settings object (engine/settings.py)."""
        from phancap.engine.settings import Settings  # settings imports this module

        return Settings.from_env().clock()

    def now(self) -> datetime:
        base = self.fixed if self.fixed is not None else datetime.now(UTC)
        return (base + self.shift).astimezone(UTC)

    def today(self) -> date:
        """Today's date in Việt Nam: deadlines are whole local days."""
        return self.now().astimezone(VIETNAM).date()

    def describe(self) -> str:
        if self.fixed is not None:
            return f"fixed at {self.fixed.isoformat()}" + (f" shifted {self.shift}" if self.shift else "")
        return f"real time shifted {self.shift}" if self.shift else "real time"


def stamp(moment: datetime) -> str:
    """The canonical text form of an instant, as stored and hashed: UTC, microseconds, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
