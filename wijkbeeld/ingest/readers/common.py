"""What both readers need: opening a landing file safely, hashing it, and naming a limit a file exceeds."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.results import FileProblem, Prepared


def open_file(path: Path) -> BinaryIO:
    """Open a landing file for reading without following a symbolic link: one swapped in after the listing
    fails (ELOOP) instead of being read. Only regular files are read (a FIFO would block: O_NONBLOCK)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def hash_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open_file(path) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def failed_prep(path: Path, staged: Path, index: int) -> Prepared:
    """A file that is refused without its reading pass: only hashed (for the record), never decoded."""
    st = path.lstat()
    try:
        sha = hash_file(path)
    except OSError:  # unreadable (permissions), or swapped for a link meanwhile
        sha = ""
    return Prepared(path=path, sha256=sha, staged=staged, stat=(st.st_size, st.st_mtime), index=index)


def limit_problem(contract: Contract, what: str, setting: str, fix: str, **details: Any) -> FileProblem:
    """A file beyond a resource limit: says what, where and which setting, never the content."""
    return FileProblem(
        reason=what,
        expected=f"a file like {contract.file.name_example} within the platform's limits",
        fix=f"{fix} (the limit is the setting {setting})",
        details={"limit": setting, **details},
    )


def inconsistent(contract: Contract, expected: int, found: int) -> FileProblem:
    """The safety net of :func:`judge`: the file is refused rather than loaded incompletely."""
    q = contract.file.quote
    return FileProblem(
        reason=f"the file could not be read consistently: {expected} records expected, {found} read (a quote "
        f"'{q}' in an unexpected place?); nothing of it was loaded",
        expected=f"values that contain the delimiter, a line break or a quote enclosed in quotes ('{q}'), and a "
        f"quote inside such a value doubled ('{q * 2}')",
        fix="check the quotes in the file and deliver it again; `wijkbeeld validate` shows the verdict",
        details={"records_expected": expected, "records_read": found},
    )
