"""Check a lottery draw record with nothing but Python's standard library.

    python -m core.verify [--online [--drand-url URL ...]] RECORD.json [NEXT_RECORD.json ...]
        (or a record's JSON, as /verify gives it)
    python -m core.verify proof PROOF.json      (or the proof's JSON itself, as the bot's /proof gives it)

For each record: its record_hash is the hash of its frozen part (what was announced at close); the
round follows from the freeze time and the delay (drand quicknet), or, for the weaker local
commit-reveal, the revealed randomness matches the commitment published at freeze; the randomness is
SHA-256 of its signature; the seed follows from the version, event, ballot count, Merkle root, round
and randomness; the winner follows from the seed; every inclusion proof given leads to the root; and
each record names the record_hash of the one before it (give records in the order they were
frozen, as each names the one frozen before it; that is day order unless a freeze failed).

Offline, nothing here can tell a real drand round from bytes made up to look like one: a made-up
signature whose SHA-256 is the "randomness" passes every check above. So for each drand record the
verifier prints the drand URL of round R and the randomness it must give, and says whether the bot
checked R's BLS signature when it drew (it does unless its operator turned the check off, which the
record then says). With --online it fetches round R itself (from --drand-url mirrors, by default
drand's own) and fails unless the signature and randomness are those in the record.
Exit status 0 means every check passed; anything else prints what failed. Deliberately independent
of the bot's own code. A lone proof: the leaf is SHA-256 of the version, event, number and the
holder's receipt, and its path leads to the root.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import urllib.request
from collections.abc import Sequence
from typing import Any

VERSION = "lottery-draw-v1"
QUICKNET_GENESIS, QUICKNET_PERIOD = 1692803367, 3
QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
DRAND_URLS = ("https://api.drand.sh", "https://drand.cloudflare.com")
FROZEN = (
    "version",
    "event_id",
    "day",
    "beacon",
    "ballot_count",
    "root",
    "frozen_at",
    "delay",
    "round",
    "commitment",
    "committed_at",
    "previous_record_hash",
)


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def record_hash(record: dict[str, Any]) -> str:
    """Hash of the record's frozen part (canonical JSON), announced at close and named by the next record.

    The rest of a record follows from its frozen part and the beacon, so the chain commits to it too.
    """
    public = {name: record.get(name) for name in FROZEN}
    return hashlib.sha256(json.dumps(public, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def quicknet_round(unix_time: int) -> int:
    """The first drand quicknet round published at or after `unix_time`."""
    if unix_time <= QUICKNET_GENESIS:
        return 1
    return -(-(unix_time - QUICKNET_GENESIS) // QUICKNET_PERIOD) + 1


def seed_of(record: dict[str, Any]) -> bytes:
    return hashlib.sha256(
        VERSION.encode()
        + _u64(record["event_id"])
        + _u64(record["ballot_count"])
        + bytes.fromhex(record["root"])
        + _u64(record["round"])
        + bytes.fromhex(record["randomness"])
    ).digest()


def winner_of(seed: bytes, count: int) -> int:
    """Rejection sampling over an HMAC-SHA256 counter stream: every number 1..count equally likely."""
    limit = (1 << 256) - (1 << 256) % count
    counter = 0
    while True:
        value = int.from_bytes(hmac.new(seed, _u64(counter), hashlib.sha256).digest(), "big")
        if value < limit:
            return value % count + 1
        counter += 1


def proof_holds(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2 inclusion check; leaves are hashed with 0x00, nodes with 0x01."""
    fn, sn, node = index, size - 1, hashlib.sha256(b"\x00" + leaf).digest()
    if not 0 <= index < size:
        return False
    for sibling in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == root


_U64, _HASH, _HEX = "an integer 0..2**64-1", "64 lowercase hex digits", "lowercase hex"
_RECORD = {
    "version": str,
    "event_id": _U64,
    "day": str,
    "beacon": str,
    "ballot_count": _U64,
    "root": _HASH,
    "frozen_at": _U64,
    "delay": _U64,
    "round": _U64,
    "record_hash": _HASH,
    "signature": _HEX,
    "randomness": _HASH,
    "seed": _HASH,
    "winning_number": _U64,
}
_PROOF = {
    "event_id": _U64,
    "number": _U64,
    "receipt": _HEX,
    "leaf": _HASH,
    "ballot_count": _U64,
    "root": _HASH,
}
_IN_RECORD = {"number": _U64, "leaf": _HASH}


