"""Payload formats for webhook receivers: plain JSON, Slack, Microsoft Teams, Discord, PagerDuty Events v2.

Each format keeps within its platform's documented limits by cutting the check's output in the
middle (head and tail kept), never by dropping the message: a receiver that answers 400 for a
payload too large would turn one long output into a lost alert.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cronchecks.alerting.messages import (
    cut_middle,
    facts,
    fit,
    headline,
    is_clear,
    iso_time,
    report_text,
    shown_output,
    utf16_length,
)

# Slack: a section's text 3000 characters, a header 150, a field 2000; `text` beside blocks is
# the notification fallback (40 000 allowed, 4000 advised).
SLACK_SECTION, SLACK_HEADER, SLACK_FIELD, SLACK_TEXT = 3000, 150, 2000, 3000
# Teams: a message of about 28 KB in all; we stay under it with room for the envelope.
TEAMS_BYTES = 27_000
# Discord: content 2000, embed title 256, description 4096, field name 256, value 1024,
# 25 fields, footer 2048; all of an embed's text together 6000 (counted as JavaScript does).
DISCORD_CONTENT, DISCORD_TITLE, DISCORD_DESCRIPTION = 2000, 256, 4096
DISCORD_FIELD_NAME, DISCORD_FIELD_VALUE, DISCORD_FIELDS, DISCORD_TOTAL = 256, 1024, 25, 6000
# Our facts are short (names, times); capping them leaves the output most of the 6000.
DISCORD_FACT = 256
# PagerDuty Events v2: summary 1024 characters, dedup_key 255, a whole event 512 KB.
PAGERDUTY_SUMMARY, PAGERDUTY_DEDUP, PAGERDUTY_OUTPUT = 1024, 255, 16_000

PAGERDUTY_TRIGGER = frozenset({"problem", "escalation", "reminder", "flapping_start"})
PAGERDUTY_RESOLVE = frozenset({"recovery", "flapping_stop"})
PAGERDUTY_SEVERITY = {"CRITICAL": "critical", "WARNING": "warning", "UNKNOWN": "error", "OK": "info"}

_COLOURS = {"CRITICAL": 0xD0021B, "WARNING": 0xF5A623, "UNKNOWN": 0x9B59B6, "OK": 0x2EB886}
_SLACK_EMOJI = {"CRITICAL": ":red_circle:", "WARNING": ":large_yellow_circle:", "UNKNOWN": ":large_purple_circle:",
                "OK": ":large_green_circle:"}
_TEAMS_COLOUR = {"CRITICAL": "attention", "WARNING": "warning", "UNKNOWN": "accent", "OK": "good"}


class UnsupportedEvent(ValueError):
    """This format has no way to carry this event (a report to PagerDuty)."""


def render(payload_format: str, event: dict[str, Any], routing_key: str | None = None) -> dict[str, Any]:
    """The JSON body for one event in the given format."""
    if payload_format == "json":
        return dict(event)
    renderer = _RENDERERS.get(payload_format)
    if renderer is None:
        raise ValueError(f"unknown webhook format {payload_format!r}")
    if payload_format == "pagerduty":
        return renderer(event, routing_key)
    return renderer(event)


def rejected_in_body(payload_format: str, body: str) -> str | None:
    """A receiver that answers 2xx but says no in its body (Slack can): the reason, else None.

    Slack's incoming webhooks answer plain `ok`; an error is a short token (`invalid_token`,
    `channel_not_found`, `channel_is_archived`, `no_service`, ...), or `{"ok": false, "error": ...}`
    from Slack's API-style endpoints. Only such a token is returned: a body is never echoed
    whole, since a misbehaving receiver might echo the URL and its token.
    """
    if payload_format != "slack":
        return None
    text = body.strip()
    if not text or text == "ok":
        return None
    if text.startswith("{"):
        try:
            answer = json.loads(text)
        except ValueError:
            return None
        if isinstance(answer, dict) and answer.get("ok") is False:
            return slack_error_token(str(answer.get("error") or "")) or "error"
        return None
    return slack_error_token(text)


def slack_error_token(text: str) -> str | None:
    """`text` when it looks like one of Slack's error tokens (lowercase words joined by `_`)."""
    text = text.strip()
    if 0 < len(text) <= 64 and all(ch.islower() or ch == "_" or ch.isdigit() for ch in text) and text[0].isalpha():
        return text
    return None


