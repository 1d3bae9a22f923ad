"""Loading of the sample outputs that connectors ship in their ``samples/`` folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_sample(package_file: str, name: str) -> dict[str, Any]:
    """Return ``samples/<name>.json`` beside the connector module ``package_file``."""
    path = Path(package_file).parent / "samples" / f"{name}.json"
    with path.open(encoding="utf-8") as sample_file:
        sample: dict[str, Any] = json.load(sample_file)
    return sample
