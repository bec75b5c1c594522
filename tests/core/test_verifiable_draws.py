"""The pure parts of the verifiable draw: Merkle commitments, the beacon round, the seed and the winner."""

from __future__ import annotations

import hashlib

import pytest

from core import draws, merkle
from core.beacon import BeaconRound, first_round_at_or_after, randomness_matches, round_time
from core.draws import ballot_leaf, draw_seed, verifiable_winner

# A real drand quicknet round (from noislabs/drand-verify's test vectors).
ROUND_657413 = BeaconRound(
    round_number=657413,
    signature=bytes.fromhex(
        "b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b"
    ),
    randomness=bytes.fromhex("fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587"),
)

# Golden vectors: (event, N, root, round) with round 657413's randomness -> (seed, winner).
GOLDEN = [
    (1, 1, b"\x00" * 32, 657413, "fa68a0631e0c4f186efe6cfa7c8de2dd66008f497846156eacecf72ac68759d9", 1),
    (7, 10, b"\x11" * 32, 657413, "bfa75b1a820a33c3d4ea093c65d86b9e26c459d6bacb88fcfab977504960c93e", 3),
    (
        42,
        1000003,
        b"\xab" * 32,
        1,
        "954a22eb6815d65321a42f255a9adfda5395a28fc3539f399f8dc79b25598050",
        877594,
    ),
]


def test_recorded_round_randomness_is_sha256_of_its_signature() -> None:
    assert randomness_matches(ROUND_657413)
    tampered = BeaconRound(657413, ROUND_657413.signature[:-1] + b"\x00", ROUND_657413.randomness)
    assert not randomness_matches(tampered)


def test_round_r_is_the_first_round_at_or_after_the_given_time() -> None:
    r = first_round_at_or_after(round_time(657413))
    assert r == 657413
    assert first_round_at_or_after(round_time(657413) + 0.5) == 657414
    assert round_time(first_round_at_or_after(1_800_000_000 + 30)) >= 1_800_000_030
    assert round_time(first_round_at_or_after(1_800_000_000 + 30) - 1) < 1_800_000_030


@pytest.mark.parametrize(("event", "count", "root", "round_number", "seed_hex", "winner"), GOLDEN)
def test_golden_vectors(
    event: int, count: int, root: bytes, round_number: int, seed_hex: str, winner: int
) -> None:
    seed = draw_seed(
        event_id=event,
        ballot_count=count,
        root=root,
        round_number=round_number,
        randomness=ROUND_657413.randomness,
    )
    assert seed.hex() == seed_hex
    assert verifiable_winner(seed, count) == winner


def test_every_seed_input_changes_the_seed() -> None:
    base = {"event_id": 7, "ballot_count": 10, "root": b"\x11" * 32, "round_number": 657413}
    seed = draw_seed(randomness=ROUND_657413.randomness, **base)  # type: ignore[arg-type]
    for key, other in [
        ("event_id", 8),
        ("ballot_count", 11),
        ("root", b"\x12" * 32),
        ("round_number", 657414),
    ]:
        changed = {**base, key: other}
        assert draw_seed(randomness=ROUND_657413.randomness, **changed) != seed  # type: ignore[arg-type]
    assert draw_seed(randomness=b"\x00" * 32, **base) != seed  # type: ignore[arg-type]


# N -> 99% critical value of chi-square with N - 1 degrees of freedom (N = 3, 7, 10 are not powers of two).
CHI2_99 = {2: 6.635, 3: 9.210, 7: 16.812, 10: 21.666, 16: 30.578}


@pytest.mark.parametrize("count", sorted(CHI2_99))
def test_winners_are_uniform_chi_square_99(count: int) -> None:
    """A coarse check that the draw is not grossly skewed (a wrong modulus, an off-by-one, a stuck stream).

    It cannot catch modulo bias: with 256-bit blocks and N this small, plain `value % N` is biased by
    about N / 2**256, far below anything 3,000 draws per number could show. The rejection sampling that
    removes that bias is tested exactly by
    test_the_rejection_limit_leaves_every_number_the_same_share below.
    """
    draws = 3000 * count
    observed = [0] * count
    for i in range(draws):
        seed = hashlib.sha256(b"uniformity" + i.to_bytes(8, "big")).digest()
        observed[verifiable_winner(seed, count) - 1] += 1
    expected = draws / count
    chi2 = sum((o - expected) ** 2 / expected for o in observed)
    assert chi2 < CHI2_99[count], (count, observed)


def test_a_draw_needs_a_ballot() -> None:
    with pytest.raises(ValueError, match="at least one ballot"):
        verifiable_winner(b"\x00" * 32, 0)


def test_merkle_proofs_hold_for_every_leaf_and_fail_when_tampered() -> None:
    for size in range(1, 34):
        leaves = [
            merkle.leaf_hash(ballot_leaf(event_id=1, number=n, receipt=bytes([n]) * 16)) for n in range(size)
        ]
        root = merkle.root(leaves)
        for index in range(size):
            proof = merkle.inclusion_proof(leaves, index)
            assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
            assert not merkle.verify_inclusion(b"\x00" * 32, index, size, proof, root)
            if proof:
                bad = [b"\x00" * 32, *proof[1:]]
                assert not merkle.verify_inclusion(leaves[index], index, size, bad, root)


def test_merkle_root_matches_rfc6962_for_small_trees() -> None:
    a, b, c = (merkle.leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle.root([a]) == a
    assert merkle.root([a, b]) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)
    assert merkle.root([]) == hashlib.sha256(b"").digest()


def test_a_proof_is_about_log2_n_hashes() -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(1 << 10)]
    assert len(merkle.inclusion_proof(leaves, 517)) == 10


def _rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 section 2.1 defines it, recursively, to hold the level-by-level build to."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_rfc6962_root(leaves[:k]), _rfc6962_root(leaves[k:]))


def _rfc6962_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1, recursively."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*_rfc6962_path(index, leaves[:k]), _rfc6962_root(leaves[k:])]
    return [*_rfc6962_path(index - k, leaves[k:]), _rfc6962_root(leaves[:k])]


@pytest.mark.parametrize("size", range(1, 70))
def test_roots_and_paths_match_the_recursive_rfc_6962_definition(size: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    expected_root = _rfc6962_root(leaves)
    assert merkle.root(leaves) == expected_root
    for index in range(size):
        path = merkle.inclusion_proof(leaves, index)
        assert path == _rfc6962_path(index, leaves)
        assert merkle.verify_inclusion(leaves[index], index, size, path, expected_root)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 10, 1000, 999_983, 2**64 + 13])
def test_the_rejection_limit_leaves_every_number_the_same_share(count: int) -> None:
    limit = draws.rejection_limit(count)
    assert limit % count == 0  # every number owns limit // count accepted blocks
    assert 0 <= 2**256 - limit < count  # and no larger multiple fits below 2**256
