"""The embedded demo target and the tour that runs every check of the registry against it."""
