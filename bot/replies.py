"""What the bot says: every reply rendered from core's results, as plain text (no markup to escape).

Every text is rendered when it is sent, in the language active for the player being answered
(`bot.i18n`): nothing here calls `_()` at import time. Amounts, counts and days go through
`bot.formatting`, so 250 EUR reads €2.50, Stars read ⭐, and one ballot is never "1 ballots".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import draw_texts, formatting
from bot.i18n import _, active, ngettext
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
    Prize,
    Profile,
    PublicName,
    PurchaseReceipt,
    RefundablePayment,
    RefundReceipt,
    Stats,
    WinnerInfo,
)

TELEGRAM_LIMIT = 4096
MAX_LISTED_NUMBERS = 60


def money(amount: int, currency: str) -> str:
    """An amount in minor units, in the active language: €2.50, ⭐ 10."""
    return formatting.money(amount, currency, active())


def day(value: dt.date) -> str:
    """A lottery day in words of the active language: November 24, 2026 / 24 ноября 2026 г."""
    return formatting.day(value, active())


def count_ballots(n: int) -> str:
    return formatting.ballots(n, active())


def count_players(n: int) -> str:
    return formatting.players(n, active())


def _custom_title(value: dt.date, title: str) -> str | None:
    """An event's own title, or None for the default one ("Lottery of 2024-05-01"), which would only
    repeat the date, in English, next to the date already written in the player's language."""
    return None if title == f"Lottery of {value.isoformat()}" else title


def lottery_name(value: dt.date, title: str) -> str:
    """ "the lottery of November 24, 2026", with its own title when an admin gave it one."""
    custom = _custom_title(value, title)
    if custom is None:
        return _("the lottery of {day}").format(day=day(value))
    return _("the lottery of {day} ({title})").format(day=day(value), title=custom)


def prize_name(prize: Prize) -> str:
    """What the winner wins: the admins' words, else the bot's neutral default (promising no sum)."""
    return prize.text or _("a gift from the lottery's admins")


def prize_rules(prize: Prize) -> str:
    return prize.rules or _("One ballot wins; the more ballots you hold, the better your chance.")


def prize_claim(prize: Prize) -> str:
    return prize.claim or _("Write to the lottery's admins to claim it.")


def prize_line(prize: Prize) -> str:
    """The prize and the rules line, as /events and the receipts show them."""
    return _("Prize: {prize}. {rules}").format(prize=prize_name(prize).rstrip("."), rules=prize_rules(prize))


def how_it_works(timezone: ZoneInfo) -> str:
    return _(
        "How it works: every day one lottery runs. At midnight ({timezone}) one ballot "
        "is drawn at random and its owner wins."
    ).format(timezone=timezone.key)


def player_commands() -> list[str]:
    """One line per command, each its own message for translators."""
    return [
        _("/join – enter today's lottery"),
        _("/pay N – pay for N ballots (credit stays yours until spent)"),
        _("/buy N – turn credit into N ballots"),
        _("/mytickets – your ballots today, with their receipts"),
        _("/proof N – proof that your ballot #N is counted in the draw"),
        _("/me – your profile and credit"),
        _("/email ADDRESS – where to email you if you win"),
        _("/history – payments, purchases, refunds and ballots"),
        _("/refund – get an unused payment back"),
        _("/events – today's lottery and the ones around it"),
        _("/winner [DAY] – the winning ballot of a day"),
        _("/verify [DAY] – the public draw record of a day, to check yourself"),
        _("/language – choose the bot's language"),
        _("/deleteme – delete your data"),
    ]


def player_help(timezone: ZoneInfo) -> str:
    return how_it_works(timezone) + "\n\n" + "\n".join(player_commands())


def admin_help() -> str:
    lines = [
        _("Admin commands:"),
        _("/close – close every open lottery now and draw"),
        _("/newevent DATE [PRICE] [TITLE] – create a lottery ahead"),
        _("/editevent DATE price N | title TEXT | prize TEXT | rules TEXT – change terms while unsold"),
        _("/deleteevent DATE – delete an unsold lottery"),
        _("/cancelevent DATE – cancel an open lottery, refunding every ballot"),
        _("/users [PAGE] – registered players"),
        _("/stats – totals"),
        _("/outbox – notices waiting, sent and failed"),
        _("/exportrecord DATE – a day's draw record as a JSON file"),
        _("/reconcile – check payments against Telegram's books"),
        _("/refund CHARGE_ID – refund any payment, after a confirmation"),
    ]
    return "\n".join(lines)