# --- Slack: Block Kit ----------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as control characters (<!channel>, <url|label>).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_code(text: str) -> str:
    # A ``` inside the output would end the code block early.
    return _slack_escape(text.replace("```", "`\u200b``"))


def _slack_fit(text: str, limit: int) -> str:
    return _slack_escape(fit(text, limit, lambda part: len(_slack_escape(part))))


def _slack_fit_code(text: str, limit: int) -> str:
    body = fit(text, limit - 8, lambda part: len(_slack_code(part)))
    return f"```\n{_slack_code(body)}\n```"


def _slack(event: dict[str, Any]) -> dict[str, Any]:
    status = str(event.get("status") or "UNKNOWN")
    title = headline(event)
    if event.get("event") == "report":
        text = report_text(event)
        return {"text": _slack_fit(f"{title}\n{text}", SLACK_TEXT),
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": fit(title, SLACK_HEADER)}},
                           {"type": "section", "text": {"type": "mrkdwn", "text": _slack_fit_code(text,
                                                                                                  SLACK_SECTION)}}]}
    emoji = _SLACK_EMOJI["OK" if is_clear(event) else status] if status in _SLACK_EMOJI else ""
    summary = str(event.get("summary") or "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": fit(f"{emoji} {title}".strip(), SLACK_HEADER)}},
    ]
    if summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_fit(summary, SLACK_SECTION)}})
    fields = [{"type": "mrkdwn", "text": _slack_fit(f"*{fact.name}*\n{fact.value}", SLACK_FIELD)}
              for fact in facts(event)][:10]  # a section holds at most 10 fields
    blocks.append({"type": "section", "fields": fields})
    label, output = shown_output(event)
    if output.strip() and output.strip() != summary.strip():
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{label}*"}})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_fit_code(output, SLACK_SECTION)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"cronchecks · {_event_ref(event)}"}]})
    fallback = f"{title}: {summary}" if summary else title
    return {"text": _slack_fit(fallback, SLACK_TEXT), "blocks": blocks}


# --- Microsoft Teams: an Adaptive Card ------------------------------------------------------


def _teams(event: dict[str, Any]) -> dict[str, Any]:
    status = str(event.get("status") or "UNKNOWN")
    title = headline(event)
    if event.get("event") == "report":
        return _fit_bytes(lambda text: _teams_card([
            _teams_text(title, size="Large", weight="Bolder"),
            _teams_text(text, fontType="Monospace")]), report_text(event), TEAMS_BYTES)
    colour = _TEAMS_COLOUR["OK" if is_clear(event) else status] if status in _TEAMS_COLOUR else "default"
    summary = str(event.get("summary") or "")
    label, output = shown_output(event)
    show_output = bool(output.strip()) and output.strip() != summary.strip()

    def card(text: str) -> dict[str, Any]:
        body: list[dict[str, Any]] = [_teams_text(title, size="Large", weight="Bolder", color=colour)]
        if summary:
            body.append(_teams_text(summary))
        body.append({"type": "FactSet", "facts": [{"title": fact.name, "value": fact.value}
                                                  for fact in facts(event)]})
        if show_output:
            body.append(_teams_text(label, weight="Bolder", spacing="Medium"))
            body.append(_teams_text(text, fontType="Monospace", spacing="Small"))
        return _teams_card(body)

    return _fit_bytes(card, output, TEAMS_BYTES)


def _teams_text(text: str, **style: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _teams_card(body: list[dict[str, Any]]) -> dict[str, Any]:
    # The envelope both Teams' incoming webhooks and Power Automate's "post to a channel
    # when a webhook request is received" workflow accept.
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                    "version": "1.4", "msteams": {"width": "Full"}, "body": body},
    }]}


def _fit_bytes(build, text: str, limit: int) -> dict[str, Any]:
    """build(text) serialised (as requests sends it: ASCII-escaped JSON) within `limit` bytes."""
    empty = len(json.dumps(build("")))
    return build(fit(text, max(0, limit - empty), lambda part: len(json.dumps(part)) - 2))


# --- Discord: an embed -----------------------------------------------------------------------


def _discord_code(text: str) -> str:
    return text.replace("```", "`\u200b``")


