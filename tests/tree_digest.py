"""What a folder holds, to prove that a command left the file system exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Every path under ``root`` (relative) with the SHA-256 of its content ("dir" for a
    folder); ``root`` itself is listed too, so its creation or removal shows."""
    if not root.exists():
        return {}
    listed = {".": "dir" if root.is_dir() else _sha256(root)}
    for path in sorted(root.rglob("*")):
        listed[str(path.relative_to(root))] = "dir" if path.is_dir() else _sha256(path)
    return listed


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
