"""The CloudWatch channel against moto's server: metrics read back with boto3, batching, error classes."""

from __future__ import annotations

import importlib.util
from datetime import UTC, timedelta
from typing import Any

import pytest

from cronchecks.alerting.channels.base import DeliveryError
from cronchecks.alerting.channels.cloudwatch import MAX_METRICS_PER_CALL, MAX_REQUEST_BYTES, CloudWatchChannel
from cronchecks.core.errors import MissingExtra, UsageError
from tests.alerting_fixtures import NOW, alert, aws_env, run_event
from tests.conftest import Reply

pytest.importorskip("moto")


def reader(endpoint: str):
    import boto3

    return boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=endpoint,
                        aws_access_key_id="AKIDTESTTESTTEST", aws_secret_access_key="dummy-secret-key-4711")


def count_calls(channel: CloudWatchChannel, timeout: float = 5) -> list[int]:
    """Request body sizes of every PutMetricData the channel makes (moto enforces none of its limits)."""
    sizes: list[int] = []

    def before_send(request, **_):
        sizes.append(len(request.body or b""))

    channel.client(timeout).meta.events.register("before-send.cloudwatch.PutMetricData", before_send)
    return sizes


def test_a_run_becomes_status_healthy_and_perfdata_metrics(moto_endpoint):
    channel = CloudWatchChannel("Cron/Test1", {"Env": "prod"}, aws_env(moto_endpoint))
    assert channel.accepts(run_event()) and not channel.accepts(alert())
    channel.send(run_event(), timeout=5)
    cloudwatch = reader(moto_endpoint)
    metrics = cloudwatch.list_metrics(Namespace="Cron/Test1")["Metrics"]
    assert sorted(metric["MetricName"] for metric in metrics) == ["Healthy", "Status", "files", "free", "load",
                                                                   "size", "time"]  # 'lost' was U: no value
    for metric in metrics:
        assert sorted((d["Name"], d["Value"]) for d in metric["Dimensions"]) == [
            ("Check", "backup"), ("Env", "prod"), ("Host", "web1")]
    dimensions = metrics[0]["Dimensions"]
    queries = [{"Id": name.lower(), "MetricStat": {"Metric": {"Namespace": "Cron/Test1", "MetricName": name,
                                                              "Dimensions": dimensions},
                                                   "Period": 60, "Stat": "Maximum"}}
               for name in ("Status", "Healthy", "time", "size")]
    from datetime import datetime

    at = datetime.fromtimestamp(NOW, UTC)
    answer = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=at - timedelta(minutes=5),
                                        EndTime=at + timedelta(minutes=5))
    values = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert values == {"status": [1.0], "healthy": [0.0], "time": [310.5], "size": [12e9]}
    stats = cloudwatch.get_metric_statistics(Namespace="Cron/Test1", MetricName="time", Dimensions=dimensions,
                                             StartTime=at - timedelta(minutes=5), EndTime=at + timedelta(minutes=5),
                                             Period=60, Statistics=["Maximum"], Unit="Seconds")
    assert stats["Datapoints"][0]["Unit"] == "Seconds"


def test_units_are_sent_in_base_units():
    # Every unit the guidelines name and the binary ones plugins write, scaled to seconds and bytes so that
    # one series keeps one unit; what CloudWatch has no name for keeps its value, with Unit None.
    channel = CloudWatchChannel("Cron", {}, {"AWS_REGION": "eu-west-1"})
    units = {"s": (1, "Seconds"), "ms": (1e-3, "Seconds"), "us": (1e-6, "Seconds"), "B": (1, "Bytes"),
             "KB": (1e3, "Bytes"), "MB": (1e6, "Bytes"), "GB": (1e9, "Bytes"), "TB": (1e12, "Bytes"),
             "KiB": (1024, "Bytes"), "MiB": (2**20, "Bytes"), "GiB": (2**30, "Bytes"), "TiB": (2**40, "Bytes"),
             "MiB/s": (2**20, "Bytes/Second"), "%": (1, "Percent"), "c": (1, "Count"), "": (1, "None"),
             "req/s": (1, "Count/Second"), "furlongs": (1, "None")}
    perfdata = [{"label": f"m{n}", "value": 1, "uom": uom} for n, uom in enumerate(units)]
    data = channel.metric_data(run_event(perfdata=perfdata, code=0, status="OK"))
    assert [(d["MetricName"], d["Value"]) for d in data[:2]] == [("Status", 0.0), ("Healthy", 1.0)]
    assert [(d["Value"], d["Unit"]) for d in data[2:]] == list(units.values())


def test_odd_perfdata_is_skipped_or_renamed():
    channel = CloudWatchChannel("Cron", {}, {"AWS_REGION": "eu-west-1"})
    perfdata = [{"label": "Status", "value": 5, "uom": ""}, {"label": "huge", "value": 1e300, "uom": ""},
                {"label": "nan", "value": float("nan"), "uom": ""}, {"label": "time", "value": 1, "uom": "s"},
                {"label": "time", "value": 2, "uom": "s"}, {"label": "", "value": 1, "uom": ""}]
    names = [d["MetricName"] for d in channel.metric_data(run_event(perfdata=perfdata))]
    assert names == ["Status", "Healthy", "perfdata.Status", "time"]


