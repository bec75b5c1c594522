"""What the bot says: every reply rendered from core's results, as plain text (no markup to escape)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot import draw_texts, formatting
from bot.i18n import _, active
from core.history import HistoryPage
from core.notifications import Notice, NoticeKind, OutboxOverview
from core.receipts import BallotProof, TodayReceipts
from core.results import (
    CancelResult,
    DrawResult,
    EventInfo,
    EventStatus,
    Invoice,
    JoinResult,
    LedgerKind,
    OrderPayment,
    PaymentReceipt,
    PlayerSummary,
    Profile,
    PurchaseReceipt,
    RefundablePayment,
    RefundReceipt,
    Stats,
    WinnerInfo,
)

TELEGRAM_LIMIT = 4096
MAX_LISTED_NUMBERS = 60

PLAYER_HELP = """How it works: every day one lottery runs. At midnight ({timezone}) one ballot \
is drawn at random and its owner wins.

/join – enter today's lottery
/pay N – pay for N ballots (credit stays yours until spent)
/buy N – turn credit into N ballots
/mytickets – your ballots today, with their receipts
/proof N – proof that your ballot #N is counted in the draw
/me – your profile and credit
/email ADDRESS – where to email you if you win
/history – payments, purchases, refunds and ballots
/refund – get an unused payment back
/events – today's lottery and the ones around it
/winner [YYYY-MM-DD] – the winning ballot of a day
/verify [YYYY-MM-DD] – the public draw record of a day, to check yourself
/deleteme – delete your data"""

ADMIN_HELP = """Admin commands:
/close – close every open lottery now and draw
/newevent DATE [PRICE] [TITLE] – create a lottery ahead
/editevent DATE price N | title TEXT – change terms while unsold
/deleteevent DATE – delete an unsold lottery
/cancelevent DATE – cancel an open lottery, refunding every ballot
/users [PAGE] – registered players
/stats – totals
/exportrecord DATE – a day's draw record as a JSON file"""

GROUP_ONLY_PRIVATE = "Let's do that in a private chat: open a chat with me and send the command there."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
PLAIN_TEXT = "I work with commands. Send /help to see them."
SLOW_DOWN = "Easy there! Please wait a few seconds between commands."
NOT_ADMIN = "That command is for the lottery's admins."
STALE_BUTTON = "This button has expired. Send the command again."


def ballots(numbers: Iterable[int], *, total: int = 0) -> str:
    """The numbers (at most a page of them), and how many more of `total` there are."""
    listed = list(numbers)
    total = max(total, len(listed))
    shown = ", ".join(f"#{n}" for n in listed[:MAX_LISTED_NUMBERS])
    if total > MAX_LISTED_NUMBERS:
        shown += f" … and {total - MAX_LISTED_NUMBERS} more"
    return shown or "none"


def ballot_range(numbers: range) -> str:
    if len(numbers) > 3:
        return f"#{numbers[0]} to #{numbers[-1]}"
    return ballots(numbers)


def fit(text: str) -> str:
    """Keep a reply within Telegram's message limit."""
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 2] + " …"


def welcome(profile: Profile, *, new: bool, timezone: ZoneInfo) -> str:
    name = profile.first_name or "there"
    greeting = f"Welcome, {name}! You are registered." if new else f"Welcome back, {name}!"
    return f"{greeting}\n\n{PLAYER_HELP.format(timezone=timezone.key)}"


def help_text(*, timezone: ZoneInfo, admin: bool) -> str:
    text = PLAYER_HELP.format(timezone=timezone.key)
    return f"{text}\n\n{ADMIN_HELP}" if admin else text


def profile(p: Profile) -> str:
    lines = [
        f"Name: {p.first_name or '-'}" + (f" (@{p.username})" if p.username else ""),
        f"Email: {p.email or 'not set (use /email)'}",
        f"Credit: {p.balance} {p.currency}",
        f"Today's ballots: {ballots(p.today_ballots, total=p.today_ballot_count)}",
    ]
    return "\n".join(lines)


def email_saved(p: Profile) -> str:
    return f"Saved. If you win, we'll also email {p.email}."


