"""What the bot says about verifiable draws: frozen and drawn records, /verify, and the export.

Every text is rendered when it is sent, in the language active for the update (or the one a notice
is rendered in): no `_()` runs at import time.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from bot import formatting
from bot.i18n import _, active, ngettext
from core.beacon import QUICKNET_CHAIN_HASH
from core.notifications import Notice, NoticeKind
from core.records import PublicRecord
from core.results import DrawResult, WinnerInfo
from core.verify import DRAND_URLS


def _day(record: PublicRecord) -> str:
    """The lottery's day in words ("May 1, 2024"); commands keep the ISO form a player can type."""
    return formatting.day(record.day, active())


def _ballots(count: int) -> str:
    return formatting.ballots(count, active())


def _when(record: PublicRecord) -> str:
    return record.draw_after.strftime("%Y-%m-%d %H:%M:%S UTC")


def _source(record: PublicRecord) -> str:
    """Where the randomness comes from, in one clause."""
    if record.beacon == "drand":
        return _("drand quicknet round {round} (published {when})").format(
            round=record.round, when=_when(record)
        )
    return _("the reveal of the server secret committed to as {commitment} (weaker: local mode)").format(
        commitment=record.commitment
    )


def frozen_notice(record: PublicRecord) -> str:
    """The frozen record, announced before its randomness exists.

    A notice held up past the draw (a Telegram outage) no longer says the randomness is unknown.
    """
    if record.drawn:
        return _(
            "The lottery of {day} was closed with {ballots} frozen (Merkle root {root}, "
            "record hash {hash}) and has been drawn from {source}. Check it yourself: /verify {iso}"
        ).format(
            day=_day(record),
            iso=record.day.isoformat(),
            ballots=_ballots(record.ballot_count),
            root=record.root,
            hash=record.record_hash,
            source=_source(record),
        )
    return ngettext(
        "The lottery of {day} is closed: its {count} ballot is frozen.\n"
        "Merkle root: {root}\n"
        "Record hash: {hash}\n"
        "The winner will be drawn from {source}, which nobody can know yet. "
        "Once drawn, check it yourself: /verify {iso}",
        "The lottery of {day} is closed: its {count} ballots are frozen.\n"
        "Merkle root: {root}\n"
        "Record hash: {hash}\n"
        "The winner will be drawn from {source}, which nobody can know yet. "
        "Once drawn, check it yourself: /verify {iso}",
        record.ballot_count,
    ).format(
        day=_day(record),
        iso=record.day.isoformat(),
        count=record.ballot_count,
        root=record.root,
        hash=record.record_hash,
        source=_source(record),
    )


def drawn_notice(record: PublicRecord) -> str:
    """The drawn record, for a results channel."""
    return _(
        "The lottery of {day} is drawn: ballot #{number} of {count} wins.\n"
        "Randomness: {randomness}, from {source}.\n"
        "Record hash: {hash}. Check it yourself: /verify {iso}"
    ).format(
        day=_day(record),
        iso=record.day.isoformat(),
        number=record.winning_number,
        count=record.ballot_count,
        randomness=record.randomness,
        source=_source(record),
        hash=record.record_hash,
    )


def notice(notice: Notice) -> str:
    """The Telegram message for a frozen or drawn notice."""
    record = notice.record
    if record is None:
        raise ValueError(f"notice {notice.id} has no draw record")
    return frozen_notice(record) if notice.kind is NoticeKind.FROZEN else drawn_notice(record)


def record_line(notice: Notice) -> str:
    """Appended to winner and result notices: which record the result comes from."""
    record = notice.record
    if record is None or not record.drawn:
        return ""
    if record.beacon == "drand":
        return "\n" + _("Drawn with drand quicknet round {round}. Anyone can check it: /verify {iso}").format(
            round=record.round, iso=record.day.isoformat()
        )
    return "\n" + _(
        "Drawn by revealing the server secret committed to before the draw (local mode). "
        "Anyone can check it: /verify {iso}"
    ).format(iso=record.day.isoformat())


def waiting(info: WinnerInfo) -> str:
    """/winner for a frozen event: what the draw waits for."""
    if info.waiting_for_round:
        return _(
            "The lottery of {day} is closed with {ballots}; "
            "the draw is waiting for drand round {round}. /verify {iso} shows the frozen record."
        ).format(
            day=formatting.day(info.day, active()),
            iso=info.day.isoformat(),
            ballots=_ballots(info.ballot_count),
            round=info.waiting_for_round,
        )
    return _(
        "The lottery of {day} is closed with {ballots}; the draw is waiting for the reveal of its "
        "committed secret. /verify {iso} shows the frozen record."
    ).format(
        day=formatting.day(info.day, active()), iso=info.day.isoformat(), ballots=_ballots(info.ballot_count)
    )


