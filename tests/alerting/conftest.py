"""Fixtures of the alerting tests: the per-channel counting receiver."""

from tests.alerting.routing_fixtures import channels  # noqa: F401 - a fixture, found by its name