def event_line(event: EventInfo) -> str:
    state = {
        EventStatus.OPEN: "open",
        EventStatus.CLOSED: "closed",
        EventStatus.CANCELLED: "cancelled",
    }[event.status]
    line = (
        f"{event.day.isoformat()} – {event.title}: {state}, {event.ballot_count} ballots, "
        f"{event.price} {event.currency} each"
    )
    if event.winning_number is not None:
        line += f", winning ballot #{event.winning_number}"
    return line


def events(listing: list[EventInfo]) -> str:
    return "Lotteries:\n" + "\n".join(event_line(e) for e in listing)


def joined(result: JoinResult) -> str:
    event = result.event
    first = "You're in" if result.newly_joined else "You had already joined"
    return (
        f"{first}: {event.title}. {event.participants} player(s) so far.\n"
        f"A ballot costs {event.price} {event.currency}. Pay with /pay N, then buy with /buy N."
    )


def paid(receipt: PaymentReceipt) -> str:
    if not receipt.newly_credited:
        return f"That payment was already credited. Your credit: {receipt.balance} {receipt.currency}."
    return (
        f"Payment received: {receipt.amount} {receipt.currency} (transaction {receipt.charge_id}).\n"
        f"Your credit: {receipt.balance} {receipt.currency}. Buy ballots with /buy N."
    )


def bought(receipt: PurchaseReceipt) -> str:
    count = len(receipt.numbers)
    noun = "ballot" if count == 1 else "ballots"
    return (
        f"You bought {count} {noun} for {receipt.day.isoformat()}: {ballot_range(receipt.numbers)}.\n"
        f"Spent {receipt.spent} {receipt.currency}; credit left: {receipt.balance} {receipt.currency}. "
        "Good luck!"
    )


def my_tickets(p: Profile) -> str:
    if not p.today_ballots:
        return "You have no ballots today. /join, /pay and /buy to get some."
    count = max(p.today_ballot_count, len(p.today_ballots))
    return f"Your ballots today ({count}): {ballots(p.today_ballots, total=count)}"


def my_receipts(today: TodayReceipts) -> str:
    """Each ballot with its receipt, one a line, so a buyer can copy the receipt and keep it."""
    if not today.ballots:
        return "You have no ballots today. /join, /pay and /buy to get some."
    held = max(today.held, len(today.ballots))
    lines = [f"Your ballots today ({held}), each with its private receipt:"]
    for ballot in today.ballots[:MAX_LISTED_NUMBERS]:
        lines.append(f"#{ballot.number} {ballot.receipt or '(no receipt: bought before receipts)'}")
    if held > MAX_LISTED_NUMBERS:
        lines.append(f"… and {held - MAX_LISTED_NUMBERS} more")
    lines.append("Keep receipts to yourself. /proof N shows that ballot #N is counted in the draw.")
    return "\n".join(lines)


def ballot_proof(proof: BallotProof) -> str:
    """The proof in words, then as one command anyone can run with the project's verifier."""
    document = json.dumps(proof.as_json(), separators=(",", ":"))
    return (
        f"Ballot #{proof.number} of {proof.day.isoformat()} is one of {proof.ballot_count} ballots.\n"
        f"Receipt: {proof.receipt}\n"
        f"Leaf: {proof.leaf}\n"
        f"Current Merkle root: {proof.root}\n"
        f"Audit path ({len(proof.path)} hashes): {' '.join(proof.path) or '(none: the only ballot)'}\n\n"
        "Check it yourself with the lottery's source code:\n"
        f"python -m core.verify proof '{document}'"
    )


def _ledger_words(kind: LedgerKind) -> str:
    match kind:
        case LedgerKind.PAYMENT:
            return _("payment")
        case LedgerKind.PURCHASE:
            return _("bought ballots")
        case LedgerKind.REFUND:
            return _("refund")
        case LedgerKind.REFUND_REVERSED:
            return _("refund failed, credit restored")
        case LedgerKind.EVENT_CANCELLED:
            return _("lottery cancelled, ballots refunded")