def _fits(value: Any, kind: Any) -> bool:
    """Exactly one spelling per value, so a record that verifies has one hash (no true for 1, no 'AB')."""
    if kind == _U64:
        return type(value) is int and 0 <= value < 1 << 64
    if kind in (_HASH, _HEX):
        hex_ok = isinstance(value, str) and len(value) % 2 == 0 and set(value) <= set("0123456789abcdef")
        return hex_ok and (kind == _HEX or len(value) == 64)
    return isinstance(value, kind)


def shape_problems(document: Any, fields: dict[str, Any]) -> list[str]:
    """What is missing or mistyped, so that the checks after it meet only well-formed values."""
    if not isinstance(document, dict):
        return ["not a JSON object"]
    found = [f"{name} is not {kind}" for name, kind in fields.items() if not _fits(document.get(name), kind)]
    if not all(_fits(step, _HASH) for step in _list(document.get("path", []))):
        found.append("path is not a list of hashes")
    if fields is _RECORD:
        for name in ("previous_record_hash", "commitment"):
            optional = document.get(name)
            if optional is not None and not _fits(optional, _HASH):
                found.append(f"{name} is not {_HASH}")
        if document.get("bls_checked") not in (None, True, False):
            found.append("bls_checked is not true, false or null")
        for proof in _list(document.get("proofs", [])):
            found.extend(f"a proof: {problem}" for problem in shape_problems(proof, _IN_RECORD))
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [None]


