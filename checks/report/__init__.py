"""Recorded history turned into figures, a table, JSON, an HTML page or a daily summary."""
