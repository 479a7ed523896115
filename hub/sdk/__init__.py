"""The connector SDK: the contract a connector implements and the shared parts it is built from.

See docs/connectors/writing-a-connector.md.
"""

from hub.sdk.callbacks import CALLBACK_HANDLERS, CallbackHandler, CallbackReply, CallbackRequest
from hub.sdk.client import Authenticator, Credentials, VendorClient, make_http_client, parse_json
from hub.sdk.contract import (
    ActionSpec,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    Health,
    Page,
    PushResult,
    StreamSpec,
    StreamState,
    settings_as,
)
from hub.sdk.errors import Action, ErrorRule, ErrorTable, VendorError, VendorRecordError, Verdict
from hub.sdk.ratelimit import RateLimiter
from hub.sdk.registry import connector_type, connector_types
from hub.sdk.retry import RetryPolicy, parse_retry_after
from hub.sdk.tokens import TokenManager, TokenStore, credential_key, token_store

__all__ = [
    "CALLBACK_HANDLERS",
    "Action",
    "ActionSpec",
    "Authenticator",
    "CallbackHandler",
    "CallbackReply",
    "CallbackRequest",
    "Connector",
    "ConnectorContext",
    "ConnectorSettings",
    "Credentials",
    "ErrorRule",
    "ErrorTable",
    "Health",
    "Page",
    "PushResult",
    "RateLimiter",
    "RetryPolicy",
    "StreamSpec",
    "StreamState",
    "TokenManager",
    "TokenStore",
    "VendorClient",
    "VendorError",
    "VendorRecordError",
    "Verdict",
    "connector_type",
    "connector_types",
    "credential_key",
    "make_http_client",
    "parse_json",
    "parse_retry_after",
    "settings_as",
    "token_store",
]
