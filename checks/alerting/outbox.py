"""Delivering queued messages: each channel in order, retried with backoff inside a time budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from cronchecks.alerting.channels.base import Channel, DeliveryError
from cronchecks.alerting.store import OutboxEntry, Store

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0


def describe_event(event: dict) -> str:
    kind = event.get("kind") or event.get("event", "message")
    return f"{kind} of {event.get('check', '?')}"


def flush(store: Store, channels: Sequence[Channel], *, budget: float, expiry: float,
          say: Callable[[str], None], now: Callable[[], float] = time.time) -> int:
    """Send what waits in the outbox for these channels; returns how many were delivered.

    Entries that have had their chance (Store.expire) are dropped first, each with a line.
    Every channel works through its own queue, oldest first, in its own thread, within the
    same budget; an entry that still fails when the budget runs out stays for the next run,
    and so do the entries behind it (so that messages arrive in order). A Retry-After is
    honoured up to half the expiry: a server asking for 2099 does not strand the queue.
    """
    for entry in store.expire(expiry, now()):
        say(f"outbox: dropped the {describe_event(entry.event)} after {entry.attempts} attempt(s) over more than "
            f"the outbox expiry")
    by_fingerprint = {channel.fingerprint: channel for channel in channels}
    if not by_fingerprint:
        return 0
    entries = store.claim(list(by_fingerprint), now(), lease=budget + 30)
    queues: dict[str, list[OutboxEntry]] = {}
    for entry in entries:
        queues.setdefault(entry.channel, []).append(entry)
    deadline = time.monotonic() + budget
    delivered = [0]
    lock = threading.Lock()

    def work(channel: Channel, queue: list[OutboxEntry]) -> None:
        for position, entry in enumerate(queue):
            outcome = _deliver(channel, entry, deadline)
            if outcome is None:
                with lock:
                    store.delivered(entry.id)
                    delivered[0] += 1
                continue
            error = outcome
            if not error.retryable:
                with lock:
                    store.delivered(entry.id)  # it will never go through: do not block the queue
                say(f"{channel.shown}: {describe_event(entry.event)} dropped: {error} (permanent, not retried)")
                continue
            wait = min(error.retry_after or 0.0, expiry / 2)
            with lock:
                at = now()
                store.failed(entry.id, str(error), next_attempt=at + wait, now=at)
                for waiting in queue[position + 1:]:
                    store.released(waiting.id)
            say(f"{channel.shown}: {describe_event(entry.event)} not delivered: {error}; "
                f"kept in the outbox for the next run")
            return

    threads = [threading.Thread(target=work, args=(by_fingerprint[fp], queue), daemon=True)
               for fp, queue in queues.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    return delivered[0]


def _deliver(channel: Channel, entry: OutboxEntry, deadline: float) -> DeliveryError | None:
    """Try one entry until it goes through, fails for good, or the budget is spent."""
    backoff = FIRST_BACKOFF
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return DeliveryError("no time left in --notify-timeout", retryable=True)
        try:
            channel.send(entry.event, timeout=remaining)
            return None
        except DeliveryError as error:
            if not error.retryable:
                return error
            wait = error.retry_after if error.retry_after is not None else backoff
            if time.monotonic() + wait >= deadline:
                return error
            time.sleep(wait)
            backoff = min(backoff * 2, MAX_BACKOFF)
        except Exception as error:  # a bug in a channel must not lose the message
            return DeliveryError(f"{type(error).__name__}: {error}", retryable=True)


# --- `cronchecks outbox`: what waits, sending it now, dropping it ---------------------------------------


def waiting(store: Store) -> list[dict]:
    """Every entry of the outbox, oldest first, as `outbox list` shows it (the event's secret-free fields)."""
    import json

    rows = store.db.execute("SELECT id, created, channel, event, attempts, next_attempt, last_error FROM outbox "
                            "ORDER BY id").fetchall()
    found = []
    for entry_id, created, channel, text, attempts, next_attempt, last_error in rows:
        event = json.loads(text)
        found.append({"id": entry_id, "created": created, "channel": channel, "event": event.get("event"),
                      "kind": event.get("kind"), "check": event.get("check"), "status": event.get("status"),
                      "checks": [a.get("check") for a in event.get("alerts", [])] or None,
                      "attempts": attempts, "next_attempt": next_attempt or None, "last_error": last_error})
    return found


def purge(store: Store, channels: Sequence[str] | None, older_than: float | None, now: float) -> int:
    """Drop the entries of these channel fingerprints (None: all) created before now - older_than; how many."""
    condition: list[str] = []
    arguments: list[object] = []
    if channels is not None:
        condition.append(f"channel IN ({', '.join('?' * len(channels))})")
        arguments += list(channels)
    if older_than is not None:
        condition.append("created < ?")
        arguments.append(now - older_than)
    where = f" WHERE {' AND '.join(condition)}" if condition else ""
    with store.transaction():
        return store.db.execute(f"DELETE FROM outbox{where}", arguments).rowcount


def retry_now(store: Store, channels: Sequence[str]) -> None:
    """Make these channels' entries due now (a Retry-After or a backoff no longer holds them back)."""
    with store.transaction():
        store.db.executemany("UPDATE outbox SET next_attempt = 0 WHERE channel = ?", [(c,) for c in channels])