def frozen_line(result: DrawResult) -> str:
    """A line of the admin's /close answer for an event whose draw waits."""
    if result.waiting_for_round:
        return _("{day}: {ballots} frozen; drawn from drand round {round} when it comes.").format(
            day=formatting.day(result.day, active()),
            ballots=_ballots(result.ballot_count),
            round=result.waiting_for_round,
        )
    return _("{day}: {ballots} frozen; drawn when the committed secret is revealed.").format(
        day=formatting.day(result.day, active()), ballots=_ballots(result.ballot_count)
    )


def document(record: PublicRecord) -> str:
    """The record as `python -m core.verify` reads it: compact JSON on one line."""
    return json.dumps(record.as_json(), separators=(",", ":"))


def verify_text(record: PublicRecord) -> str:
    """/verify: the whole public record, then the one-line command that checks it."""
    lines = [
        _("Draw record of the lottery of {day}").format(day=_day(record)),
        _("Version: {version}").format(version=record.version),
        _("Ballots (N): {count}").format(count=record.ballot_count),
        _("Merkle root: {root}").format(root=record.root),
        _("Frozen at: {at} (Unix time: {when}), delay {delay} s").format(
            at=record.frozen_at,
            when=formatting.moment(
                dt.datetime.fromtimestamp(record.frozen_at, dt.UTC), ZoneInfo("UTC"), active()
            )
            + " UTC",
            delay=record.delay,
        ),
        _("Randomness source: {source}").format(source=_source(record)),
        _("Previous record hash: {hash}").format(
            hash=record.previous_record_hash or _("none (first record)")
        ),
        _("Record hash: {hash}").format(hash=record.record_hash),
    ]
    if not record.drawn:
        lines.append(_("Not drawn yet: the draw is waiting for its randomness."))
        return "\n".join(lines)
    lines += [
        _("Signature: {signature}").format(signature=record.signature),
        _("Randomness: {randomness}").format(randomness=record.randomness),
        _("Seed: {seed}").format(seed=record.seed),
        _("Winning number: #{number}").format(number=record.winning_number),
        *_drand_lines(record),
        "",
        _("Check it yourself with the lottery's source code (Python standard library only):"),
        f"python -m core.verify '{document(record)}'",
    ]
    return "\n".join(lines)


def _drand_lines(record: PublicRecord) -> list[str]:
    """Only drand can say the randomness is real: where to compare it, and whether the bot checked BLS.

    A local record instead says when its commitment was published."""
    if record.beacon == "local":
        if record.committed_at == "open":
            return [_("The commitment was published when the lottery opened, before any ballot.")]
        return [_("Warning: this lottery predates commitments made at opening; it committed only at freeze.")]
    if record.beacon != "drand":
        return []
    lines = [
        _("Compare with drand: {url} must give this randomness (or add --online to the command).").format(
            url=f"{DRAND_URLS[0]}/{QUICKNET_CHAIN_HASH}/public/{record.round}"
        )
    ]
    if record.bls_checked is False:
        lines.append(_("Warning: the bot did not check this round's BLS signature."))
    return lines


def no_record(day: dt.date) -> str:
    return _(
        "The lottery of {day} has no draw record: it is still open, was cancelled, or had no ballots."
    ).format(day=formatting.day(day, active()))


def commitment_text(day: dt.date, commitment: str) -> str:
    """/verify DATE of an open lottery in local mode: the commitment its draw will reveal."""
    return _(
        "The lottery of {day} is still open. Its draw will reveal the server secret committed to as "
        "{commitment} (weaker: local mode). /verify {iso} after the draw shows the reveal."
    ).format(day=formatting.day(day, active()), iso=day.isoformat(), commitment=commitment)


def unreadable_day(text: str) -> str:
    return _(
        "I can't read “{text}” as a day. Try /verify yesterday, /verify 1.5.2024 or /verify 2024-5-1."
    ).format(text=text)


def no_records() -> str:
    return _("No lottery has been frozen for a draw yet.")


def export_caption(record: PublicRecord) -> str:
    return _("Record of {day}. Check it: python -m core.verify record-{day}.json").format(
        day=record.day.isoformat()
    )


def export_not_drawn(record: PublicRecord) -> str:
    """/exportrecord of a frozen record: nothing to verify yet, and what it waits for."""
    day = record.day.isoformat()
    if record.beacon == "drand":
        return _(
            "The lottery of {day} is not drawn yet: it is waiting for drand round {round}. "
            "Export it once drawn; /verify {day} shows the frozen record."
        ).format(day=day, round=record.round)
    return _(
        "The lottery of {day} is not drawn yet: it is waiting for the reveal of its committed secret. "
        "Export it once drawn; /verify {day} shows the frozen record."
    ).format(day=day)


def export_usage() -> str:
    return _("Usage: /exportrecord YYYY-MM-DD")
