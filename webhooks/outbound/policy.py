"""What an attempt's outcome means, and when to try again. Pure functions and a table.

Status code rules (Standard Webhooks), as data:

====================  =======================================================
2xx                   succeeded
410 Gone              the endpoint is gone: disable the subscription, cancel its pending deliveries
429, 502, 503, 504    slow down: retry after ``Retry-After`` when given, else on the schedule
anything else         failed (3xx included: redirects are never followed): retry on the schedule
no response           failed (timeout, refused, blocked address): retry on the schedule
====================  =======================================================

After the last delay of the schedule the delivery is dead (replayable).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from hub.workspace.config import DEFAULT_RETRY_SCHEDULE, WebhooksConfig

TIMEOUT = 15.0  # seconds for a whole attempt: connect, send, answer
MAX_RETRY_AFTER = 86400.0  # a Retry-After longer than a day is read as a day


class Verdict(enum.Enum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    SLOW_DOWN = "slow_down"
    GONE = "gone"


SLOW_DOWN_CODES = frozenset({429, 502, 503, 504})


def verdict(status_code: int | None) -> Verdict:
    """The rule for a status code (None: no response at all)."""
    if status_code is None:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.SUCCEEDED
    if status_code == 410:
        return Verdict.GONE
    if status_code in SLOW_DOWN_CODES:
        return Verdict.SLOW_DOWN
    return Verdict.RETRY


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date), capped at a day; None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried, limited and given up on (``webhooks:`` in hub.yaml)."""

    retry_schedule: tuple[float, ...] = tuple(float(s) for s in DEFAULT_RETRY_SCHEDULE)
    concurrency: int = 4
    rotation_overlap: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(days=3)
    timeout: float = TIMEOUT
    jitter: float = 0.1  # each delay is spread +-10% so a burst of failures does not retry as a burst
    lease: timedelta = timedelta(seconds=60)  # longer than an attempt: only a dead worker's claims expire

    @classmethod
    def from_config(cls, config: WebhooksConfig) -> DeliveryPolicy:
        return cls(
            retry_schedule=tuple(float(s) for s in config.retry_schedule),
            concurrency=config.concurrency,
            rotation_overlap=timedelta(seconds=config.rotation_overlap),
            disable_after=timedelta(seconds=config.disable_after),
        )

    def retry_delay(
        self, attempts: int, *, retry_after: float | None = None, rand: Callable[[float, float], float] | None = None
    ) -> float | None:
        """Seconds until the next attempt after ``attempts`` failed ones; None once the schedule is used up."""
        return retry_delay(self.retry_schedule, attempts, jitter=self.jitter, retry_after=retry_after, rand=rand)


def retry_delay(
    schedule: Sequence[float],
    attempts: int,
    *,
    jitter: float = 0.1,
    retry_after: float | None = None,
    rand: Callable[[float, float], float] | None = None,
) -> float | None:
    if attempts > len(schedule):
        return None
    if retry_after is not None:
        return retry_after  # the receiver said when; no jitter on top
    base = schedule[max(attempts, 1) - 1]
    uniform = rand or random.uniform
    return max(0.0, base * uniform(1 - jitter, 1 + jitter))
