"""The embedded default for mail: each message written as an .eml file into a folder."""

from __future__ import annotations

import email
import email.policy
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+\.eml$")


@dataclass(frozen=True)
class StoredMail:
    name: str
    subject: str
    recipient: str
    sent: datetime


def write_raw(folder: str | os.PathLike, content: bytes, name_hint: str) -> Path:
    """Writes atomically so that a reader never sees half a message."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    safe_hint = re.sub(r"[^A-Za-z0-9_-]+", "-", name_hint)[:60]
    target = path / f"{stamp}-{safe_hint}.eml"
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(content)
    temporary.replace(target)
    return target


def list_messages(folder: str | os.PathLike, limit: int = 200) -> list[StoredMail]:
    path = Path(folder)
    if not path.is_dir():
        return []
    files = sorted(path.glob("*.eml"), reverse=True)[:limit]
    listed = []
    for file in files:
        message = read_message(folder, file.name)
        if message is None:
            continue
        listed.append(
            StoredMail(
                name=file.name,
                subject=str(message.get("Subject", "")),
                recipient=str(message.get("To", "")),
                sent=datetime.fromtimestamp(file.stat().st_mtime, UTC),
            )
        )
    return listed


def read_message(folder: str | os.PathLike, name: str) -> EmailMessage | None:
    if not _SAFE_NAME.match(name):
        return None
    file = Path(folder) / name
    if not file.is_file():
        return None
    with file.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)
