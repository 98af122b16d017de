"""Notification channels: one module each, one send shape."""