def test_many_metrics_go_in_batches_of_1000(moto_endpoint):
    channel = CloudWatchChannel("Cron/Batch", {}, aws_env(moto_endpoint))
    sizes = count_calls(channel)
    perfdata = [{"label": f"disk{n}", "value": n, "uom": "B"} for n in range(1200)]
    channel.send(run_event(perfdata=perfdata), timeout=10)
    assert len(sizes) == 2  # 1202 metrics: 1000 + 202
    assert len(reader(moto_endpoint).get_paginator("list_metrics").paginate(Namespace="Cron/Batch")
               .build_full_result()["Metrics"]) == 1202
    assert [len(batch) for batch in channel.batches(channel.metric_data(run_event(
        perfdata=[{"label": f"d{n}", "value": n, "uom": ""} for n in range(2500)])))] == [1000, 1000, 502]


def test_batches_stay_under_one_megabyte():
    # 28 dimensions of 1024 characters on every metric: ~40 KB each in the query encoding
    dimensions = {f"D{n}": "v" * 1024 for n in range(28)}
    channel = CloudWatchChannel("Cron/Big", dimensions, {"AWS_REGION": "eu-west-1"})
    perfdata = [{"label": f"m{n}", "value": n, "uom": ""} for n in range(100)]
    batches = channel.batches(channel.metric_data(run_event(perfdata=perfdata)))
    assert len(batches) > 1 and sum(len(batch) for batch in batches) == 102
    assert all(len(batch) <= MAX_METRICS_PER_CALL for batch in batches)


def test_real_request_sizes_within_the_limit(moto_endpoint):
    dimensions = {f"D{n}": "v" * 1024 for n in range(28)}
    channel = CloudWatchChannel("Cron/BigReal", dimensions, aws_env(moto_endpoint))
    sizes = count_calls(channel)
    channel.send(run_event(perfdata=[{"label": f"m{n}", "value": n, "uom": ""} for n in range(60)]), timeout=10)
    assert len(sizes) > 1 and max(sizes) <= MAX_REQUEST_BYTES


@pytest.mark.parametrize("status, code, retryable", [
    (400, "Throttling", True), (503, "ServiceUnavailable", True), (500, "InternalFailure", True),
    (400, "InvalidParameterValue", False), (403, "AccessDenied", False), (403, "InvalidClientTokenId", False),
])
def test_errors_permanent_or_retryable(status, code, retryable):
    from botocore.exceptions import ClientError

    channel = CloudWatchChannel("Cron", {}, aws_env("http://127.0.0.1:9", AWS_SECRET_ACCESS_KEY="TopSecret0001"))
    # Only the parts the channel reads: the stubs' TypedDict wants every key botocore would fill in.
    response: Any = {"Error": {"Code": code, "Message": "the key TopSecret0001 was wrong"},
                     "ResponseMetadata": {"HTTPStatusCode": status}}
    error = ClientError(response, "PutMetricData")
    failure = channel._classify(error)
    assert failure.retryable is retryable and code in str(failure) and "TopSecret0001" not in str(failure)


def test_a_real_5xx_is_retryable(receiver):
    receiver.routes["/"] = Reply(503, "down for maintenance")
    channel = CloudWatchChannel("Cron", {}, aws_env(receiver.url))
    with pytest.raises(DeliveryError) as caught:
        channel.send(run_event(), timeout=5)
    assert caught.value.retryable and "503" in str(caught.value)


def test_nobody_listening_is_retryable(closed_port):
    channel = CloudWatchChannel("Cron", {}, aws_env(f"http://127.0.0.1:{closed_port}"))
    with pytest.raises(DeliveryError) as caught:
        channel.send(run_event(), timeout=2)
    assert caught.value.retryable and "dummy-secret-key-4711" not in str(caught.value)


def test_settings_come_from_the_mapping_given(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    env = {"AWS_DEFAULT_REGION": "ap-south-1", "AWS_ENDPOINT_URL": "http://a.example",
           "AWS_ENDPOINT_URL_CLOUDWATCH": "http://cw.example", "AWS_ACCESS_KEY_ID": "AKIDX",
           "AWS_SECRET_ACCESS_KEY": "sek"}
    channel = CloudWatchChannel("Cron", {}, env)
    client = channel.client(2)
    assert client.meta.region_name == "ap-south-1" and client.meta.endpoint_url == "http://cw.example"
    # The credentials botocore will sign with sit on its private signer (no public way to read them).
    assert client._request_signer._credentials.access_key == "AKIDX"  # type: ignore[attr-defined]
    assert channel.shown == "cloudwatch Cron (ap-south-1)"


@pytest.mark.parametrize("namespace, dimensions", [("", {}), (":x", {}), ("Cron", {"Check": "x"}),
                                                   ("Cron", {f"D{n}": "v" for n in range(29)})])
def test_option_mistakes(namespace, dimensions):
    with pytest.raises(UsageError):
        CloudWatchChannel(namespace, dimensions, {})


def test_missing_boto3_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "boto3" else real(name, *a))
    with pytest.raises(MissingExtra) as caught:
        CloudWatchChannel("Cron", {}, {})
    assert "pip install 'cronchecks[aws]'" in str(caught.value)
