"""The demo's data folder, erased at each start so that every demo plays on a fresh account.

The folder contains Arrimage's database, queue and key, the sandbox's database under
``sandbox/``, the generated CSV file with its import report, and the marker file
``.arrimage-demo``. The demo erases only a folder that has the marker, or an empty one, so a
``--data-dir`` that points at real data is rejected instead of wiped. While a demo runs it
holds a lock on the marker, so a second demo on the same folder stops with a message.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cryptography.fernet import Fernet

from arrimage.config import SECRET_KEY_FILE
from arrimage.i18n import _

try:
    import fcntl
except ImportError:  # Windows has no fcntl, so two demos on one folder are not detected there.
    fcntl = None  # type: ignore[assignment]

MARKER_FILE = ".arrimage-demo"
MARKER_TEXT = "This folder is the data of `arrimage demo`, erased each time the demo starts.\n"


class DemoFolderError(Exception):
    """The folder cannot contain the demo's data. The message states why and what to do."""


@dataclass
class DemoFolder:
    """A prepared, locked data folder. :meth:`release` frees the lock."""

    path: Path
    lock: IO[str]

    def release(self) -> None:
        """Free the lock (closing the file releases it) so a later demo can erase the folder."""
        self.lock.close()


def prepare_folder(path: Path) -> DemoFolder:
    """Lock ``path``, erase what an earlier demo left in it, and write a new secret key.

    Raises :class:`DemoFolderError` when ``path`` is a file, contains data that no demo made,
    or is in use by another demo.
    """
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise DemoFolderError(_("{path} is a file: give the demo a folder with --data-dir.", path=path))
    marker = path / MARKER_FILE
    if path.is_dir() and any(path.iterdir()) and not marker.is_file():
        raise DemoFolderError(_(
            "The folder {path} contains data that the demo did not create, and the demo erases its "
            "folder at each start. Choose another folder with --data-dir.", path=path))

    path.mkdir(parents=True, exist_ok=True)
    lock = marker.open("a+", encoding="utf-8")
    if fcntl is not None:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise DemoFolderError(_(
                "Another arrimage demo is using {path}. Stop it first, or give this one another "
                "folder with --data-dir.", path=path)) from None

    for entry in path.iterdir():
        if entry.name == MARKER_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    lock.seek(0)
    lock.truncate()
    lock.write(MARKER_TEXT)
    lock.flush()

    _write_secret_key(path / SECRET_KEY_FILE)
    return DemoFolder(path=path, lock=lock)


def _write_secret_key(path: Path) -> None:
    # Written here rather than by the runtime, which warns at first start that the key needs a
    # backup. Nothing in the demo's folder outlives the next start.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(Fernet.generate_key() + b"\n")
