"""geo-service: coverage of Vietnam's villages by community security self-management models."""

__version__ = "0.1.0"
