"""check-log: lines matching patterns in logs, whole, in a window or since the last run."""
