"""Comments and docs cite files that exist in this repository: every ``<name>.md`` a tracked file names is found
(beside the file, under docs/, or from the repository root)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".md", ".j2", ".toml", ".sh", ".txt")
MENTION = re.compile(r"(?<![\w./-])((?:\.\./|[\w-]+/)*[\w-]+\.md)\b(?!\()")


def _tracked() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [REPO / name for name in listed.splitlines() if name.endswith(SUFFIXES) or name.endswith("Makefile")]


def test_every_cited_markdown_file_exists() -> None:
    missing = []
    for path in _tracked():
        if not path.is_file():
            continue
        for line_no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for name in MENTION.findall(line):
                places = (path.parent / name, REPO / "docs" / name, REPO / name)
                if not any(p.resolve().is_file() for p in places):
                    missing.append(f"{path.relative_to(REPO)}:{line_no}: {name}")
    assert missing == []