def choose_language() -> str:
    return _("Which language should I speak? Notices and emails will follow your choice.")


def language_chosen(name: str) -> str:
    return _("Done: I'll speak {language} with you from now on.").format(language=name)


def group_only_private() -> str:
    return _("Let's do that in a private chat: tap the button to open one with me.")


def unknown_command() -> str:
    return _("I don't know that command. Send /help to see what I can do.")


def plain_text() -> str:
    return _("I work with commands. Send /help to see them.")


def slow_down() -> str:
    return _("Easy there! Please wait a few seconds between commands.")


def not_admin() -> str:
    return _("That command is for the lottery's admins.")


def stale_button() -> str:
    return _("This button has expired. Send the command again.")


def ballots(numbers: Iterable[int], *, total: int = 0) -> str:
    """The numbers (at most a page of them), and how many more of `total` there are."""
    listed = list(numbers)
    total = max(total, len(listed))
    shown = ", ".join(formatting.number(n, active()) for n in listed[:MAX_LISTED_NUMBERS])
    if total > MAX_LISTED_NUMBERS:
        more = total - MAX_LISTED_NUMBERS
        shown += " " + ngettext("… and {count} more", "… and {count} more", more).format(count=more)
    return shown or _("none")


def ballot_range(numbers: range) -> str:
    return formatting.ballot_ranges(numbers, active())


def fit(text: str) -> str:
    """Keep a reply within Telegram's message limit."""
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 2] + " …"


@dataclass(frozen=True)
class Terms:
    """What a player should know before paying: the price, the limit and when the draw is."""

    price: int
    currency: str
    max_ballots: int
    timezone: ZoneInfo
    draw: dt.datetime
    now: dt.datetime


def welcome(profile: Profile, *, new: bool, terms: Terms) -> str:
    """Three lines, the last naming today's prize; the buttons under them lead on, /help has the rest."""
    if profile.first_name:
        greeting = (_("Welcome, {name}! You are registered.") if new else _("Welcome back, {name}!")).format(
            name=profile.first_name
        )
    else:
        greeting = _("Welcome! You are registered.") if new else _("Welcome back!")
    offer = _(
        "One lottery a day: a ballot costs {price}, and one ballot wins at midnight ({timezone})."
    ).format(price=money(terms.price, terms.currency), timezone=terms.timezone.key)
    today = _("Today's prize: {prize}.").format(prize=prize_name(profile.today_prize).rstrip("."))
    return f"{greeting}\n{offer} " + _("Tap a button below, or send /help for every command.") + f"\n{today}"


def start_buttons() -> tuple[str, str, str]:
    return _("How it works"), _("Today's lottery"), _("Buy")


def terms_text(terms: Terms) -> str:
    return ngettext(
        "A ballot costs {price}; up to {count} ballot in one purchase. "
        "Today's lottery is drawn at midnight ({timezone}), {countdown}.",
        "A ballot costs {price}; up to {count} ballots in one purchase. "
        "Today's lottery is drawn at midnight ({timezone}), {countdown}.",
        terms.max_ballots,
    ).format(
        price=money(terms.price, terms.currency),
        count=terms.max_ballots,
        timezone=terms.timezone.key,
        countdown=formatting.countdown(terms.draw, terms.now, active()),
    )


def help_text(*, terms: Terms, admin: bool) -> str:
    text = f"{player_help(terms.timezone)}\n\n{terms_text(terms)}"
    return f"{text}\n\n{admin_help()}" if admin else text


def group_help(timezone: ZoneInfo) -> str:
    """In a group, only what works in a group; the rest is one tap away in a private chat."""
    lines = [
        how_it_works(timezone),
        "",
        _("/events – today's lottery and the ones around it"),
        _("/winner [DAY] – the winning ballot of a day"),
        _("/help – this help"),
        "",
        _("To play, open a private chat with me."),
    ]
    return "\n".join(lines)


def private_chat_button() -> str:
    return _("Open a private chat")


def profile(p: Profile) -> str:
    name = p.first_name or "-"
    if p.username:
        name += f" (@{p.username})"
    lines = [
        _("Name: {name}").format(name=name),
        _("Email: {email}").format(email=p.email) if p.email else _("Email: not set (use /email)"),
        _("Credit: {amount}").format(amount=money(p.balance, p.currency)),
        _today_ballots(p),
        _("If you win, results name you: {how}").format(how=public_name_shown(p, p.public_name)),
    ]
    return "\n".join(lines)


