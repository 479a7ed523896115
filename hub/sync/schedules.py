"""Schedules as hub.yaml writes them (``every 2m``, or a five-field cron line) turned into APScheduler triggers.

Pure functions: the scheduler asks them *when*; what happens then is only an enqueue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hub.workspace.loader import Workspace

_EVERY = re.compile(r"every\s+([1-9][0-9]*)\s*(s|m|h|d)", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ScheduledSync:
    """``connectors.<connector>.entities.<entity>.schedule``."""

    connector: str
    entity: str
    schedule: str

    @property
    def job_id(self) -> str:
        return f"sync:{self.connector}:{self.entity}"


def interval_of(schedule: str) -> timedelta | None:
    """``every 2m`` -> 2 minutes; None for a cron line."""
    match = _EVERY.fullmatch(schedule.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


def trigger_for(schedule: str, timezone: tzinfo) -> BaseTrigger:
    """The trigger for a schedule; ValueError (naming the bad field) for an impossible cron line."""
    interval = interval_of(schedule)
    if interval is not None:
        return IntervalTrigger(seconds=int(interval.total_seconds()), timezone=timezone)
    return cron_trigger(schedule, timezone)


def cron_trigger(line: str, timezone: tzinfo) -> BaseTrigger:
    """A five-field cron line (minute hour day month weekday) as cron means it.

    Not ``CronTrigger.from_crontab``: APScheduler 3 numbers weekdays from Monday = 0,
    so it would read the usual ``1-5`` (Monday to Friday) as Tuesday to Saturday.
    Numeric weekdays are spelled out as names first (0 and 7 are Sunday).
    """
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"a cron line has 5 fields (minute hour day month weekday), not {len(fields)}")
    minute, hour, day, month, weekday = (f if f != "?" else "*" for f in fields)  # ?: Quartz's "any"
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday),
                       timezone=timezone)


def _weekdays(field: str) -> str:
    return ",".join(_weekday_part(part) for part in field.split(","))


def _weekday_part(part: str) -> str:
    body, _, step_text = part.partition("/")
    if not re.fullmatch(r"\*|\d+(-\d+)?", body) or (step_text and not step_text.isdigit()):
        return part  # names (mon-fri): APScheduler reads them as cron does
    if body == "*":
        if not step_text:
            return part
        first, last = 0, 6
    else:
        start, _, end = body.partition("-")
        first = int(start)
        last = int(end) if end else (6 if step_text else first)
    if not (0 <= first <= 7 and 0 <= last <= 7) or first > last:
        raise ValueError(f"weekday {part!r}: use 0-7 (0 and 7 are Sunday) or names such as mon-fri")
    return ",".join(dict.fromkeys(_DAY_NAMES[n % 7] for n in range(first, last + 1, int(step_text or 1))))


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def scheduled_syncs(workspace: Workspace) -> list[ScheduledSync]:
    """Every connector entity with a schedule, in hub.yaml's order."""
    return [
        ScheduledSync(name, entity, sync.schedule)
        for name, connector in workspace.config.connectors.items()
        for entity, sync in connector.entities.items()
        if sync.schedule
    ]
