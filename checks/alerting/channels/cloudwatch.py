"""CloudWatch channel: every run as metrics (Status 0-3, Healthy 1/0, each perfdata value) through PutMetricData.

botocore (from the `aws` extra) is imported only when a run is sent; region, endpoint and
credentials come from the environment mapping handed in, read the way the AWS CLI reads them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from cronchecks.alerting.channels.base import RUN, Channel, DeliveryError
from cronchecks.core.errors import MissingExtra, UsageError
from cronchecks.support.secrets import scrub

if TYPE_CHECKING:  # botocore is imported at the first send, not at start-up; these names are boto3-stubs'
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StandardUnitType
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef, MetricDatumTypeDef

# PutMetricData's limits (botocore's model and the API reference): 1000 metrics and 1 MB a
# request, 30 dimensions a metric, names 1-255 characters, dimension values 1-1024, values
# within +-2^360 and finite.
MAX_METRICS_PER_CALL = 1000
MAX_REQUEST_BYTES = 1_000_000
MAX_DIMENSIONS = 30
MAX_NAME, MAX_DIMENSION_VALUE = 255, 1024
MAX_VALUE = 2.0 ** 360

# Base units (core/units.to_base) as CloudWatch's Unit enum: every value is sent in seconds or bytes,
# so a plugin that writes MB one day and GiB the next still feeds one series in one unit. A unit
# CloudWatch has no name for is "None" (the metric keeps its value, scaled as far as it is known),
# except a rate of things (`req/s`), which is Count/Second.
UNITS: dict[str, StandardUnitType] = {
    "s": "Seconds", "B": "Bytes", "B/s": "Bytes/Second", "%": "Percent", "c": "Count", "": "None",
}
OWN_METRICS = ("Status", "Healthy")

# Error codes that say "later": throttled, or the service's own trouble.
_RETRYABLE_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                              "TooManyRequestsException", "ServiceUnavailable", "ServiceUnavailableException",
                              "InternalFailure", "InternalServiceError", "InternalServiceFault", "RequestTimeout",
                              "RequestTimeoutException", "PriorRequestNotComplete", "SlowDown"})


class AwsSettings(NamedTuple):
    region: str | None
    endpoint: str | None
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    profile: str | None
    disable_compression: bool


def aws_settings(env: Mapping[str, str], service_env: str = "CLOUDWATCH") -> AwsSettings:
    """The standard AWS environment variables, from `env` (service-specific endpoint first)."""
    def get(name: str) -> str | None:
        return (env.get(name) or "").strip() or None

    return AwsSettings(
        region=get("AWS_REGION") or get("AWS_DEFAULT_REGION"),
        endpoint=get(f"AWS_ENDPOINT_URL_{service_env}") or get("AWS_ENDPOINT_URL"),
        access_key=get("AWS_ACCESS_KEY_ID"),
        secret_key=get("AWS_SECRET_ACCESS_KEY"),
        session_token=get("AWS_SESSION_TOKEN"),
        profile=get("AWS_PROFILE"),
        disable_compression=(get("AWS_DISABLE_REQUEST_COMPRESSION") or "").lower() in ("1", "true", "yes"),
    )


class CloudWatchChannel(Channel):
    """Run records to one CloudWatch namespace, with dimensions Check, Host and the user's own."""

    kind = "cloudwatch"
    events = frozenset({RUN})

    def __init__(self, namespace: str, dimensions: Mapping[str, str], env: Mapping[str, str]) -> None:
        import importlib.util

        if not namespace or len(namespace) > MAX_NAME or namespace.startswith(":"):
            raise UsageError(f"invalid --cloudwatch namespace {namespace!r} (1-255 characters, not starting with ':')")
        extra = dict(dimensions)
        for reserved in ("Check", "Host"):
            if reserved in extra:
                raise UsageError(f"--dimension {reserved}=... is set by cronchecks itself")
        if len(extra) + 2 > MAX_DIMENSIONS:
            raise UsageError(f"too many --dimension ({len(extra)}): CloudWatch allows {MAX_DIMENSIONS - 2} besides "
                             "Check and Host")
        for name, value in extra.items():
            if len(name) > MAX_NAME or len(value) > MAX_DIMENSION_VALUE:
                raise UsageError(f"--dimension {name[:40]}=... is too long (name 255, value 1024 characters)")
        if importlib.util.find_spec("boto3") is None:  # said at start, not at the first send
            raise MissingExtra("boto3", "aws")
        self.namespace = namespace
        self.dimensions = extra
        self.settings = aws_settings(env)
        self._client: CloudWatchClient | None = None
        dims = ",".join(f"{name}={value}" for name, value in sorted(extra.items()))
        where = self.settings.region or "default region"
        super().__init__(f"{namespace}|{dims}", f"cloudwatch {namespace} ({where})")

    # --- what goes out -------------------------------------------------------------------

    def metric_data(self, event: dict[str, Any]) -> list[MetricDatumTypeDef]:
        """The MetricData entries for one run event."""
        from datetime import datetime

        dimensions: list[DimensionTypeDef] = [
            {"Name": "Check", "Value": _clip(str(event.get("check") or "?"), MAX_DIMENSION_VALUE)},
            {"Name": "Host", "Value": _clip(str(event.get("host") or "?"), MAX_DIMENSION_VALUE)},
        ]
        dimensions += [{"Name": name, "Value": value} for name, value in self.dimensions.items()]
        at = event.get("at")
        timestamp = datetime.fromtimestamp(at, UTC) if at is not None else datetime.now(UTC)
        code = event.get("code")
        if code not in (0, 1, 2, 3):
            code = {"OK": 0, "WARNING": 1, "CRITICAL": 2}.get(str(event.get("status")), 3)

        def datum(name: str, value: float, unit: StandardUnitType) -> MetricDatumTypeDef:
            return {"MetricName": name, "Dimensions": dimensions, "Timestamp": timestamp, "Value": value,
                    "Unit": unit}

        data = [datum("Status", float(code), "None"), datum("Healthy", 1.0 if code == 0 else 0.0, "None")]
        seen = set(OWN_METRICS)
        for perf in event.get("perfdata") or ():
            value = _metric_value(perf.get("value"))
            unit: StandardUnitType = "None"
            if value is not None:
                scaled, unit = metric_unit(value, str(perf.get("uom") or ""))
                value = _metric_value(scaled)
            label = str(perf.get("label") or "").strip()
            if value is None or not label:
                continue  # 'U' (unknown) or out of CloudWatch's range: nothing to plot
            name = _clip(label if label not in OWN_METRICS else f"perfdata.{label}", MAX_NAME)
            if name in seen:
                continue  # the same label twice in one output: CloudWatch would take both as one series
            seen.add(name)
            data.append(datum(name, value, unit))
        return data

    def batches(self, data: list[MetricDatumTypeDef]) -> list[list[MetricDatumTypeDef]]:
        """`data` split within PutMetricData's limits: 1000 metrics and 1 MB a request."""
        batches: list[list[MetricDatumTypeDef]] = []
        current: list[MetricDatumTypeDef] = []
        size = _HEADER_BYTES + len(self.namespace) * 3
        for entry in data:
            entry_size = _encoded_size(entry, len(current) + 1)
            if current and (len(current) >= MAX_METRICS_PER_CALL or size + entry_size > MAX_REQUEST_BYTES):
                batches.append(current)
                current, size = [], _HEADER_BYTES + len(self.namespace) * 3
            current.append(entry)
            size += entry_size
        if current:
            batches.append(current)
        return batches

    # --- sending --------------------------------------------------------------------------

    def client(self, timeout: float) -> CloudWatchClient:
        """A botocore CloudWatch client built from this channel's settings (made once, then reused)."""
        if self._client is not None:
            return self._client
        try:
            import botocore.session
            from botocore.config import Config
        except ImportError:
            raise DeliveryError(f"{self.shown}: {MissingExtra('boto3', 'aws')}", retryable=False) from None
        settings = self.settings
        session = botocore.session.Session(profile=settings.profile) if settings.profile else \
            botocore.session.Session()
        config = Config(connect_timeout=max(timeout, 0.5), read_timeout=max(timeout, 0.5),
                        retries={"max_attempts": 1, "mode": "standard"},  # the outbox retries, not botocore
                        disable_request_compression=settings.disable_compression or None,
                        user_agent_extra="cronchecks")
        # botocore types create_client as returning any client; boto3-stubs knows this one's methods.
        self._client = cast("CloudWatchClient", session.create_client(
            "cloudwatch", region_name=settings.region, endpoint_url=settings.endpoint,
            aws_access_key_id=settings.access_key, aws_secret_access_key=settings.secret_key,
            aws_session_token=settings.session_token, config=config))
        return self._client

    def send(self, event: dict[str, Any], timeout: float) -> None:
        try:
            client = self.client(timeout)
            for batch in self.batches(self.metric_data(event)):
                client.put_metric_data(Namespace=self.namespace, MetricData=batch)
        except DeliveryError:
            raise
        except Exception as error:
            raise self._classify(error) from None

    def _classify(self, error: Exception) -> DeliveryError:
        import botocore.exceptions as aws

        if isinstance(error, aws.ClientError):
            details = error.response.get("Error", {})
            code = str(details.get("Code") or "")
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            retryable = code in _RETRYABLE_CODES or status >= 500 or status in (408, 429)
            reason = f"{code or 'error'} (HTTP {status}): {' '.join(str(details.get('Message') or '').split())[:200]}"
        elif isinstance(error, (aws.NoCredentialsError, aws.PartialCredentialsError)):
            reason, retryable = "no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or a role)", \
                False
        elif isinstance(error, aws.NoRegionError):
            reason, retryable = "no AWS region (set AWS_REGION)", False
        elif isinstance(error, (aws.ConnectTimeoutError, aws.ReadTimeoutError)):
            reason, retryable = "timed out", True
        elif isinstance(error, (aws.EndpointConnectionError, aws.ConnectionClosedError, aws.ConnectionError)):
            reason, retryable = "connection failed", True
        elif isinstance(error, aws.ParamValidationError):
            reason, retryable = f"invalid request: {' '.join(str(error).split())[:200]}", False
        elif isinstance(error, aws.BotoCoreError):
            reason, retryable = type(error).__name__, False
        elif isinstance(error, OSError):
            reason, retryable = "connection failed", True
        else:
            reason, retryable = type(error).__name__, False
        settings = self.settings
        reason = scrub(reason, settings.secret_key, settings.session_token, settings.access_key)
        return DeliveryError(f"{self.shown}: {reason}", retryable=retryable)