def _discord(event: dict[str, Any]) -> dict[str, Any]:
    title = headline(event)
    # Nobody is pinged by what a check printed (`@everyone` in a log line).
    quiet: dict[str, list[str]] = {"parse": []}
    if event.get("event") == "report":
        text = fit(f"**{title}**\n{report_text(event)}", DISCORD_CONTENT, utf16_length)
        return {"username": "cronchecks", "content": text, "allowed_mentions": quiet}
    status = str(event.get("status") or "UNKNOWN")
    summary = fit(str(event.get("summary") or ""), 1500, utf16_length)
    label, output = shown_output(event)
    fields: list[dict[str, Any]] = [{"name": fit(fact.name, DISCORD_FIELD_NAME, utf16_length),
                                     "value": fit(fact.value, DISCORD_FACT, utf16_length) or "-", "inline": True}
                                    for fact in facts(event)][:DISCORD_FIELDS]
    footer = f"cronchecks · {_event_ref(event)}"
    title_text = fit(title, DISCORD_TITLE, utf16_length)
    used = utf16_length(title_text) + utf16_length(footer) + sum(
        utf16_length(field["name"]) + utf16_length(field["value"]) for field in fields)
    description = summary
    if output.strip() and output.strip() != summary.strip():
        prefix = f"{summary}\n\n**{label}**\n```\n" if summary else "```\n"
        room = min(DISCORD_DESCRIPTION, DISCORD_TOTAL - used) - utf16_length(prefix) - 4
        body = fit(output, max(0, room), lambda part: utf16_length(_discord_code(part)))
        description = f"{prefix}{_discord_code(body)}\n```"
    embed: dict[str, Any] = {"title": title_text, "color": _COLOURS["OK" if is_clear(event) else status]
                             if status in _COLOURS else 0x95A5A6,
                             "fields": fields, "footer": {"text": footer}}
    if description:
        embed["description"] = description
    if event.get("at") is not None:
        embed["timestamp"] = iso_time(event["at"])
    return {"username": "cronchecks", "embeds": [embed], "allowed_mentions": quiet}


# --- PagerDuty Events API v2 ------------------------------------------------------------------


def pagerduty_dedup_key(host: str, check: str) -> str:
    """`cronchecks/<host>/<check>`: the same for a trigger and its resolve, whichever run sends them."""
    key = f"cronchecks/{host}/{check}"
    if len(key) <= PAGERDUTY_DEDUP:
        return key
    import hashlib

    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:PAGERDUTY_DEDUP - 17]}~{digest}"


def _pagerduty(event: dict[str, Any], routing_key: str | None) -> dict[str, Any]:
    if event.get("event") != "alert":
        raise UnsupportedEvent(f"PagerDuty takes alerts, not {event.get('event')!r} events")
    if not routing_key:
        raise UnsupportedEvent("PagerDuty needs a routing key")
    kind = event.get("kind") or "problem"
    if kind not in PAGERDUTY_TRIGGER | PAGERDUTY_RESOLVE:
        raise UnsupportedEvent(f"PagerDuty takes problems and recoveries, not {kind!r} notices")
    dedup_key = pagerduty_dedup_key(str(event.get("host") or "?"), str(event.get("check") or "?"))
    if kind in PAGERDUTY_RESOLVE:
        # A resolve needs nothing but the keys: PagerDuty ignores a payload on it.
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    status = str(event.get("status") or "UNKNOWN")
    summary = str(event.get("summary") or "")
    title = headline(event)
    details: dict[str, Any] = {fact.name.lower().replace(" ", "_"): fact.value for fact in facts(event)}
    details["summary"] = summary
    if event.get("output"):
        details["output"] = cut_middle(str(event["output"]), PAGERDUTY_OUTPUT)
    if event.get("flap_percent") is not None:
        details["flap_percent"] = event["flap_percent"]
    details["event_id"] = event.get("id")
    payload: dict[str, Any] = {
        "summary": fit(f"{title}: {summary}" if summary else title, PAGERDUTY_SUMMARY),
        "source": str(event.get("host") or "?"),
        "severity": PAGERDUTY_SEVERITY.get(status, "error"),
        "component": str(event.get("check") or "?"),
        "group": "cronchecks",
        "class": kind,
        "custom_details": details,
    }
    if event.get("at") is not None:
        payload["timestamp"] = iso_time(event["at"])
    return {"routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup_key,
            "client": "cronchecks", "payload": payload}


def _event_ref(event: dict[str, Any]) -> str:
    return f"event {str(event.get('id') or '')[:8]}".strip()


# pagerduty's renderer also takes the routing key; render() passes it.
_RENDERERS: dict[str, Callable[..., dict[str, Any]]] = {
    "slack": _slack, "teams": _teams, "discord": _discord, "pagerduty": _pagerduty,
}
