"""The HTTP API: probes, metrics and ``/api/v1`` over the canonical store and events."""

from hub.api.app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