# The awsquery form encoding is the largest of the protocols botocore may pick (CBOR and JSON
# are smaller), so sizing by it keeps every request under 1 MB whichever is used.
_HEADER_BYTES = 200


def _encoded_size(entry: Mapping[str, Any], index: int) -> int:
    from urllib.parse import quote

    prefix = f"MetricData.member.{index}."
    size = 0
    for key, value in entry.items():
        if key == "Dimensions":
            for number, dimension in enumerate(value, 1):
                for part in ("Name", "Value"):
                    size += len(f"&{prefix}Dimensions.member.{number}.{part}=") + len(quote(dimension[part], safe=""))
        else:
            size += len(f"&{prefix}{key}=") + len(quote(str(value), safe=""))
    return size


def metric_unit(value: float, uom: str) -> tuple[float, StandardUnitType]:
    """A perfdata value and unit as CloudWatch takes them: scaled to base units, with its Unit name."""
    from cronchecks.core.units import to_base

    scaled, base = to_base(value, uom)
    if base in UNITS:
        return scaled, UNITS[base]
    return scaled, "Count/Second" if base.endswith("/s") else "None"


def _metric_value(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or abs(number) > MAX_VALUE:
        return None
    return number


def _clip(text: str, limit: int) -> str:
    return text[:limit] or "?"
