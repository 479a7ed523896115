"""Sortable, prefixed identifiers (``cus_01JD7K...``): time-ordered like ULIDs, readable in logs."""

from __future__ import annotations

import base64
import os
import time

# base64's RFC 4648 alphabet mapped onto Crockford's, which sorts in ASCII order.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def new_id(prefix: str) -> str:
    """``prefix_`` + 26 characters: 48 bits of milliseconds, then 80 random bits.

    Ids made later sort after ids made earlier (to the millisecond), so paging
    by id is paging by creation time.
    """
    raw = (time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10)
    return f"{prefix}_{base64.b32encode(raw).decode()[:26].translate(_TO_CROCKFORD)}"
