"""Many checks from one TOML file in one process, and the exporters of their results."""
