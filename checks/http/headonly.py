"""check-http's --no-body: each final answer is taken at its headers, and its connection closed unread.

The house client reads a body up to --max-body. A limit of 0 still waits for the first read to
fill (64 KiB, or the whole deadline on a slow stream), so the session gets a response hook
instead: the answer is marked as read with an empty body, and its connection is closed rather
than pooled (a pooled connection with a body still on it would hand that body to the next
request). The peer's certificate is read before that, as for any answer.
"""

from __future__ import annotations

from typing import Any


def stop_at_headers(session: Any, follow: bool) -> None:
    """Make every final answer of `session` end at its headers (a redirect being followed is left to the client)."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if follow and response.is_redirect:
            return response  # the client drains a little of it and goes on to the next hop
        # requests' own marks for a body already read: iter_content then yields the empty body
        response._content = b""
        response._content_consumed = True
        raw = response.raw
        release = raw.release_conn

        def close_then_release() -> None:
            raw.close()  # the connection is shut with the body unread; the pool makes a new one if asked again
            release()

        raw.release_conn = close_then_release
        return response

    session.hooks["response"].append(hook)
