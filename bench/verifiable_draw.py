"""The verifiable draw's pure steps at scale: Merkle root over N leaves, one inclusion proof, one draw.

Targets (issue 8): the root over 1,000,000 leaves under 2 s, a proof of about 20 hashes, a draw under
1 ms. The leaves are made in memory here; reading them from the database is not measured yet.

Run from the project root: `python -m bench.verifiable_draw [--ballots N]`.
"""

from __future__ import annotations

import argparse
import secrets
import time

from core import merkle
from core.draws import ballot_leaf, draw_seed, verifiable_winner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    count = parser.parse_args().ballots
    leaves = [
        merkle.leaf_hash(ballot_leaf(event_id=1, number=n, receipt=secrets.token_bytes(16)))
        for n in range(1, count + 1)
    ]
    started = time.perf_counter()
    root = merkle.root(leaves)
    root_seconds = time.perf_counter() - started
    proof = merkle.inclusion_proof(leaves, count // 2)
    assert merkle.verify_inclusion(leaves[count // 2], count // 2, count, proof, root)
    seed = draw_seed(
        event_id=1, ballot_count=count, root=root, round_number=1, randomness=secrets.token_bytes(32)
    )
    started = time.perf_counter()
    winner = verifiable_winner(seed, count)
    draw_ms = (time.perf_counter() - started) * 1000
    print(
        f"ballots {count}: root {root_seconds:.3f} s, proof {len(proof)} hashes, "
        f"draw {draw_ms:.3f} ms (#{winner})"
    )


if __name__ == "__main__":
    main()