def _today_ballots(p: Profile) -> str:
    if p.today_refunded:
        return ngettext(
            "Today's ballots: none; today's lottery was cancelled and your {count} ballot was refunded "
            "to your credit.",
            "Today's ballots: none; today's lottery was cancelled and your {count} ballots were refunded "
            "to your credit.",
            p.today_refunded,
        ).format(count=p.today_refunded)
    return _("Today's ballots: {numbers}").format(
        numbers=ballots(p.today_ballots, total=p.today_ballot_count)
    )


def public_name_shown(p: Profile, choice: PublicName) -> str:
    """What a public result would show for this player with `choice`, in their own words."""
    if choice is PublicName.ANONYMOUS or not p.first_name:
        return a_player()
    if choice is PublicName.FIRST_NAME_AND_USERNAME and p.username:
        return f"{p.first_name} (@{p.username})"
    return p.first_name


def a_player() -> str:
    """A winner who is not named."""
    return _("a player")


def public_name_button() -> str:
    return _("Change how results name me")


def public_name_question() -> str:
    return _(
        "When you win, /winner (in groups too) names the winner. How should it name you? "
        "Your @username is shown only if you choose it."
    )


def public_name_choices() -> list[tuple[PublicName, str]]:
    return [
        (PublicName.FIRST_NAME, _("First name")),
        (PublicName.FIRST_NAME_AND_USERNAME, _("First name and @username")),
        (PublicName.ANONYMOUS, _("Anonymous: “a player”")),
    ]


def public_name_chosen(p: Profile) -> str:
    return _("Saved. If you win, results name you: {how}").format(how=public_name_shown(p, p.public_name))


def email_usage() -> str:
    return _("Send your address after the command, e.g. /email name@example.com")


def email_saved(p: Profile) -> str:
    return _("Saved. If you win, we'll also email {email}.").format(email=p.email)


def delete_question() -> str:
    return _(
        "Delete your data? Your name and email are erased. Your ballots and payments stay, anonymous, "
        "so past draws remain verifiable. Unspent credit is forfeited: use /refund first."
    )


def delete_yes() -> str:
    return _("Yes, delete")


def cancel_button() -> str:
    return _("Cancel")


def delete_cancelled() -> str:
    return _("Deletion cancelled. Nothing changed.")


def deleted() -> str:
    return _("Your data is deleted. Send /start if you ever want to play again.")


def event_line(event: EventInfo) -> str:
    state = {
        EventStatus.OPEN: _("open"),
        EventStatus.CLOSED: _("drawn"),
        EventStatus.CANCELLED: _("cancelled"),
    }[event.status]
    if event.status is EventStatus.CLOSED and event.winning_number is None:
        # Frozen and waiting for its randomness, or closed with nothing to draw.
        state = _("closed, waiting for the draw") if event.ballot_count else _("closed, no draw")
    title = _custom_title(event.day, event.title)
    head = day(event.day) if title is None else f"{day(event.day)} – {title}"
    line = _("{lottery}: {state}, {ballots}, {price} each").format(
        lottery=head,
        state=state,
        ballots=count_ballots(event.ballot_count),
        price=money(event.price, event.currency),
    )
    if event.winning_number is not None:
        line += _(", winning ballot #{number}").format(number=event.winning_number)
    return line


def events(listing: list[EventInfo], *, today: dt.date, draw: dt.datetime, now: dt.datetime) -> str:
    """Today first, with how long is left before its draw; then the days ahead; then the last results."""
    t = active()
    current = [e for e in listing if e.day == today]
    ahead = sorted((e for e in listing if e.day > today), key=lambda e: e.day)
    earlier = sorted((e for e in listing if e.day < today), key=lambda e: e.day, reverse=True)
    lines: list[str] = []
    for event in current:
        if event.status is EventStatus.OPEN:
            lines.append(
                _("Today, {lottery}: {ballots} so far, {price} each. Drawn {countdown}.").format(
                    lottery=_event_head(event),
                    ballots=count_ballots(event.ballot_count),
                    price=money(event.price, event.currency),
                    countdown=formatting.countdown(draw, now, t),
                )
            )
            lines.append(prize_line(event.prize))
        else:
            lines.append(_("Today, {lottery}").format(lottery=event_line(event)))
    if ahead:
        lines += ["", _("Upcoming:")]
        lines += [_upcoming_line(e) for e in ahead]
    if earlier:
        lines += ["", _("Earlier:")]
        lines += [event_line(e) for e in earlier]
    return "\n".join(lines).strip() or _("No lotteries around today.")


