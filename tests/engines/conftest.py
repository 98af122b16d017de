"""The engine tests' fixtures (tests/engine_fixtures.py), by name, as the top conftest offers the others."""

from tests.engine_fixtures import pushgateway  # noqa: F401 - a fixture, requested by name
