"""``/api/v1/subscriptions``: outbound webhooks. Viewers read (secrets masked); admins write.

The signing secret is in the answer to a create or a rotate, once, and never again.
URLs pass the SSRF guard before anything is saved.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status

from hub.api.deps import Admin, ReadConn, State
from hub.db.types import utcnow
from hub.security.secrets import SecretBox
from webhooks.outbound.models import (
    RotateSecret,
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionPublic,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from webhooks.outbound.subscriptions import (
    check_destination,
    create_subscription,
    delete_subscription,
    find_subscription,
    list_subscriptions,
    rotate_secret,
    subscription_document,
    update_subscription,
)

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

_NO_STORE = {"Cache-Control": "no-store"}


def _box(state: State) -> SecretBox | None:
    key = state.settings.secret_key
    return SecretBox(key.get_secret_value()) if key else None


def _rotation_overlap(state: State) -> int:
    from hub.workspace.loader import load_workspace

    return load_workspace(state.settings.workspace).config.webhooks.rotation_overlap


@router.get("", summary="Every subscription, secrets masked")
def list_all(state: State, conn: ReadConn) -> SubscriptionList:
    return SubscriptionList(items=[SubscriptionPublic(**d) for d in list_subscriptions(conn, _box(state))])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a subscription; the answer carries its signing secret, this once",
    responses={403: {"description": "The URL resolves to an address the SSRF guard refuses."},
               409: {"description": "The name is taken."}},
)
def create(body: SubscriptionCreate, state: State, _admin: Admin, response: Response) -> SubscriptionWithSecret:
    check_destination(body.url, state.settings.allowed_networks)  # before the write lock is taken
    with state.engine.begin() as conn:
        document, secret = create_subscription(conn, _box(state), body.name, body, now=utcnow())
    response.headers.update(_NO_STORE)
    return SubscriptionWithSecret(**document, signing_secret=secret)


@router.get("/{ref}", summary="One subscription (by id or name), secret masked")
def get_one(ref: str, state: State, conn: ReadConn) -> SubscriptionPublic:
    return SubscriptionPublic(**subscription_document(find_subscription(conn, ref), _box(state)))


@router.patch(
    "/{ref}",
    summary="Change a subscription; enabled: false pauses it, true resumes it",
    responses={409: {"description": "It is defined in hub.yaml (only enabled may change here)."}},
)
def change(ref: str, body: SubscriptionUpdate, state: State, _admin: Admin) -> SubscriptionPublic:
    if body.url is not None:
        check_destination(body.url, state.settings.allowed_networks)
    with state.engine.begin() as conn:
        document = update_subscription(conn, _box(state), ref, body, now=utcnow())
    return SubscriptionPublic(**document)


@router.delete(
    "/{ref}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription with its deliveries",
    responses={409: {"description": "It is defined in hub.yaml: remove it there."}},
)
def remove(ref: str, state: State, _admin: Admin) -> Response:
    with state.engine.begin() as conn:
        delete_subscription(conn, ref)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{ref}/rotate-secret",
    summary="A new signing secret, shown once; the old one keeps signing during the overlap",
)
def rotate(ref: str, state: State, _admin: Admin, response: Response,
           body: RotateSecret | None = None) -> SubscriptionWithSecret:
    request = body or RotateSecret()
    seconds = request.overlap_seconds if request.overlap_seconds is not None else _rotation_overlap(state)
    with state.engine.begin() as conn:
        document, secret = rotate_secret(
            conn, _box(state), ref, overlap=timedelta(seconds=seconds), now=utcnow(),
            secret=request.secret.get_secret_value() if request.secret else None,
        )
    response.headers.update(_NO_STORE)
    return SubscriptionWithSecret(**document, signing_secret=secret)