def history(h: HistoryPage, *, timezone: ZoneInfo) -> str:
    """One page of /history: money lines, then ballot days with their numbers as ranges (#3–#57)."""
    t = active()
    lines = [
        _("Credit: {amount}").format(amount=f"{h.balance} {h.currency}"),
        "",
        _("Money (page {page}):").format(page=h.page + 1),
    ]
    for line in h.ledger:
        when = line.at.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
        what = _ledger_words(line.kind)
        if line.quantity:
            what += f" ×{line.quantity}"
        if line.day:
            what += f" ({line.day.isoformat()})"
        lines.append(f"{when}  {line.amount:+d} {h.currency}  {what}")
    if not h.ledger:
        lines.append(_("nothing yet") if h.page == 0 else _("no more"))
    lines += ["", _("Ballots:")]
    for held in h.days:
        numbers = formatting.ballot_ranges(held.numbers)
        if held.one_run and held.held > 1:
            numbers = f"#{held.numbers[0]}–#{held.last}"
        elif held.held > len(held.numbers):
            numbers += " " + _("… and {count} more").format(count=held.held - len(held.numbers))
        day_line = _("{day}: {ballots}: {numbers}").format(
            day=held.day.isoformat(), ballots=formatting.ballots(held.held, t), numbers=numbers
        )
        if held.winning_number is not None:
            day_line += " – " + (
                _("WON!") if held.won else _("winner was #{number}").format(number=held.winning_number)
            )
        elif held.status is EventStatus.CANCELLED:
            day_line += " – " + _("cancelled")
        lines.append(day_line)
    if not h.days:
        lines.append(_("none yet") if h.page == 0 else _("no more"))
    return fit("\n".join(lines))


def refundable(payments: list[RefundablePayment]) -> str:
    if not payments:
        return "You have no payment that can be refunded whole right now (spent credit cannot be refunded)."
    return "Which payment should go back? Each is refunded whole:"


def refund_button(payment: RefundablePayment) -> str:
    return f"{payment.amount} {payment.currency} paid {payment.paid_at:%Y-%m-%d %H:%M} UTC"


def refunded(receipt: RefundReceipt) -> str:
    return (
        f"Refunded {receipt.amount} {receipt.currency}. "
        f"Your credit is now {receipt.balance} {receipt.currency}."
    )


def winner(info: WinnerInfo | None) -> str:
    if info is None:
        return "No lottery has been drawn yet."
    day = info.day.isoformat()
    if info.status is EventStatus.CANCELLED:
        return f"The lottery of {day} was cancelled."
    if info.status is EventStatus.OPEN:
        return f"The lottery of {day} has not been drawn yet ({info.ballot_count} ballots so far)."
    if info.waiting_for_round is not None:
        return draw_texts.waiting(info)
    if info.winning_number is None:
        return f"The lottery of {day} closed with no ballots, so there was no draw."
    return (
        f"Lottery of {day}: the winning ballot is #{info.winning_number} of {info.ballot_count}, "
        f"held by {info.winner_name}."
    )


def draws(results: list[DrawResult]) -> str:
    if not results:
        return "There was no open lottery to close."
    lines = []
    for r in results:
        if r.winning_number is None and r.waiting_for_round is not None:
            lines.append(draw_texts.frozen_line(r))
        elif r.winning_number is None:
            lines.append(f"{r.day.isoformat()}: closed with no ballots.")
        else:
            lines.append(f"{r.day.isoformat()}: ballot #{r.winning_number} of {r.ballot_count} wins.")
    return "Closed:\n" + "\n".join(lines) + "\nThe players are being notified."


def cancelled(result: CancelResult) -> str:
    return (
        f"The lottery of {result.day.isoformat()} is cancelled; "
        f"{result.refunded_amount} went back to {result.refunded_players} player(s) as credit."
    )


def users(page: list[PlayerSummary], total: int, page_number: int) -> str:
    if not page:
        return f"No players on page {page_number} ({total} in all)."
    lines = [f"Players, page {page_number} ({total} in all):"]
    for p in page:
        handle = f"@{p.username}" if p.username else (p.first_name or "-")
        lines.append(f"{p.telegram_id}  {handle}  credit {p.balance}")
    return fit("\n".join(lines))