def _upcoming_line(event: EventInfo) -> str:
    """A day ahead, with its prize when one is set (the default would only repeat today's line)."""
    price = money(event.price, event.currency)
    if not event.prize.text:
        return _("{lottery}: {price} each").format(lottery=_event_head(event), price=price)
    return _("{lottery}: {price} each; prize: {prize}").format(
        lottery=_event_head(event), price=price, prize=event.prize.text.rstrip(".")
    )


def _event_head(event: EventInfo) -> str:
    title = _custom_title(event.day, event.title)
    return day(event.day) if title is None else f"{day(event.day)} – {title}"


def drawn_later(value: dt.date, draw: dt.datetime, *, now: dt.datetime, info: WinnerInfo | None) -> str:
    """Asked for a day not drawn yet: when it will be, rather than "there was no lottery"."""
    t = active()
    text = _("The lottery of {day} will be drawn {countdown}.").format(
        day=day(value), countdown=formatting.countdown(draw, now, t)
    )
    if info is not None:
        text += " " + ngettext("{count} ballot so far.", "{count} ballots so far.", info.ballot_count).format(
            count=info.ballot_count
        )
    return text


def no_lottery_on(value: dt.date) -> str:
    return _("There was no lottery on {day}.").format(day=day(value))


def unreadable_day(text: str) -> str:
    return _(
        "I can't read “{text}” as a day. Try /winner yesterday, /winner 1.5.2024, /winner 2024-5-1 "
        "or a day's name, e.g. /winner monday."
    ).format(text=text[:64])


def buy_picker() -> str:
    return _("How many ballots do you want to buy? Nothing is spent until you choose.")


def buy_other() -> str:
    return _("How many ballots do you want to buy? Reply with a number, e.g. 3.")


def number_placeholder() -> str:
    """The hint in the reply box of a "how many?" prompt (Telegram allows 64 characters)."""
    return _("Number of ballots")


def expired_button(value: dt.date) -> str:
    return _("This button was for the lottery of {day}, which is over. Send the command again.").format(
        day=day(value)
    )


def event_created(event: EventInfo) -> str:
    return _("Created: {lottery}").format(lottery=event_line(event)) + "\n" + prize_line(event.prize)


def event_updated(event: EventInfo) -> str:
    return _("Updated: {lottery}").format(lottery=event_line(event)) + "\n" + prize_line(event.prize)


def event_deleted(value: dt.date) -> str:
    return _("Deleted the lottery of {day}.").format(day=day(value))


def joined(result: JoinResult) -> str:
    event = result.event
    name = lottery_name(event.day, event.title)
    first = (
        _("You're in: {lottery}.") if result.newly_joined else _("You had already joined {lottery}.")
    ).format(lottery=name)
    so_far = ngettext("{count} player so far.", "{count} players so far.", event.participants).format(
        count=event.participants
    )
    price = _("A ballot costs {price}. Pay with /pay N, then buy with /buy N.").format(
        price=money(event.price, event.currency)
    )
    return f"{first} {so_far}\n{price}"


def _public_charge(charge_id: str) -> str | None:
    """The provider's transaction id, unless it is the test gateway's internal `dummy-…` one."""
    return None if charge_id.startswith("dummy-") else charge_id


def paid(receipt: PaymentReceipt) -> str:
    credit = money(receipt.balance, receipt.currency)
    if not receipt.newly_credited:
        return _("That payment was already credited. Your credit: {credit}.").format(credit=credit)
    amount = money(receipt.amount, receipt.currency)
    charge = _public_charge(receipt.charge_id)
    head = (
        _("Payment received: {amount}.").format(amount=amount)
        if charge is None
        else _("Payment received: {amount} (transaction {charge}).").format(amount=amount, charge=charge)
    )
    if receipt.todays_lottery_closed:
        return (
            head
            + "\n"
            + _(
                "Your credit: {credit}. Today's lottery is closed already: the credit stays yours for "
                "the next one."
            ).format(credit=credit)
        )
    return head + "\n" + _("Your credit: {credit}. Buy ballots with /buy N.").format(credit=credit)


