"""The peer of the issue-12 speed table: tipg on PostGIS, serving the same national rows
as geo-service, in a bench-only environment (``python -m bench.peers.env --help``)."""