def problems(record: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    """Every check that fails for one record; an empty list means it is sound."""
    found = shape_problems(record, _RECORD)
    if found:
        return found
    if record["version"] != VERSION:
        found.append(f"unknown version {record['version']!r}")
    if record["record_hash"] != record_hash(record):
        found.append("record_hash is not the hash of the frozen part")
    if record["beacon"] == "drand":
        if record.get("commitment") is not None or record.get("committed_at") is not None:
            found.append("a drand record carries no commitment")
        if record["round"] != quicknet_round(record["frozen_at"] + record["delay"]):
            found.append("round is not the first quicknet round at or after frozen_at + delay")
    elif record["beacon"] == "local":
        revealed = hashlib.sha256(bytes.fromhex(record["randomness"])).hexdigest()
        if record.get("commitment") != revealed:
            found.append("revealed randomness does not match the commitment")
        if record.get("committed_at") not in ("open", "freeze"):
            found.append("committed_at is not 'open' or 'freeze'")
    else:
        found.append(f"unknown beacon {record['beacon']!r}")
    if hashlib.sha256(bytes.fromhex(record["signature"])).hexdigest() != record["randomness"]:
        found.append("randomness is not SHA-256 of the beacon signature")
    seed = seed_of(record)
    if seed.hex() != record["seed"]:
        found.append("seed does not follow from the record")
    if record["ballot_count"] < 1 or winner_of(seed, record["ballot_count"]) != record["winning_number"]:
        found.append("winning number does not follow from the seed")
    root = bytes.fromhex(record["root"])
    for proof in record.get("proofs", []):
        leaf = bytes.fromhex(proof["leaf"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        if not proof_holds(leaf, proof["number"] - 1, record["ballot_count"], path, root):
            found.append(f"inclusion proof for ballot #{proof['number']} does not reach the root")
    if previous is not None and record.get("previous_record_hash") != record_hash(previous):
        found.append("previous_record_hash does not match the previous record")
    return found


def round_url(record: dict[str, Any], base: str = DRAND_URLS[0]) -> str:
    return f"{base.rstrip('/')}/{QUICKNET_CHAIN}/public/{record['round']}"


def notes(record: dict[str, Any]) -> list[str]:
    """What a reader must check by hand: only drand itself can say a round's randomness is real."""
    if record.get("beacon") == "local":
        if record.get("committed_at") == "open":
            return ["local commit-reveal: the commitment was published when the event opened"]
        return ["WARNING: local commit-reveal committed only at freeze (an event older than commitments)"]
    if record.get("beacon") != "drand":
        return []
    said = {
        True: "the bot checked round {r}'s BLS signature against quicknet's key before drawing",
        False: "WARNING: the bot did NOT check round {r}'s BLS signature (DRAW_BEACON_VERIFY_BLS=false)",
        None: "the record does not say whether the bot checked round {r}'s BLS signature",
    }
    return [
        f"compare with drand: {round_url(record)} must give randomness {record['randomness']}",
        said[record.get("bls_checked")].format(r=record["round"]),
    ]


def online_problems(record: dict[str, Any], urls: Sequence[str], timeout: float = 10.0) -> list[str]:
    """Fetch round R from the first mirror that answers and compare it with the record."""
    if record.get("beacon") != "drand":
        return []
    failures = []
    for base in urls:
        url = round_url(record, base)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                answer = json.loads(response.read())
            signature, randomness = answer["signature"], answer["randomness"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        found = []
        if answer.get("round") != record["round"]:
            found.append(f"drand at {url} answered another round")
        if signature != record["signature"]:
            found.append(f"signature is not round {record['round']}'s signature at {url}")
        if randomness != record["randomness"]:
            found.append(f"randomness is not round {record['round']}'s randomness at {url}")
        return found
    return [f"could not fetch round {record['round']} from drand: " + "; ".join(failures)]


def proof_problems(proof: dict[str, Any]) -> list[str]:
    """Every check that fails for one ballot's proof; the receipt is what ties the leaf to its holder."""
    found = shape_problems(proof, _PROOF)
    if found:
        return found
    leaf = hashlib.sha256(
        VERSION.encode() + _u64(proof["event_id"]) + _u64(proof["number"]) + bytes.fromhex(proof["receipt"])
    ).digest()
    if leaf.hex() != proof["leaf"]:
        found.append("leaf does not follow from the event, number and receipt")
    path = [bytes.fromhex(h) for h in proof["path"]]
    if not proof_holds(leaf, proof["number"] - 1, proof["ballot_count"], path, bytes.fromhex(proof["root"])):
        found.append(f"inclusion proof for ballot #{proof['number']} does not reach the root")
    return found


def check_proof(source: str) -> int:
    """Check one proof given as a file or, when it starts with '{', as the JSON itself."""
    try:
        proof = json.loads(source if source.lstrip().startswith("{") else _read(source))
        found = proof_problems(proof)
    except (OSError, ValueError) as exc:
        found = [f"unreadable proof: {exc}"]
    for problem in found:
        print(f"FAIL {problem}")
    if not found:
        print(f"OK, ballot #{proof['number']} is one of {proof['ballot_count']} under root {proof['root']}")
    return 1 if found else 0


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def _options(arguments: list[str]) -> tuple[bool, list[str], list[str]] | None:
    """(--online, --drand-url values, record paths), or None when an option lacks its value."""
    online, urls, paths = False, [], []
    rest = iter(arguments)
    for argument in rest:
        if argument == "--online":
            online = True
        elif argument == "--drand-url":
            url = next(rest, None)
            if url is None:
                return None
            urls.append(url)
        else:
            paths.append(argument)
    return online, urls or list(DRAND_URLS), paths


def main(arguments: list[str]) -> int:
    if len(arguments) == 2 and arguments[0] == "proof":
        return check_proof(arguments[1])
    options = _options(arguments)
    if options is None or not options[2]:
        print(__doc__)
        return 2
    online, urls, paths = options
    previous = None
    failed = False
    for number, path in enumerate(paths, start=1):
        inline = path.lstrip().startswith("{")
        try:
            record = json.loads(path if inline else _read(path))
            found = problems(record, previous)
            if online and not found:
                found = online_problems(record, urls)
        except (OSError, ValueError) as exc:
            record, found = None, [f"unreadable record: {exc}"]
        path = f"record {number}" if inline else path
        for problem in found:
            print(f"{path}: FAIL {problem}")
        if not found:
            print(f"{path}: OK, ballot #{record['winning_number']} of {record['ballot_count']} wins")
            if online and record["beacon"] == "drand":
                print(f"{path}: round {record['round']} fetched from drand matches the record")
            for note in notes(record):
                print(f"{path}: {note}")
        failed = failed or bool(found)
        previous = record if isinstance(record, dict) else {}  # an unreadable link breaks the chain
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