def bought(receipt: PurchaseReceipt) -> str:
    """The purchase, what the ballots can win, and the money left."""
    count = len(receipt.numbers)
    head = ngettext(
        "You bought {count} ballot for {day}: {numbers}.",
        "You bought {count} ballots for {day}: {numbers}.",
        count,
    ).format(count=count, day=day(receipt.day), numbers=ballot_range(receipt.numbers))
    tail = _("Spent {spent}; credit left: {credit}. Good luck!").format(
        spent=money(receipt.spent, receipt.currency), credit=money(receipt.balance, receipt.currency)
    )
    return f"{head}\n{prize_line(receipt.prize)}\n{tail}"


def buy_button(n: int) -> str:
    return _("Buy {count}").format(count=n)


def no_ballots_today() -> str:
    return _("You have no ballots today. /pay and /buy to get some.")


def my_tickets(p: Profile) -> str:
    if not p.today_ballots:
        return no_ballots_today()
    n = max(p.today_ballot_count, len(p.today_ballots))
    if n == 1:
        return _("Your ballot today: {numbers}").format(numbers=ballots(p.today_ballots))
    return ngettext(
        "Your {count} ballot today: {numbers}", "Your {count} ballots today: {numbers}", n
    ).format(count=n, numbers=ballots(p.today_ballots, total=n))


def my_receipts(today: TodayReceipts) -> str:
    """Each ballot with its receipt, one a line, so a buyer can copy the receipt and keep it."""
    if today.refunded:
        return ngettext(
            "Today's lottery was cancelled: your {count} ballot was refunded to your credit.",
            "Today's lottery was cancelled: your {count} ballots were refunded to your credit.",
            today.refunded,
        ).format(count=today.refunded)
    if not today.ballots:
        return no_ballots_today()
    n = max(today.held, len(today.ballots))
    lines = [
        _("Your ballot today, with its private receipt:")
        if n == 1
        else ngettext(
            "Your {count} ballot today, each with its private receipt:",
            "Your {count} ballots today, each with its private receipt:",
            n,
        ).format(count=n)
    ]
    for ballot in today.ballots[:MAX_LISTED_NUMBERS]:
        receipt = ballot.receipt or _("(no receipt: bought before receipts)")
        lines.append(f"{formatting.number(ballot.number, active())} {receipt}")
    if n > MAX_LISTED_NUMBERS:
        more = n - MAX_LISTED_NUMBERS
        lines.append(ngettext("… and {count} more", "… and {count} more", more).format(count=more))
    lines.append(_("Keep receipts to yourself. /proof N shows that ballot #N is counted in the draw."))
    return "\n".join(lines)


def ballot_proof(proof: BallotProof) -> str:
    """The proof in words, then as one command anyone can run with the project's verifier."""
    document = json.dumps(proof.as_json(), separators=(",", ":"))
    path = " ".join(proof.path) or _("(none: the only ballot)")
    return "\n".join(
        [
            _("Ballot #{number} of {day} is the only ballot.").format(number=proof.number, day=day(proof.day))
            if proof.ballot_count == 1
            else ngettext(
                "Ballot #{number} of {day} is one of {count} ballot.",
                "Ballot #{number} of {day} is one of {count} ballots.",
                proof.ballot_count,
            ).format(number=proof.number, day=day(proof.day), count=proof.ballot_count),
            _("Receipt: {receipt}").format(receipt=proof.receipt),
            _("Leaf: {leaf}").format(leaf=proof.leaf),
            _("Current Merkle root: {root}").format(root=proof.root),
            ngettext(
                "Audit path ({count} hash): {path}", "Audit path ({count} hashes): {path}", len(proof.path)
            ).format(count=len(proof.path), path=path),
            "",
            _("Check it yourself with the lottery's source code:"),
            f"python -m core.verify proof '{document}'",
        ]
    )


def _ledger_words(kind: LedgerKind) -> str:
    return {
        LedgerKind.PAYMENT: _("payment"),
        LedgerKind.PURCHASE: _("bought ballots"),
        LedgerKind.REFUND: _("refund"),
        LedgerKind.REFUND_REVERSED: _("refund failed, credit restored"),
        LedgerKind.EVENT_CANCELLED: _("lottery cancelled, ballots refunded"),
    }[kind]


def _signed(amount: int, currency: str) -> str:
    return ("+" if amount > 0 else "−" if amount < 0 else "") + money(abs(amount), currency)


