"""The integration hub: connectors, canonical store, events and flows.

Importing this package does no work: build the runtime with
:func:`hub.settings.get_settings`, :func:`hub.db.engine.create_db_engine` and
:func:`hub.api.app.create_app`.
"""

__version__ = "0.1.0"
