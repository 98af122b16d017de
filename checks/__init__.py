"""cronchecks: small stateless Nagios-style checks and a thin alerting wrapper."""

__version__ = "0.1.0"
