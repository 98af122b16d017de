"""Notification channels against real loopback peers: webhook receivers in every format, DogStatsD over UDP,
healthchecks-style pings; what is cut to fit, what is retried, and that no secret shows."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.alerting.channels.base import DeliveryError, fingerprint
from cronchecks.alerting.channels.dogstatsd import (
    DogStatsdChannel,
    escape_message,
    service_check_datagram,
    service_check_name,
)
from cronchecks.alerting.channels.options import ChannelOptions, build_channels
from cronchecks.alerting.channels.ping import DEFAULT_BODY_LIMIT, Pinger, tail_bytes
from cronchecks.alerting.channels.webhook import WebhookChannel
from cronchecks.alerting.channels.webhook_formats import pagerduty_dedup_key, rejected_in_body, render
from cronchecks.alerting.messages import cut_middle, fit, utf16_length
from cronchecks.core.errors import UsageError
from tests.alerting_fixtures import UDPReceiver, alert, run_event
from tests.conftest import Reply

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
TOKEN = "T000/B000/XXXXsecretXXXX"
LONG = "first line of a long output\n" + "".join(f"line {n}: something went wrong\n" for n in range(20000)) + \
    "the last line says why"


def hook(server, path: str = f"/services/{TOKEN}", reply: Reply | None = None) -> str:
    server.routes[path] = reply or Reply(200, "ok")
    return server.url + path


def posted(server) -> dict:
    return json.loads(server.requests[-1]["body"])


# --- the text helpers ---------------------------------------------------------------------


@given(st.text(max_size=400), st.integers(min_value=0, max_value=500))
def test_cut_middle_keeps_within_the_limit_with_head_and_tail(text, limit):
    cut = cut_middle(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
        return
    marker = re.search(r"\n\[\.\.\. (\d+) characters cut \.\.\.\]\n", cut)
    if marker is None:  # too small for a marker: a plain head
        assert cut == text[:limit]
        return
    head, tail = cut[:marker.start()], cut[marker.end():]
    assert text.startswith(head) and text.endswith(tail)
    assert int(marker.group(1)) == len(text) - len(head) - len(tail)
    assert abs(len(head) - len(tail)) <= 1


@given(st.text(max_size=300), st.integers(min_value=0, max_value=400))
def test_fit_honours_any_measure(text, limit):
    for measure in (lambda part: len(part.encode()), utf16_length, lambda part: len(json.dumps(part)) - 2):
        assert measure(fit(text, limit, measure)) <= limit


@given(st.text(max_size=300), st.integers(min_value=0, max_value=400))
def test_tail_bytes_is_a_whole_character_suffix_within_the_limit(text, limit):
    data = text.encode("utf-8", "replace")
    tail = tail_bytes(text, limit)
    assert len(tail) <= limit and data.endswith(tail)
    tail.decode("utf-8")  # starts on a character boundary
    assert len(data) - len(tail) <= max(0, len(data) - limit) + 3


@given(st.text(max_size=200))
def test_a_dogstatsd_message_cannot_break_the_datagram(summary):
    datagram = service_check_datagram(run_event(summary=summary, check="a|b\nc", host="h|1\n")).decode()
    assert "\n" not in datagram and "\r" not in datagram
    head, _sep, message = datagram.partition("|m:")
    assert head.count("|") == 5  # _sc|name|status|d:|h:|#tags
    assert "|" not in message and "m:" not in message.replace("m\\:", "")


# --- webhooks: payload shapes ---------------------------------------------------------------


def test_slack_blocks_with_a_text_fallback(receiver):
    url = hook(receiver)
    event = alert(summary="disk <full> & @channel")
    WebhookChannel(url, "slack").send(event, timeout=5)
    body = posted(receiver)
    assert body["text"] == "CRITICAL: backup on web1: disk &lt;full&gt; &amp; @channel"
    header, summary, facts, _label, output, context = body["blocks"]
    assert header["type"] == "header" and header["text"]["text"] == ":red_circle: CRITICAL: backup on web1"
    assert summary["text"] == {"type": "mrkdwn", "text": "disk &lt;full&gt; &amp; @channel"}
    assert {"type": "mrkdwn", "text": "*Host*\nweb1"} in facts["fields"]
    assert output["text"]["text"].startswith("```\nBACKUP CRITICAL") and output["text"]["text"].endswith("```")
    assert context["type"] == "context" and event["id"][:8] in context["elements"][0]["text"]


def test_teams_adaptive_card_in_the_message_envelope(receiver):
    WebhookChannel(hook(receiver, "/workflows/abc"), "teams").send(
        alert("recovery", problem_output="BACKUP CRITICAL - /srv is full\ndisk"), timeout=5)
    body = posted(receiver)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, _summary, facts, label, output = card["body"]
    assert title["text"] == "RECOVERY: backup on web1 is OK after 1h 05m" and title["color"] == "good"
    assert {"title": "Lasted", "value": "1h 05m"} in facts["facts"]
    assert label["text"] == "Output when it failed" and output["fontType"] == "Monospace"
    assert output["text"] == "BACKUP CRITICAL - /srv is full\ndisk"


def test_discord_embed_that_pings_nobody(receiver):
    url = hook(receiver, "/api/webhooks/123/tok", Reply(204))
    WebhookChannel(url, "discord").send(alert(output="@everyone look\n```oops```"), timeout=5)
    body = posted(receiver)
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["title"] == "CRITICAL: backup on web1" and embed["color"] == 0xD0021B
    assert embed["timestamp"].endswith("Z")
    assert embed["description"].count("```") == 2  # the output's own ``` cannot end the block
    assert {"name": "Consecutive failures", "value": "3", "inline": True} in embed["fields"]


@pytest.mark.parametrize("kind, status, action, severity", [
    ("problem", "CRITICAL", "trigger", "critical"),
    ("problem", "WARNING", "trigger", "warning"),
    ("problem", "UNKNOWN", "trigger", "error"),
    ("escalation", "CRITICAL", "trigger", "critical"),
    ("reminder", "WARNING", "trigger", "warning"),
    ("flapping_start", "CRITICAL", "trigger", "critical"),
    ("recovery", "OK", "resolve", None),
    ("flapping_stop", "OK", "resolve", None),
])
def test_pagerduty_events_v2_trigger_and_resolve(receiver, kind, status, action, severity):
    url = hook(receiver, "/v2/enqueue", Reply(202, {"status": "success", "dedup_key": "x"}))
    WebhookChannel(url, "pagerduty", routing_key=ROUTING_KEY).send(alert(kind, status=status), timeout=5)
    body = posted(receiver)
    assert body["routing_key"] == ROUTING_KEY and body["event_action"] == action
    assert body["dedup_key"] == "cronchecks/web1/backup"
    if action == "trigger":
        payload = body["payload"]
        assert payload["severity"] == severity and payload["source"] == "web1"
        assert payload["component"] == "backup" and payload["class"] == kind and payload["group"] == "cronchecks"
        assert payload["summary"].startswith(f"{status}" if kind == "problem" else "")
        assert payload["custom_details"]["output"].startswith("BACKUP CRITICAL")
    else:
        assert set(body) == {"routing_key", "event_action", "dedup_key"}


def test_pagerduty_resolve_matches_its_trigger_even_from_another_run(receiver):
    url = hook(receiver, "/v2/enqueue", Reply(202, {"status": "success"}))
    WebhookChannel(url, "pagerduty", routing_key=ROUTING_KEY).send(alert(), timeout=5)
    later = WebhookChannel(url, "pagerduty", routing_key=ROUTING_KEY)  # a new process, the same settings
    later.send(alert("recovery", id=str(uuid.uuid4())), timeout=5)
    trigger, resolve = (json.loads(request["body"]) for request in receiver.requests)
    assert (trigger["routing_key"], trigger["dedup_key"]) == (resolve["routing_key"], resolve["dedup_key"])
    assert len(pagerduty_dedup_key("h" * 300, "c")) == 255  # PagerDuty's limit, still unique per check


def test_json_is_the_event_itself(receiver):
    event = alert()
    WebhookChannel(hook(receiver, "/hook"), "json").send(event, timeout=5)
    assert posted(receiver) == event


# --- webhooks: limits ------------------------------------------------------------------------


def test_slack_within_its_limits_keeping_head_and_tail():
    body = render("slack", alert(output=LONG, summary="S" * 5000))
    for block in body["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
    assert len(body["text"]) <= 3000
    output = body["blocks"][-2]["text"]["text"]
    assert "first line of a long output" in output and "the last line says why" in output
    assert "characters cut" in output


def test_teams_within_28_kb():
    body = render("teams", alert(output=LONG + "é€😀" * 3000))
    size = len(json.dumps(body))  # as requests sends it (ASCII-escaped)
    assert 20_000 < size <= 28_000
    output = body["attachments"][0]["content"]["body"][-1]["text"]
    assert output.startswith("first line of a long output") and output.endswith("😀")


def test_discord_within_its_limits():
    body = render("discord", alert(output=LONG + "😀" * 5000, summary="S" * 3000, check="c" * 400))
    [embed] = body["embeds"]
    assert utf16_length(embed["title"]) <= 256 and utf16_length(embed["description"]) <= 4096
    total = utf16_length(embed["title"]) + utf16_length(embed["description"]) + \
        utf16_length(embed["footer"]["text"]) + sum(utf16_length(f["name"]) + utf16_length(f["value"])
                                                    for f in embed["fields"])
    assert total <= 6000 and len(embed["fields"]) <= 25
    assert all(utf16_length(field["value"]) <= 1024 for field in embed["fields"])
    report = render("discord", {"event": "report", "text": LONG})
    assert utf16_length(report["content"]) <= 2000


def test_pagerduty_summary_within_1024():
    body = render("pagerduty", alert(summary="S" * 5000, output=LONG), routing_key=ROUTING_KEY)
    assert len(body["payload"]["summary"]) <= 1024
    assert len(json.dumps(body)) < 512 * 1024
    assert body["payload"]["custom_details"]["output"].endswith("the last line says why")


# --- webhooks: reports -------------------------------------------------------------------------


@pytest.mark.parametrize("payload_format", ["slack", "teams", "discord", "json"])
def test_a_report_is_a_plain_message(receiver, payload_format):
    report = {"event": "report", "id": "r1", "title": "cronchecks daily report", "text": "backup  99.5% up"}
    channel = WebhookChannel(hook(receiver, "/r"), payload_format)
    assert channel.accepts(report)
    channel.send(report, timeout=5)
    assert "backup  99.5% up" in json.dumps(posted(receiver))


def test_pagerduty_takes_no_reports_runs_or_remediation_notices():
    channel = WebhookChannel("https://events.pagerduty.com/v2/enqueue", "pagerduty", routing_key=ROUTING_KEY)
    assert not channel.accepts({"event": "report", "text": "x"}) and not channel.accepts(run_event())
    assert not channel.accepts(alert("remediation", status="OK"))
    assert all(channel.accepts(alert(kind)) for kind in ("problem", "escalation", "reminder", "recovery",
                                                          "flapping_start", "flapping_stop"))
    with pytest.raises(DeliveryError) as caught:
        channel.send({"event": "report", "text": "x"}, timeout=1)
    assert not caught.value.retryable


# --- webhooks: what is retried ---------------------------------------------------------------


@pytest.mark.parametrize("status, retryable", [
    (400, False), (401, False), (403, False), (404, False), (410, False),
    (408, True), (429, True), (500, True), (502, True), (503, True),
])
def test_http_errors_permanent_or_retryable(receiver, status, retryable):
    url = hook(receiver, "/h", Reply(status, "nope", headers={"Retry-After": "7"} if status == 429 else {}))
    with pytest.raises(DeliveryError) as caught:
        WebhookChannel(url, "json").send(alert(), timeout=5)
    assert caught.value.retryable is retryable and f"HTTP {status}" in str(caught.value)
    if status == 429:
        assert caught.value.retry_after == 7


@pytest.mark.parametrize("status, body, problem", [
    (200, "invalid_token", "rejected: invalid_token"),
    (200, "channel_not_found", "rejected: channel_not_found"),
    (200, '{"ok": false, "error": "channel_is_archived"}', "rejected: channel_is_archived"),
    (403, "invalid_token", "HTTP 403 (invalid_token)"),
    (404, "no_service", "HTTP 404 (no_service)"),
    (410, "channel_is_archived", "HTTP 410 (channel_is_archived)"),
])
def test_slack_errors_are_permanent(receiver, status, body, problem):
    with pytest.raises(DeliveryError) as caught:
        WebhookChannel(hook(receiver, reply=Reply(status, body)), "slack").send(alert(), timeout=5)
    assert not caught.value.retryable and problem in str(caught.value)


def test_slack_bodies_that_are_not_errors():
    assert rejected_in_body("slack", "ok") is None and rejected_in_body("slack", "") is None
    assert rejected_in_body("slack", "<html>something else</html>") is None
    assert rejected_in_body("json", "invalid_token") is None


def test_a_refused_port_is_retryable(closed_port):
    with pytest.raises(DeliveryError) as caught:
        WebhookChannel(f"http://127.0.0.1:{closed_port}/services/{TOKEN}", "slack").send(alert(), timeout=2)
    assert caught.value.retryable and "connection failed" in str(caught.value)
    assert TOKEN not in str(caught.value)


# --- DogStatsD ------------------------------------------------------------------------------------


def test_dogstatsd_service_check_arrives_over_udp():
    with UDPReceiver() as udp:
        channel = DogStatsdChannel.from_address(f"127.0.0.1:{udp.port}")
        assert channel.accepts(run_event()) and not channel.accepts(alert())
        channel.send(run_event(summary="BACKUP WARNING - slow | very\nslow"), timeout=1)
        datagram = udp.receive().decode()
    assert datagram == (f"_sc|cronchecks.backup|1|d:{int(run_event()['at'])}|h:web1|#check:backup,source:cronchecks"
                        "|m:BACKUP WARNING - slow \u00a6 very\\nslow")


@pytest.mark.parametrize("check, name", [("backup", "cronchecks.backup"), ("my check/db-1", "cronchecks.my_check_db_1"),
                                         ("Ünïcode", "cronchecks._n_code")])
def test_service_check_names_use_datadogs_alphabet(check, name):
    assert service_check_name(check) == name


def test_dogstatsd_datagram_stays_within_the_agents_buffer():
    datagram = service_check_datagram(run_event(summary="x" * 20000 + "m:" * 5000))
    assert len(datagram) <= 8192 and datagram.decode().count("|m:") == 1
    assert escape_message("a\r\nb|m:c") == "a\\nb\u00a6m\\:c"


@pytest.mark.parametrize("address, host, port", [("127.0.0.1:9125", "127.0.0.1", 9125), ("agent", "agent", 8125),
                                                 ("[::1]:8126", "::1", 8126)])
def test_dogstatsd_addresses(address, host, port):
    channel = DogStatsdChannel.from_address(address)
    assert (channel.host, channel.port) == (host, port)


@pytest.mark.parametrize("address", ["", ":8125", "host:port", "host:70000", "[::1"])
def test_bad_dogstatsd_addresses(address):
    with pytest.raises(UsageError):
        DogStatsdChannel.from_address(address)


def test_dogstatsd_unresolvable_host_is_retryable():
    with pytest.raises(DeliveryError) as caught:
        DogStatsdChannel("no-such-host.invalid", 8125).send(run_event(), timeout=1)
    assert caught.value.retryable


# --- healthchecks pings -----------------------------------------------------------------------------


def hc_receiver(server, base: str, limit: str | None = "100") -> str:
    headers = {"Ping-Body-Limit": limit} if limit else {}
    for suffix in ("", "/start", "/fail", "/2", "/1"):
        server.routes[base + suffix] = Reply(200, "OK", headers=headers)
    return server.url + base


def test_ping_sequence_start_then_success(receiver):
    url = hc_receiver(receiver, "/ping/0a1b2c3d-0000-4000-8000-00000000abcd")
    pinger = Pinger(url, {})
    run_id = uuid.uuid4()
    pinger.start(str(run_id).upper(), timeout=5)
    pinger.finish(str(run_id), 0, "all good\n", timeout=5)
    start, done = receiver.requests
    assert start["path"] == f"/ping/0a1b2c3d-0000-4000-8000-00000000abcd/start?rid={run_id}"
    assert done["path"] == f"/ping/0a1b2c3d-0000-4000-8000-00000000abcd?rid={run_id}"  # canonical, lowercase
    assert done["body"] == b"all good\n"


@pytest.mark.parametrize("exit_code, suffix", [(2, "/2"), (1, "/1"), (-9, "/fail"), (300, "/fail")])
def test_ping_failure_carries_the_exit_code(receiver, exit_code, suffix):
    url = hc_receiver(receiver, "/ping/key/slug")
    Pinger(url, {}).finish(str(uuid.uuid4()), exit_code, "out", timeout=5)
    assert receiver.requests[-1]["path"].split("?")[0] == "/ping/key/slug" + suffix


def test_ping_body_is_the_tail_within_the_servers_limit(receiver):
    url = hc_receiver(receiver, "/ping/abc", limit="100")
    pinger = Pinger(url, {})
    output = "".join(f"line {n}\n" for n in range(1000))
    pinger.finish(str(uuid.uuid4()), 2, output, timeout=5)  # before any start ping: the default limit
    assert receiver.requests[-1]["body"] == output.encode()[-DEFAULT_BODY_LIMIT:]
    pinger.start(str(uuid.uuid4()), timeout=5)  # the server says Ping-Body-Limit: 100
    assert pinger.limit == 100
    pinger.finish(str(uuid.uuid4()), 2, output, timeout=5)
    body = receiver.requests[-1]["body"]
    assert len(body) == 100 and body.endswith(b"line 999\n")


def test_ping_query_string_is_kept(receiver):
    receiver.routes["/ping/key/slug/start"] = Reply(200, "OK")
    Pinger(receiver.url + "/ping/key/slug?create=1", {}).start(str(uuid.uuid4()), timeout=5)
    assert "create=1&rid=" in receiver.requests[-1]["path"]


@pytest.mark.parametrize("status, retryable", [(404, False), (400, False), (429, True), (500, True)])
def test_ping_errors(receiver, status, retryable):
    receiver.routes["/ping/x/start"] = Reply(status, "not found")
    pinger = Pinger(receiver.url + "/ping/x", {})
    with pytest.raises(DeliveryError) as caught:
        pinger.start(str(uuid.uuid4()), timeout=5)
    assert caught.value.retryable is retryable and "/ping/x" not in str(caught.value)


def test_ping_refused_is_retryable_and_shows_no_key(closed_port):
    pinger = Pinger(f"http://127.0.0.1:{closed_port}/ping/PINGKEY123/backup", {})
    assert pinger.shown == f"ping http://127.0.0.1:{closed_port}/***"
    with pytest.raises(DeliveryError) as caught:
        pinger.start(str(uuid.uuid4()), timeout=2)
    assert caught.value.retryable and "PINGKEY123" not in str(caught.value)


def test_ping_rejects_a_run_id_that_is_not_a_uuid(receiver):
    with pytest.raises(DeliveryError) as caught:
        Pinger(receiver.url + "/ping/x", {}).start("run-1", timeout=1)
    assert not caught.value.retryable and receiver.requests == []


@pytest.mark.parametrize("url", ["ftp://hc/x", "not a url", "https:///nohost"])
def test_bad_ping_urls(url):
    with pytest.raises(UsageError):
        Pinger(url, {})


# --- building channels, and secrets ---------------------------------------------------------------


def test_build_channels_from_options(tmp_path):
    key_file = tmp_path / "pd.key"
    key_file.write_text(ROUTING_KEY + "\n")
    options = ChannelOptions(mail=("ops@example.com",), webhooks=(f"https://hooks.slack.com/services/{TOKEN}",
                                                                   "https://example.com/hook"),
                             pagerduty=True, pagerduty_key_file=str(key_file), cloudwatch="Cron",
                             dimensions=("Env=prod",), dogstatsd="127.0.0.1:8125")
    channels = build_channels(options, {"AWS_REGION": "eu-west-1"}, "web1")
    assert [channel.kind for channel in channels] == ["mail", "webhook-slack", "webhook-json", "webhook-pagerduty",
                                                      "cloudwatch", "dogstatsd"]
    pagerduty = channels[3]
    assert isinstance(pagerduty, WebhookChannel) and pagerduty.routing_key == ROUTING_KEY
    assert len({channel.fingerprint for channel in channels}) == len(channels)


def test_no_secret_in_shown_errors_fingerprints_or_events(receiver, closed_port, tmp_path):
    password, ping_key = "Pa55-w0rd-42", "PINGKEY0000secret"
    secrets = (password, TOKEN, ROUTING_KEY, ping_key, "XXXXsecretXXXX")
    key_file = tmp_path / "pd.key"
    key_file.write_text(ROUTING_KEY)
    env = {"CRONCHECKS_SMTP_HOST": "127.0.0.1", "CRONCHECKS_SMTP_PORT": str(closed_port),
           "CRONCHECKS_SMTP_USER": "alerts", "CRONCHECKS_SMTP_PASSWORD": password}
    down = f"http://127.0.0.1:{closed_port}"
    options = ChannelOptions(mail=("ops@example.com",), webhooks=(f"{down}/services/{TOKEN}?token={TOKEN}",),
                             webhook_format="slack", pagerduty=True, pagerduty_key_file=str(key_file))
    channels = build_channels(options, {**env, "CRONCHECKS_PAGERDUTY_URL": f"{down}/v2/enqueue"}, "web1")
    receiver.routes[f"/services/{TOKEN}"] = Reply(403, "invalid_token")
    channels.append(WebhookChannel(f"{receiver.url}/services/{TOKEN}", "slack"))
    pinger = Pinger(f"{down}/ping/{ping_key}/backup", {})
    events = [alert(), alert("recovery")]
    before = json.dumps(events)
    said = [pinger.shown]
    for channel in channels:
        said += [channel.shown, channel.fingerprint]
        for event in events:
            with pytest.raises(DeliveryError) as caught:
                channel.send(event, timeout=2)
            said.append(str(caught.value))
    with pytest.raises(DeliveryError) as caught:
        pinger.finish(str(uuid.uuid4()), 2, "out", timeout=2)
    said.append(str(caught.value))
    assert json.dumps(events) == before  # channels leave the outbox-able event as it was
    for secret in secrets:
        assert not any(secret in text for text in [*said, before]), secret
    assert all("://127.0.0.1:" in channel.shown and channel.shown.endswith("/***")
               for channel in channels if channel.kind.startswith("webhook"))
    assert fingerprint("mail", "ops@example.com") == channels[0].fingerprint


def test_flapping_says_how_often_the_state_changed():
    body = render("slack", alert("flapping_start", flap_percent=42.5))
    assert body["blocks"][0]["text"]["text"].endswith("FLAPPING: backup on web1 keeps changing state (now CRITICAL)")
    assert {"type": "mrkdwn", "text": "*State changes*\n42.5% of recent results"} in body["blocks"][2]["fields"]


@pytest.mark.parametrize("url, payload_format", [
    ("https://hooks.slack.com/services/T0/B0/x", "slack"),
    ("https://acme.webhook.office.com/webhookb2/x", "teams"),
    ("https://prod-12.westeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke?sig=x", "teams"),
    ("https://default1234.ab.environment.api.powerplatform.com:443/powerautomate/automations/direct/x", "teams"),
    ("https://discord.com/api/webhooks/1/x", "discord"),
    ("https://events.pagerduty.com/v2/enqueue", "pagerduty"),
    ("https://events.eu.pagerduty.com/v2/enqueue", "pagerduty"),
    ("https://example.com/hooks.slack.com", "json"),
    ("https://user:pw@hooks.slack.com.evil.example/x", "json"),
])
def test_webhook_format_detected_from_the_url(url, payload_format):
    from cronchecks.alerting.channels.options import detect_webhook_format

    assert detect_webhook_format(url) == payload_format
