"""check-integrity: files against a manifest, or data by a query or an audit command."""
