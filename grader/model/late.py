"""A unit's late policy, and what a submission's lateness costs it.

Declared per unit in ``course.yaml`` (``late:``): the due date, an optional
last accepted time (``late_due``), a grace period, and a penalty, either a
percentage per started hour or day (with a cap) or a ladder of steps. Pure
functions of the policy, the submission time and the raw score; the reports
keep the raw score and the penalty apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?"
                       r"\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$")


def parse_duration(text: str | int | float) -> timedelta:
    """``"1d"``, ``"12h"``, ``"15m"``, ``"90s"``, ``"1d 6h"`` (or a number of seconds) as a timedelta."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=text)
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: write e.g. 1d, 12h, 15m, 90s or 1d 6h")
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


_FRACTION = re.compile(r"(\.\d+)(?=[+-]\d\d:?\d\d$|$)")
# A submission time is usable between these (UTC): every sum, difference and change of zone the late policy and
# the reports make on it stays within the years datetime can hold (year 1 at +14:00 cannot be written in UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
MAX_TIME_TEXT = 64  # characters of a written time: ISO 8601 with nanoseconds and an offset needs 35


def usable(moment: datetime) -> datetime:
    """``moment`` if it is a usable submission time (aware, from ``EARLIEST`` to before ``LATEST``), else a
    ``ValueError`` saying it is none."""
    try:
        inside = EARLIEST <= moment < LATEST
    except (OverflowError, TypeError):
        inside = False
    if not inside:
        raise ValueError(f"time {moment.isoformat()[:40]} is no usable time (not between 1970 and 9000)")
    return moment


