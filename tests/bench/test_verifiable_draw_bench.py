"""bench.verifiable_draw runs end to end in a small mode, so it cannot rot (its figures are not checked)."""

from __future__ import annotations

from bench import verifiable_draw


async def test_the_verifiable_draw_bench_freezes_proves_and_draws_against_its_baselines() -> None:
    outcomes = await verifiable_draw.run(ballots=3000, rounds=2)

    assert [o.figure.split(" ")[0] for o in outcomes] == ["freeze", "inclusion", "draw:"]
    assert outcomes[1].measured == "12 hashes"  # ceil(log2(3000))
    assert all(o.ratio is None or o.ratio > 0 for o in outcomes)
