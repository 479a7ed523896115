"""Attachment content on disk, addressed by its SHA-256; the ticket keeps name, type, size and checksum.

Files live at ``<attachments_dir>/<first two hex digits>/<sha256>``: the same file sent
twice is stored once, a name from a mail can never choose a path, and a file written
for a page whose commit failed is simply found again next time. Files larger than
``attachment_max_bytes`` are listed on the ticket (``stored: false``) but not kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from connectors.mail.message import Attachment


def attachments_root(setting: str) -> Path:
    """``attachments_dir`` as a folder: absolute as given, else inside the workspace (HUB_WORKSPACE)."""
    path = Path(setting).expanduser()
    if not path.is_absolute():
        path = Path(os.environ.get("HUB_WORKSPACE") or ".") / path
    return path.resolve()


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def save(self, attachment: Attachment) -> dict[str, Any]:
        """Store the content (unless too large) and return what the ticket records about it."""
        digest = hashlib.sha256(attachment.data).hexdigest()
        meta: dict[str, Any] = {
            "name": attachment.name, "type": attachment.content_type, "size": len(attachment.data),
            "sha256": digest, "inline": attachment.inline,
        }
        if attachment.content_id:
            meta["content_id"] = attachment.content_id
        if len(attachment.data) > self.max_bytes:
            meta["stored"] = False
            meta["skipped"] = f"larger than attachment_max_bytes ({self.max_bytes} bytes)"
            return meta
        relative = f"{digest[:2]}/{digest}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(attachment.data)
                os.replace(tmp, target)  # atomic: a reader never sees half a file
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        meta["stored"] = True
        meta["path"] = relative
        return meta

    def path_of(self, meta: dict[str, Any]) -> Path | None:
        relative = meta.get("path")
        return self.root / relative if isinstance(relative, str) else None
