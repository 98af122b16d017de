"""The vocabulary below everything: statuses, results, ranges, renderers, errors, runtime, the executor."""