def parse_time(text: str, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time (``2026-12-01T23:59:00+08:00``, ``...Z``, any number of fraction digits) as an aware
    datetime; a time without an offset is read in ``zone``, and refused when there is none; one that is no
    usable time (``usable``) or longer than ``MAX_TIME_TEXT`` characters is refused too."""
    if len(str(text)) > MAX_TIME_TEXT:
        raise ValueError(f"{str(text)[:40]!r}... is longer than {MAX_TIME_TEXT} characters: not a time")
    cleaned = str(text).strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    cleaned = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], cleaned, count=1)  # 3.10 wants 3 or 6 digits
    try:
        moment = datetime.fromisoformat(cleaned.replace(" ", "T", 1) if "T" not in cleaned else cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2026-12-01T23:59:00+08:00)") from None
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"{text!r} has no time zone: add an offset (e.g. +08:00) or the policy's `timezone`")
        moment = moment.replace(tzinfo=zone)
    try:
        return usable(moment)
    except ValueError:
        raise ValueError(f"{text!r} is no usable time (not between 1970 and 9000)") from None


def zone_named(name: str) -> tzinfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``), or ``UTC``."""
    if name.upper() == "UTC":
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone this machine knows (e.g. Europe/Berlin, Asia/Shanghai, "
                         "UTC)") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Step(_Strict):
    """One step of a ladder: late by at most ``within``, ``percent`` off."""

    within: str
    percent: float = Field(ge=0, le=100)

    @field_validator("within", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        parse_duration(value)  # refused here, with the reason, when it is not one
        return str(value)

    @field_validator("percent", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def limit(self) -> timedelta:
        return parse_duration(self.within)


class Penalty(_Strict):
    """What lateness costs: ``percent`` per started ``per`` (hour or day) up to ``cap``, or a ``ladder``.

    The percentage is of the submission's raw score (``of: score``) or of the
    unit's points (``of: max_score``); a score never goes below 0.
    """

    per: Literal["hour", "day"] | None = None
    percent: float | None = Field(default=None, ge=0, le=100)
    cap: float = Field(default=100, ge=0, le=100)
    ladder: list[Step] | None = None
    of: Literal["score", "max_score"] = "score"

    @field_validator("percent", "cap", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Penalty:
        if self.ladder is not None:
            if self.per is not None or self.percent is not None:
                raise ValueError("a penalty is either `per` and `percent`, or a `ladder`, not both")
            if not self.ladder:
                raise ValueError("a ladder needs at least one step")
            limits = [step.limit for step in self.ladder]
            if limits != sorted(limits) or len(set(limits)) != len(limits):
                raise ValueError("a ladder's steps must be in increasing order of `within`")
            percents = [step.percent for step in self.ladder]
            if percents != sorted(percents):
                raise ValueError("a ladder's percentages must not decrease")
        elif self.per is None or self.percent is None:
            raise ValueError("a penalty needs `per` (hour or day) and `percent`, or a `ladder`")
        return self

    def percent_for(self, late_by: timedelta) -> float:
        """The percentage taken for a submission ``late_by`` after the due date (and the grace period)."""
        if late_by <= timedelta(0):
            return 0.0
        if self.ladder is not None:
            for step in self.ladder:
                if late_by <= step.limit:
                    return step.percent
            return self.ladder[-1].percent  # later than the last step: its percentage (late_due refuses)
        assert self.per is not None and self.percent is not None
        started = math.ceil(late_by / timedelta(hours=1 if self.per == "hour" else 24))
        return min(self.cap, started * self.percent)


class LatePolicy(_Strict):
    """When a unit is due and what lateness costs (``late:`` of a unit in ``course.yaml``)."""

    timezone: str | None = None  # for times written without an offset, and for showing them
    due: datetime
    late_due: datetime | None = None  # after this, a submission scores 0
    grace: str = "0s"  # late by at most this: no penalty
    penalty: Penalty

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone_named(value)
        return value

    @field_validator("grace", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        parse_duration(value)
        return str(value)

    @field_validator("due", "late_due", mode="before")
    @classmethod
    def _time(cls, value: Any, info: ValidationInfo) -> Any:
        name = (info.data or {}).get("timezone")
        zone = zone_named(name) if name else None
        if isinstance(value, str):
            return parse_time(value, zone)
        if isinstance(value, datetime) and value.tzinfo is None:
            if zone is None:
                raise ValueError("this time has no time zone: add an offset (e.g. +08:00) or the policy's `timezone`")
            return usable(value.replace(tzinfo=zone))
        if isinstance(value, date) and not isinstance(value, datetime):
            raise ValueError("give the time of day too, e.g. 2026-12-01T23:59:00+08:00")
        return usable(value) if isinstance(value, datetime) else value

    @model_validator(mode="after")
    def _order(self) -> LatePolicy:
        if self.late_due is not None and self.late_due <= self.due:
            raise ValueError("`late_due` must come after `due`")
        return self

    @property
    def zone(self) -> tzinfo:
        return zone_named(self.timezone) if self.timezone else (self.due.tzinfo or timezone.utc)

    def read_time(self, text: str) -> datetime:
        """A submission time, as written in a times file or in Gradescope's metadata."""
        return parse_time(text, zone_named(self.timezone) if self.timezone else None)


@dataclass(frozen=True)
class Lateness:
    """What the policy made of one submission time: how late, the percentage, the points taken."""

    submitted_at: datetime
    due: datetime
    late_by: timedelta  # from the due date; zero or less when on time
    percent: float
    penalty: float  # points taken from the raw score
    raw_score: float
    refused: bool = False  # after the last accepted time: the score is 0
    in_grace: bool = False  # late, but within the grace period: no penalty
    grace: timedelta = timedelta(0)
    late_due: datetime | None = None
    zone: tzinfo = timezone.utc  # where the times are shown

    @property
    def score(self) -> float:
        return round(max(0.0, self.raw_score - self.penalty), 6)

    @property
    def late(self) -> bool:
        return self.late_by > timedelta(0)

    def as_data(self) -> dict[str, Any]:
        """For the reports (``extra_data.late``)."""
        return {"submitted_at": self.submitted_at.isoformat(), "due": self.due.isoformat(),
                "late_by_seconds": max(0, round(self.late_by.total_seconds())), "percent": self.percent,
                "penalty": self.penalty, "raw_score": self.raw_score, "refused": self.refused}


def assess(policy: LatePolicy, submitted_at: datetime, raw_score: float, max_score: float) -> Lateness:
    """The lateness of a submission made at ``submitted_at`` that earned ``raw_score`` of ``max_score``."""
    late_by = submitted_at - policy.due
    grace = parse_duration(policy.grace)
    if policy.late_due is not None and submitted_at > policy.late_due:
        return Lateness(submitted_at, policy.due, late_by, 100.0, round(raw_score, 6), raw_score, refused=True,
                        grace=grace, late_due=policy.late_due, zone=policy.zone)
    in_grace = timedelta(0) < late_by <= grace
    percent = 0.0 if late_by <= grace else policy.penalty.percent_for(late_by)
    base = raw_score if policy.penalty.of == "score" else max_score
    penalty = round(min(raw_score, base * percent / 100), 6)
    return Lateness(submitted_at, policy.due, late_by, percent, penalty, raw_score, in_grace=in_grace, grace=grace,
                    late_due=policy.late_due, zone=policy.zone)


def describe_duration(span: timedelta, lang: str = "en") -> str:
    """A lateness as people say it: its two largest units (``1 day 3 hours``, ``40 minutes``; ``1 天 3 小时``)."""
    seconds = max(0, round(span.total_seconds()))
    parts = [(seconds // 86400, "day", "天"), (seconds % 86400 // 3600, "hour", "小时"),
             (seconds % 3600 // 60, "minute", "分钟"), (seconds % 60, "second", "秒")]
    shown = [(n, en, zh) for n, en, zh in parts if n][:2] or [(0, "second", "秒")]
    if lang == "zh":
        return " ".join(f"{n} {zh}" for n, _, zh in shown)
    return " ".join(f"{n} {en}{'' if n == 1 else 's'}" for n, en, _ in shown)


def describe_time(moment: datetime, zone: tzinfo) -> str:
    """``2026-12-01 23:59 UTC+08:00``: a time as shown to students, in the policy's time zone."""
    local = moment.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local:%Y-%m-%d %H:%M} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
