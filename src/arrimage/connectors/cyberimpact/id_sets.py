"""Sets of Cyberimpact ids packed into short text, so a polling cursor stays small in JSON.

The ids are sorted, stored as the differences between neighbours (small numbers for the dense
ids of one account), compressed with zlib and encoded in base64. Measured: 100 000 random ids below one million
pack into about 96 KB of text, and 100 000 consecutive ids into about 300 bytes.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable
from typing import Any


def pack_ids(ids: Iterable[int]) -> str:
    """Return ``ids`` as packed text; :func:`unpack_ids` reverses it."""
    ordered = sorted(set(ids))
    differences = [later - earlier for earlier, later in zip([0, *ordered], ordered)]
    text = ",".join(str(difference) for difference in differences)
    return base64.b64encode(zlib.compress(text.encode("ascii"), 9)).decode("ascii")


def unpack_ids(packed: Any) -> set[int]:
    """Return the ids packed by :func:`pack_ids`. None gives an empty set.

    A plain list of ids is accepted too. Text that cannot be read raises ValueError, because
    treating it as empty would fire every item again.
    """
    if packed is None or packed == "":
        return set()
    if isinstance(packed, list):
        return {int(item) for item in packed}
    try:
        text = zlib.decompress(base64.b64decode(str(packed), validate=True)).decode("ascii")
    except (binascii.Error, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError("invalid trigger cursor: its packed ids cannot be decoded") from exc

    ids: set[int] = set()
    current = 0
    for part in filter(None, text.split(",")):
        current += int(part)
        ids.add(current)
    return ids
