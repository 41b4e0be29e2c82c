"""Ingest: read boundary, village and register files into the canonical frames."""
