"""Independent random streams derived from one run seed.

A run has one seed. The data order and augmentation, and dropout, each draw from a
stream of their own, re-seeded every epoch from the seed, the stream's name and the
epoch alone: so a resumed run sees exactly the numbers it would have seen, and two
streams never share numbers (with one integer for both, the shuffling and the dropout
masks of a run were the same random numbers).
"""

from __future__ import annotations

import hashlib

STREAMS = ("data", "dropout", "init", "widgets")


def stream_seed(run_seed: int, stream: str, *index: int) -> int:
    """A 63-bit seed for ``stream`` at ``index`` (an epoch; for the widgets an image and a
    draw) of the run seeded with ``run_seed``.

    A hash, not arithmetic: ``seed * C + epoch`` makes seed 1 epoch 0 and seed 0 epoch C
    collide, and cannot separate streams.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}: one of {', '.join(STREAMS)}")
    key = "/".join(str(int(k)) for k in (run_seed, *index))
    digest = hashlib.blake2b(f"{stream}/{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1