def history(h: HistoryPage, *, timezone: ZoneInfo) -> str:
    """One page of /history: money lines, then ballot days with their numbers as ranges (#3–#57)."""
    t = active()
    lines = [
        _("Credit: {credit}").format(credit=money(h.balance, h.currency)),
        "",
        _("Money (page {page}):").format(page=h.page + 1),
    ]
    for line in h.ledger:
        when = formatting.moment(line.at, timezone, t)
        what = _ledger_words(line.kind)
        if line.quantity:
            what += f" ×{line.quantity}"
        if line.day:
            what += f" ({day(line.day)})"
        lines.append(f"{when}  {_signed(line.amount, h.currency)}  {what}")
    if not h.ledger:
        lines.append(_("nothing yet") if h.page == 0 else _("no more"))
    lines += ["", _("Ballots:")]
    for held in h.days:
        numbers = formatting.ballot_ranges(held.numbers, t)
        if held.one_run and held.held > 1:
            numbers = formatting.ballot_ranges(range(held.numbers[0], held.last + 1), t)
        elif held.held > len(held.numbers):
            more = held.held - len(held.numbers)
            numbers += " " + ngettext("… and {count} more", "… and {count} more", more).format(count=more)
        day_line = _("{day}: {ballots}: {numbers}").format(
            day=day(held.day), ballots=formatting.ballots(held.held, t), numbers=numbers
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
        return _(
            "You have no payment that can be refunded whole right now (spent credit cannot be refunded)."
        )
    return _("Which payment should go back? Each is refunded whole:")


def refund_button(payment: RefundablePayment, timezone: ZoneInfo | None = None) -> str:
    when = formatting.moment(payment.paid_at, timezone or ZoneInfo("UTC"), active())
    if timezone is None:
        when += " UTC"
    return _("{amount} paid {when}").format(amount=money(payment.amount, payment.currency), when=when)


def refunded(receipt: RefundReceipt) -> str:
    return _("Refunded {amount}. Your credit is now {credit}.").format(
        amount=money(receipt.amount, receipt.currency), credit=money(receipt.balance, receipt.currency)
    )


def winner(info: WinnerInfo | None) -> str:
    if info is None:
        return _("No lottery has been drawn yet.")
    when = day(info.day)
    if info.status is EventStatus.CANCELLED:
        return _("The lottery of {day} was cancelled.").format(day=when)
    if info.status is EventStatus.OPEN:
        return ngettext(
            "The lottery of {day} has not been drawn yet ({count} ballot so far).",
            "The lottery of {day} has not been drawn yet ({count} ballots so far).",
            info.ballot_count,
        ).format(day=when, count=info.ballot_count)
    if info.waiting_for_round is not None:
        return draw_texts.waiting(info)
    if info.winning_number is None:
        return _("The lottery of {day} closed with no ballots, so there was no draw.").format(day=when)
    won = _("Prize won: {prize}.").format(prize=prize_name(info.prize).rstrip("."))
    if info.ballot_count == 1:
        head = _("Lottery of {day}: the only ballot, #{number}, wins; it is held by {name}.").format(
            day=when, number=info.winning_number, name=info.winner_name or a_player()
        )
    else:
        head = _("Lottery of {day}: the winning ballot is #{number} of {count}, held by {name}.").format(
            day=when, number=info.winning_number, count=info.ballot_count, name=info.winner_name or a_player()
        )
    return f"{head}\n{won}"


def draws(results: list[DrawResult]) -> str:
    if not results:
        return _("There was no open lottery to close.")
    lines = [_("Closed:")]
    for r in results:
        if r.winning_number is None and r.waiting_for_round is not None:
            lines.append(draw_texts.frozen_line(r))
        elif r.winning_number is None:
            lines.append(_("{day}: closed with no ballots.").format(day=day(r.day)))
        elif r.ballot_count == 1:
            lines.append(
                _("{day}: the only ballot, #{number}, wins.").format(day=day(r.day), number=r.winning_number)
            )
        else:
            lines.append(
                _("{day}: ballot #{number} of {count} wins.").format(
                    day=day(r.day), number=r.winning_number, count=r.ballot_count
                )
            )
    lines.append(_("The players are being notified."))
    return "\n".join(lines)


def close_question(due: list[EventInfo]) -> str:
    """What /close would close, and how many ballots are in, before anything is drawn."""
    lines = [_("Close and draw now? This cannot be undone.")]
    lines += [
        _("{lottery}: {ballots} in the draw").format(
            lottery=_event_head(e), ballots=count_ballots(e.ballot_count)
        )
        for e in sorted(due, key=lambda e: e.day)
    ]
    return "\n".join(lines)


def close_buttons() -> tuple[str, str]:
    return _("Yes, close and draw"), _("Cancel")


def question_answered() -> str:
    return _("This question was answered already. Send /close again if you still want to close.")


def close_overtaken() -> str:
    return _("Ballots were bought since you asked, so nothing was closed. Send /close again to see them.")


def close_cancelled() -> str:
    return _("Nothing was closed.")


def cancelled(result: CancelResult, currency: str) -> str:
    if result.refunded_players == 0:
        return _("The lottery of {day} is cancelled; nobody had bought a ballot.").format(day=day(result.day))
    return ngettext(
        "The lottery of {day} is cancelled; {amount} went back to {count} player as credit.",
        "The lottery of {day} is cancelled; {amount} went back to {count} players as credit.",
        result.refunded_players,
    ).format(
        day=day(result.day), amount=money(result.refunded_amount, currency), count=result.refunded_players
    )


def users(page: list[PlayerSummary], total: int, page_number: int, currency: str) -> str:
    if not page:
        return ngettext(
            "No players on page {page} ({count} player in all).",
            "No players on page {page} ({count} players in all).",
            total,
        ).format(page=page_number, count=total)
    lines = [
        ngettext(
            "Players, page {page} ({count} in all):", "Players, page {page} ({count} in all):", total
        ).format(page=page_number, count=total)
    ]
    for p in page:
        handle = f"@{p.username}" if p.username else (p.first_name or "-")
        credit = _("credit {amount}").format(amount=money(p.balance, currency))
        lines.append(f"{p.telegram_id}  {handle}  {credit}")
    return fit("\n".join(lines))


def stats(s: Stats) -> str:
    return "\n".join(
        [
            _("Players: {count}").format(count=s.players),
            ngettext("Lotteries: {count} ({open} open)", "Lotteries: {count} ({open} open)", s.events).format(
                count=s.events, open=s.open_events
            ),
            _("Ballots: {count}").format(count=s.ballots),
            _("Paid in: {amount}").format(amount=money(s.paid_in, s.currency)),
            _("Refunded: {amount}").format(amount=money(s.refunded, s.currency)),
            _("Unspent credit: {amount}").format(amount=money(s.credit_outstanding, s.currency)),
        ]
    )


def notice_text(notice: Notice) -> str:
    """The Telegram message for an outbox notice, in the language made active for its recipient."""
    when = day(notice.day)
    match notice.kind:
        case NoticeKind.WINNER if notice.ballot_count == 1:
            return (
                _(
                    "🎉 You won the lottery of {day}! Your ballot #{number} was the only one in the draw."
                ).format(day=when, number=notice.winning_number)
                + _winnings(notice)
                + draw_texts.record_line(notice)
            )
        case NoticeKind.WINNER:
            return (
                _("🎉 You won the lottery of {day}! Your ballot #{number} was drawn out of {count}.").format(
                    day=when, number=notice.winning_number, count=notice.ballot_count
                )
                + _winnings(notice)
                + draw_texts.record_line(notice)
            )
        case NoticeKind.RESULT if notice.winning_number is None:
            return _("The lottery of {day} closed with no ballots, so there was no draw.").format(day=when)
        case NoticeKind.RESULT if notice.held == 0:
            return _drawn_without_you(notice) + _won_by_another(notice) + draw_texts.record_line(notice)
        case NoticeKind.RESULT if notice.ballot_count == 1:
            return (
                _(
                    "The lottery of {day} is drawn: the only ballot, #{number}, wins. Not yours this time."
                ).format(day=when, number=notice.winning_number)
                + _won_by_another(notice)
                + draw_texts.record_line(notice)
            )
        case NoticeKind.RESULT:
            return (
                _(
                    "The lottery of {day} is drawn: ballot #{number} of {count} wins. Not yours this time."
                ).format(day=when, number=notice.winning_number, count=notice.ballot_count)
                + _won_by_another(notice)
                + draw_texts.record_line(notice)
            )
        case NoticeKind.CANCELLED:
            return _(
                "The lottery of {day} was cancelled. Any ballots you had went back to your credit."
            ).format(day=when)
        case NoticeKind.FROZEN | NoticeKind.DRAWN:
            return draw_texts.notice(notice)
    raise ValueError(notice.kind)


def _drawn_without_you(notice: Notice) -> str:
    """For a player who joined but bought nothing: the result, without "not yours this time"."""
    if notice.ballot_count == 1:
        head = _("The lottery of {day} is drawn: the only ballot, #{number}, wins.")
    else:
        head = _("The lottery of {day} is drawn: ballot #{number} of {count} wins.")
    tail = _("You had joined but held no ballot in it, so there was nothing for you to win.")
    return (
        head.format(day=day(notice.day), number=notice.winning_number, count=notice.ballot_count) + " " + tail
    )


def _winnings(notice: Notice) -> str:
    """What the winner wins and how to claim it, after the news."""
    return "\n" + _("Your prize: {prize}. {claim}").format(
        prize=prize_name(notice.prize).rstrip("."), claim=prize_claim(notice.prize)
    )


def _won_by_another(notice: Notice) -> str:
    return " " + _("Its holder wins {prize}.").format(prize=prize_name(notice.prize).rstrip("."))


def winner_email(notice: Notice) -> tuple[str, str]:
    """Subject and body of the email to a winner, in the language made active for them."""
    when = day(notice.day)
    subject = _("You won the lottery of {day}").format(day=when)
    custom = _custom_title(notice.day, notice.title)
    if notice.ballot_count == 1:
        drawn = _("Your ballot #{number} was the only one in the lottery of {day}.").format(
            number=notice.winning_number, day=when
        )
    else:
        drawn = _("Your ballot #{number} was drawn out of {count} in the lottery of {day}.").format(
            number=notice.winning_number, count=notice.ballot_count, day=when
        )
    if custom is not None:
        drawn += f" ({custom})"
    body = _("Congratulations!") + "\n\n" + drawn + "\n\n" + _winnings(notice).strip() + "\n"
    return subject, body


def pay_picker() -> str:
    return _("How many ballots do you want to pay for? Nothing is charged until you choose.")


def other_button() -> str:
    return _("other…")


def pay_other() -> str:
    return _("How many ballots do you want to pay for? Reply with a number, e.g. 3.")


# Telegram's limits for an invoice: title 1-32 characters, description 1-255.
MAX_INVOICE_TITLE = 32
MAX_INVOICE_DESCRIPTION = 255


def invoice_title(invoice: Invoice) -> str:
    return count_ballots(invoice.quantity)[:MAX_INVOICE_TITLE]


def invoice_description(invoice: Invoice) -> str:
    text = _(
        "Credit for {ballots} at {price} each, {lottery}. Turn it into ballots with /buy after paying; "
        "unspent credit carries over."
    ).format(
        ballots=count_ballots(invoice.quantity),
        price=money(invoice.unit_price, invoice.currency),
        lottery=lottery_name(invoice.day, invoice.event_title),
    )
    return text[:MAX_INVOICE_DESCRIPTION]


def stars_paid(payment: OrderPayment) -> str:
    receipt = payment.receipt
    if not receipt.newly_credited:
        return paid(receipt)
    lines = [
        _("Payment received: {amount}.").format(amount=money(receipt.amount, receipt.currency)),
        ngettext(
            "Your credit: {credit}, enough for {count} ballot.",
            "Your credit: {credit}, enough for {count} ballots.",
            receipt.affordable,
        ).format(credit=money(receipt.balance, receipt.currency), count=receipt.affordable),
    ]
    if payment.carried_over and payment.day is not None:
        lines.append(
            _(
                "The lottery of {day} was drawn before the payment arrived: "
                "the credit is yours and counts for the next lottery."
            ).format(day=day(payment.day))
        )
    return "\n".join(lines)


def outbox_overview(overview: OutboxOverview, *, timezone: ZoneInfo) -> str:
    counts = overview.counts
    lines = [
        _(
            "Outbox: {pending} waiting, {sent} sent, {failed} failed, "
            "{quarantined} set aside as unreadable, {cancelled} cancelled."
        ).format(
            pending=counts.pending,
            sent=counts.sent,
            failed=counts.failed,
            quarantined=counts.quarantined,
            cancelled=counts.cancelled,
        )
    ]
    if overview.oldest_pending is not None:
        since = formatting.moment(overview.oldest_pending, timezone, active())
        lines.append(_("The oldest waiting notice was queued {when}.").format(when=since))
    if overview.failures:
        lines.append(_("Latest failures:"))
        lines += [f"#{f.id} {f.kind} by {f.channel}: {f.error[:200]}" for f in overview.failures]
    return "\n".join(lines)


def requeue_button(failed: int) -> str:
    return ngettext(
        "Send the {count} failed notice again", "Send the {count} failed notices again", failed
    ).format(count=failed)


def requeued(count: int) -> str:
    if count == 0:
        return _("No failed notices to send again.")
    return ngettext(
        "{count} failed notice will be sent again now.",
        "{count} failed notices will be sent again now.",
        count,
    ).format(count=count)