def stats(s: Stats) -> str:
    return (
        f"Players: {s.players}\nLotteries: {s.events} ({s.open_events} open)\nBallots: {s.ballots}\n"
        f"Paid in: {s.paid_in} {s.currency}\nRefunded: {s.refunded} {s.currency}\n"
        f"Unspent credit: {s.credit_outstanding} {s.currency}"
    )


def notice_text(notice: Notice) -> str:
    """The Telegram message for an outbox notice."""
    day = notice.day.isoformat()
    match notice.kind:
        case NoticeKind.WINNER:
            return (
                f"🎉 You won the lottery of {day}! Your ballot #{notice.winning_number} was drawn "
                f"out of {notice.ballot_count}."
            ) + draw_texts.record_line(notice)
        case NoticeKind.RESULT if notice.winning_number is None:
            return f"The lottery of {day} closed with no ballots, so there was no draw."
        case NoticeKind.RESULT:
            return (
                f"The lottery of {day} is drawn: ballot #{notice.winning_number} of {notice.ballot_count} "
                "wins. Not yours this time – today's lottery is open: /join"
            ) + draw_texts.record_line(notice)
        case NoticeKind.CANCELLED:
            return f"The lottery of {day} was cancelled. Any ballots you had went back to your credit."
        case NoticeKind.FROZEN | NoticeKind.DRAWN:
            return draw_texts.notice(notice)
    raise ValueError(notice.kind)


def winner_email(notice: Notice) -> tuple[str, str]:
    """Subject and body of the email to a winner."""
    day = notice.day.isoformat()
    subject = f"You won the lottery of {day}"
    body = (
        f"Congratulations!\n\nYour ballot #{notice.winning_number} was drawn out of {notice.ballot_count} "
        f"in the lottery of {day} ({notice.title}).\n"
    )
    return subject, body


def pay_picker() -> str:
    return "How many ballots do you want to pay for? Nothing is charged until you choose."


def pay_other() -> str:
    return "Send /pay with the number of ballots you want, e.g. /pay 3."


# Telegram's limits for an invoice: title 1-32 characters, description 1-255.
MAX_INVOICE_TITLE = 32
MAX_INVOICE_DESCRIPTION = 255


def invoice_title(invoice: Invoice) -> str:
    noun = "ballot" if invoice.quantity == 1 else "ballots"
    return f"{invoice.quantity} {noun}"[:MAX_INVOICE_TITLE]


def invoice_description(invoice: Invoice) -> str:
    text = (
        f"Credit for {invoice.quantity} x {invoice.unit_price} {invoice.currency} in "
        f"{invoice.event_title}. Turn it into ballots with /buy after paying; unspent credit carries over."
    )
    return text[:MAX_INVOICE_DESCRIPTION]


def stars_paid(payment: OrderPayment) -> str:
    receipt = payment.receipt
    if not receipt.newly_credited:
        return paid(receipt)
    lines = [
        f"Payment received: {receipt.amount} {receipt.currency}.",
        f"Your credit: {receipt.balance} {receipt.currency}, enough for {receipt.affordable} ballot(s).",
    ]
    if payment.carried_over and payment.day is not None:
        lines.append(
            f"The lottery of {payment.day.isoformat()} was drawn before the payment arrived: "
            "the credit is yours and counts for the next lottery."
        )
    return "\n".join(lines)


def outbox_overview(overview: OutboxOverview, *, timezone: ZoneInfo) -> str:
    counts = overview.counts
    lines = [
        f"Outbox: {counts.pending} waiting, {counts.sent} sent, {counts.failed} failed, "
        f"{counts.quarantined} set aside as unreadable, {counts.cancelled} cancelled."
    ]
    if overview.oldest_pending is not None:
        since = overview.oldest_pending.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
        lines.append(f"The oldest waiting notice was queued {since}.")
    if overview.failures:
        lines.append("Latest failures:")
        lines += [f"#{f.id} {f.kind} by {f.channel}: {f.error[:200]}" for f in overview.failures]
    return "\n".join(lines)


def requeued(count: int) -> str:
    if count == 0:
        return "No failed notices to send again."
    if count == 1:
        return "1 failed notice will be sent again now."
    return f"{count} failed notices will be sent again now."
