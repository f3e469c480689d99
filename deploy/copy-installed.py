"""Copy installed distributions and everything they require into a Lambda package directory, offline.

Usage: copy-installed.py OUT REQUIREMENT...  (deploy/build-lambda --deps-from-env runs it). The files
come from this Python's site-packages, as recorded in each distribution's RECORD, so the package holds
exactly what pip would install for these requirements, for this interpreter and platform.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement  # pip's and pytest's own dependency: present where this runs

PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath"}  # Lambda's Python runtime has these


def needed(requirement: str) -> str | None:
    """The normalised distribution name of a requirement, or None when its marker leaves it out here
    (an extra, an old Python)."""
    parsed = Requirement(requirement)
    if parsed.marker is not None and not parsed.marker.evaluate({"extra": ""}):
        return None
    return parsed.name.lower().replace("_", "-")


def closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions `requirements` need, transitively, less what Lambda provides."""
    found: dict[str, metadata.Distribution] = {}
    todo = [needed(r) for r in requirements]
    while todo:
        name = todo.pop()
        if name is None or name in found or name in PROVIDED:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        todo += [needed(r) for r in dist.requires or ()]
    return list(found.values())


def copy(dist: metadata.Distribution, out: Path) -> int:
    """Copy the distribution's files (no scripts, no bytecode) into `out`; returns how many."""
    copied = 0
    for file in dist.files or ():
        if file.parts[0] in {"..", "bin"} or "__pycache__" in file.parts or file.suffix == ".pyc":
            continue
        source = Path(str(dist.locate_file(file)))
        if source.is_file():
            target = out / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied += 1
    return copied


def main() -> None:
    out, requirements = Path(sys.argv[1]), sys.argv[2:]
    for dist in closure(requirements):
        copy(dist, out)


if __name__ == "__main__":
    main()
