"""The people of bench/soak.py: readers, new members, donors, members changing their plan, staff, and the network
that delays and repeats the provider's webhooks. Each goes through the real pages as a browser would (fetch the
page, take its CSRF token and fields, post what a person types) and notes what it was told when something failed."""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import threading
import time
from collections import Counter
from datetime import date, timedelta

from bench.soak_client import Answer, Browser, Recorder, find_form, parse_forms
from bench.soak_mailbox import Mailbox

PASSWORD = "soak-reader-passphrase-2026"
STAFF_PASSWORD = "outlet-demo-password"  # the demo staff accounts' (outlet/demo), local only
DEMO_TOTP_SECRET = "OUTLETDEMOLOCALONLYNEVERINPRODXX"  # outlet/demo/staff.py, published on purpose (local demo only)
WAITING = "We are waiting for our payment provider"
CONFIRM_POLL_SECONDS = 30  # how long a donor or new member keeps the thank-you page open for the confirmation


def kind_for_path(path: str) -> str:
    """The kind a followed redirect's page is counted under."""
    for prefix, kind in (
        ("/payments/sandbox/checkout/", "checkout_page"),
        ("/membership/join/continue/", "join_continue"),
        ("/membership/welcome/", "welcome"),
        ("/fundraisers/thanks/", "thanks"),
        ("/accounts/membership/", "account"),
        ("/accounts/confirm-email/", "signup"),
        ("/accounts/signup/", "signup"),
        ("/accounts/2fa/", "staff_signin"),
        ("/admin/", "staff_admin"),
        ("/membership/", "membership_page"),
        ("/fundraisers/", "campaign"),
        ("/articles/", "article"),
    ):
        if path.startswith(prefix):
            return kind
    return "home" if path in {"", "/"} else "other_page"


def alerts(page: str) -> str:
    """What the page tells the person: flash messages, form errors, alerts, as plain text."""
    found = re.findall(r'<p class="message[^"]*">(.*?)</p>', page, re.S)
    found += re.findall(r'<div class="donate__errors".*?<ul>(.*?)</ul>', page, re.S)
    found += re.findall(r'<p class="form-error"[^>]*>(.*?)</p>', page, re.S)
    found += re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', page, re.S)
    found += re.findall(r'<ul class="messagelist">(.*?)</ul>', page, re.S)  # the admin's messages
    found += re.findall(r'<p class="errornote">(.*?)</p>', page, re.S)
    return " | ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", f)).split()) for f in found)[:400]


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): what an authenticator app holding `secret` shows."""
    import base64
    import hashlib
    import hmac
    import struct

    counter = int(at if at is not None else time.time()) // 30
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Person:
    def __init__(self, browser: Browser, email: str = "") -> None:
        self.browser = browser
        self.email = email
        self.member = False  # has paid a membership checkout that is (as far as they know) still running
        self.gifts = 0
        self.lock = threading.Lock()


class World:
    """What the people share: the site's address, the recorder, the mailbox, the accounts made so far and what was
    paid (the soak checks afterwards that every paid checkout became a payment, a receipt and an email)."""

    def __init__(
        self,
        *,
        base: str,
        recorder: Recorder,
        mailbox: Mailbox,
        stop: threading.Event,
        campaign_path: str,
        article_paths: list[str],
        section_paths: list[str],
        other_paths: list[str],
    ) -> None:
        self.base, self.recorder, self.mailbox, self.stop = base, recorder, mailbox, stop
        self.campaign_path, self.article_paths = campaign_path, article_paths
        self.section_paths, self.other_paths = section_paths, other_paths
        self.accounts: list[Person] = []
        self.paid: list[dict] = []
        self.confirmations: list[dict] = []  # seconds from paying until the page said it was confirmed
        self.tally: Counter = Counter()
        self.lock = threading.Lock()
        self._addresses = itertools.count()
        self._emails = itertools.count()
        self.run_tag = f"{int(time.time()) % 100000:05d}"

    # --- identities ---

    def new_browser(self) -> Browser:
        n = next(self._addresses)
        return Browser(self.base, self.recorder, source_ip=f"127.0.{1 + n // 250}.{1 + n % 250}")

    def new_email(self, role: str) -> str:
        return f"{role}-{self.run_tag}-{next(self._emails)}@soak.example.org"

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.tally[what] += n

    def note(self, kind: str, message: str, **detail) -> None:
        self.recorder.note(kind, message, **detail)

    def pick_account(self, *, member: bool | None = None) -> Person | None:
        """An account nobody else is using right now (member True/False/None: any)."""
        with self.lock:
            candidates = [p for p in self.accounts if member is None or p.member == member]
        random.shuffle(candidates)
        for person in candidates:
            if person.lock.acquire(blocking=False):
                return person
        return None

    def pause(self, low: float, high: float) -> bool:
        """Think time; False when the soak is over."""
        return not self.stop.wait(random.uniform(low, high))


# --- Following redirects ---------------------------------------------------------------------------------------


def follow(browser: Browser, answer: Answer, hops: int = 6) -> Answer:
    while answer.status in {301, 302, 303, 307} and hops > 0 and answer.location:
        location = answer.location
        if location.startswith("http"):
            if not location.startswith(browser.base):
                return answer
            location = location[len(browser.base) :] or "/"
        answer = browser.get(kind_for_path(location), location)
        hops -= 1
    return answer


# --- Readers ---------------------------------------------------------------------------------------------------


def reader(world: World, person: Person | None = None) -> None:
    """Reads until the soak ends: articles most, then the home page and sections. An anonymous reader becomes a new
    one (new address, no cookies, a fresh meter) every 6-20 pages; walls are counted."""
    signed_in = person is not None
    browser = person.browser if person else world.new_browser()
    pages_left = random.randint(6, 20)
    while not world.stop.is_set():
        roll = random.random()
        if roll < 0.55:
            path, kind = random.choice(world.article_paths), "article"
        elif roll < 0.75:
            path, kind = "/", "home"
        elif roll < 0.9:
            path, kind = random.choice(world.section_paths), "section"
        else:
            path, kind = random.choice(world.other_paths), "other_page"
        answer = browser.get(kind + ("_signed_in" if signed_in else ""), path)
        if kind == "article" and answer.status == 200 and 'class="paywall' in answer.text:
            world.count("reader walls (signed in)" if signed_in else "reader walls (anonymous)")
        world.count("reader pages")
        pages_left -= 1
        if not signed_in and pages_left <= 0:
            browser.close()
            browser = world.new_browser()
            pages_left = random.randint(6, 20)
        if not world.pause(0.05, 0.5):
            break
    if not signed_in:
        browser.close()


# --- Sign-up with the emailed code -------------------------------------------------------------------------------


def sign_up(world: World, browser: Browser, path: str = "/accounts/signup/") -> tuple[Person | None, Answer | None]:
    """Sign up on `path` (it may carry ?next=), type the emailed code; returns the person and the page they land on."""
    page = browser.get("signup", path)
    form = find_form(page.text, has_field="password1")
    if form is None:
        world.note("signup", f"no sign-up form (status {page.status})", path=path, told=alerts(page.text))
        world.count("signups failed")
        return None, None
    email = world.new_email("reader")
    answer = browser.submit(
        "signup",
        form,
        {
            "name": f"Soak Reader {email.split('@')[0][-6:]}",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        page_path=path,
    )
    if answer.status != 302:
        world.note("signup", f"sign-up answered {answer.status}", told=alerts(answer.text))
        world.count("signups failed")
        return None, None
    confirm = follow(browser, answer)
    code_form = find_form(confirm.text, has_field="code")
    code = world.mailbox.code_for(email) if code_form else None
    if code_form is None or code is None:
        world.note(
            "signup", "no code form or no code mailed", email=email, status=confirm.status, told=alerts(confirm.text)
        )
        world.count("signups failed")
        return None, None
    verified = browser.submit("verify", code_form, {"code": code}, page_path=confirm.url)
    if verified.status != 302:
        world.note("signup", f"code refused ({verified.status})", email=email, told=alerts(verified.text))
        world.count("signups failed")
        return None, None
    landing = follow(browser, verified)
    person = Person(browser, email)
    world.count("signups verified")
    return person, landing


def new_reader_account(world: World) -> Person | None:
    person, _ = sign_up(world, world.new_browser())
    if person:
        with world.lock:
            world.accounts.append(person)
    return person


# --- Paying on the sandbox's checkout page -----------------------------------------------------------------------


def pay(
    world: World, browser: Browser, checkout: Answer, *, what: str, email: str, decline_chance: float
) -> Answer | None:
    """Pay on the sandbox checkout page as a browser does (the page's form and CSRF token, the button's value); now
    and then a declined card or a 3-D Secure step first. Returns the page the provider sends the person back to."""
    form = find_form(checkout.text, has_button="pay")
    if checkout.status != 200 or form is None:
        world.note("checkout", f"no checkout page ({checkout.status})", what=what, path=checkout.url)
        return None
    button = ("choice", "pay")
    roll = random.random()
    if roll < decline_chance:
        declined = browser.submit("checkout_decline", form, button=("choice", "decline"), page_path=checkout.url)
        world.count(f"{what}: card declined first")
        form = find_form(declined.text, has_button="pay")
    elif roll < decline_chance + 0.1:
        step = browser.submit("checkout_3ds", form, button=("choice", "requires_action"), page_path=checkout.url)
        form, button = find_form(step.text, has_button="authenticated"), ("choice", "authenticated")
    if form is None:
        world.note("checkout", "the checkout page lost its form after a decline or 3-D Secure step", what=what)
        return None
    paid = browser.submit("checkout_pay", form, button=button, page_path=checkout.url)
    if paid.status != 302:
        world.note("checkout", f"paying answered {paid.status}", what=what, told=alerts(paid.text))
        return None
    reference = paid.location.rstrip("/").rsplit("/", 1)[-1]
    paid_at = time.monotonic()
    with world.lock:
        world.paid.append({"what": what, "reference": reference, "email": email, "at": round(world.recorder.now(), 1)})
    world.count(f"{what}: paid")
    landing = follow(browser, paid)
    # The person keeps the thank-you page open; it refreshes itself every 3 s until the provider's event is in.
    while landing.status == 200 and WAITING in landing.text and time.monotonic() - paid_at < CONFIRM_POLL_SECONDS:
        if world.stop.wait(1.5):
            break
        landing = browser.get(kind_for_path(landing.url) + "_poll", landing.url)
    confirmed = landing.status == 200 and WAITING not in landing.text
    with world.lock:
        world.confirmations.append(
            {
                "what": what,
                "seconds": round(time.monotonic() - paid_at, 2) if confirmed else None,
                "at": round(world.recorder.now(), 1),
            }
        )
    return landing


# --- Joining -------------------------------------------------------------------------------------------------------


def join(world: World) -> None:
    """Choose a tier on /membership/ and pay: either as a visitor who signs up on the way (the choice rides through
    sign-up and the emailed code), or as a signed-in reader."""
    person = world.pick_account(member=False) if random.random() < 0.4 else None
    browser = person.browser if person else world.new_browser()
    try:
        currency, interval = random.choice(["GEL", "GEL", "USD", "EUR"]), random.choice(["month", "month", "year"])
        page = browser.get("membership_page", f"/membership/?currency={currency}&interval={interval}")
        forms = [f for f in parse_forms(page.text) if "/membership/join/" in f.action]
        if not forms:
            world.note("join", f"no join forms on /membership/ ({page.status})")
            return
        answer = browser.submit("join", random.choice(forms), page_path="/membership/")
        if person is None:
            if answer.status != 302 or "/accounts/signup/" not in answer.location:
                world.note(
                    "join", f"a visitor's join answered {answer.status} {answer.location}", told=alerts(answer.text)
                )
                return
            person, landing = sign_up(world, browser, answer.location)
            if person is None:
                return
            person.lock.acquire()
            with world.lock:
                world.accounts.append(person)
        else:
            landing = answer if answer.status != 302 else None
            if answer.status == 302 and "/payments/sandbox/checkout/" in answer.location:
                landing = browser.get("checkout_page", answer.location)
            else:
                landing = follow(browser, answer)
        if landing is None or not landing.url.startswith("/payments/sandbox/checkout/"):
            told = alerts(landing.text) if landing else ""
            world.count("join: refused before checkout")
            world.note(
                "join",
                "no checkout opened",
                status=landing.status if landing else 0,
                path=landing.url if landing else "",
                told=told,
            )
            return
        if pay(world, browser, landing, what="membership", email=person.email, decline_chance=0.08):
            person.member = True
    finally:
        if person is not None and person.lock.locked():
            person.lock.release()


def member_changes(world: World) -> None:
    """A member on their account page: change tier or billing, cancel at period end, resume, or play a renewal in
    the sandbox's card portal."""
    person = world.pick_account(member=True)
    if person is None:
        return
    browser = person.browser
    try:
        page = browser.get("account", "/accounts/membership/")
        if page.status != 200:
            world.note("member", f"account page answered {page.status}")
            return
        if "status--lapsed" in page.text:
            person.member = False  # ended (a renewal played after a cancel): they may join again later
            return
        roll = random.random()
        resume = find_form(page.text, action_contains="/accounts/membership/resume/")
        change = find_form(page.text, action_contains="/accounts/membership/change/")
        if resume is not None and roll < 0.7:
            kind, answer = "resume", browser.submit("resume", resume, page_path="/accounts/membership/")
        elif change is not None and change.radios.get("tier_interval") and roll < 0.55:
            choice = random.choice(change.radios["tier_interval"])
            kind, answer = (
                "plan_change",
                browser.submit("plan_change", change, {"tier_interval": choice}, page_path="/accounts/membership/"),
            )
        elif change is not None and roll < 0.8:
            confirm = browser.get("cancel_page", "/accounts/membership/cancel/")
            form = find_form(confirm.text, action_contains="/accounts/membership/cancel/")
            if form is None:
                return
            kind, answer = "cancel", browser.submit("cancel", form, page_path="/accounts/membership/cancel/")
        else:
            portal_form = find_form(page.text, action_contains="/accounts/membership/billing/")
            if portal_form is None:
                return
            kind, answer = (
                "billing_portal",
                browser.submit("billing_portal", portal_form, page_path="/accounts/membership/"),
            )
            if answer.status == 302 and "/payments/sandbox/portal/" in answer.location:
                portal = browser.get("portal_page", answer.location)
                renew = find_form(portal.text, has_field="subscription")
                if renew is not None and random.random() < 0.5:
                    outcome = browser.submit(
                        "portal_renew", renew, button=("action", "renew"), page_path=answer.location
                    )
                    world.count(f"member: portal renewal answered {outcome.status}")
                return
        landing = follow(browser, answer)
        told = alerts(landing.text)
        world.count(f"member: {kind} answered {answer.status}")
        if "not answering" in told or answer.status >= 400:
            world.count(
                f"member: {kind} told the provider is not answering"
                if "not answering" in told
                else f"member: {kind} failed"
            )
            world.note("member", f"{kind}: {told or answer.status}")
    finally:
        person.lock.release()


def browse_account_pages(world: World) -> None:
    """A signed-in reader looks at their own pages (receipts, gifts, membership)."""
    person = world.pick_account()
    if person is None:
        return
    try:
        for path, kind in random.sample(
            [
                ("/accounts/receipts/", "account_receipts"),
                ("/accounts/gifts/", "account_gifts"),
                ("/accounts/membership/", "account"),
            ],
            2,
        ):
            person.browser.get(kind, path)
    finally:
        person.lock.release()


# --- Giving --------------------------------------------------------------------------------------------------------


def give(world: World) -> None:
    """A gift through the campaign's form and the sandbox checkout: once or monthly, as a guest or signed in, in a
    preset or typed amount, the campaign's split or the donor's own, now and then covering the fee."""
    monthly = random.random() < 0.35
    person = world.pick_account() if random.random() < 0.4 else None
    browser = person.browser if person else world.new_browser()
    what = f"gift {'monthly' if monthly else 'once'} {'signed in' if person else 'guest'}"
    try:
        currency = random.choice(["GEL", "GEL", "USD", "EUR"])
        page = browser.get("campaign", f"{world.campaign_path}?currency={currency}")
        form = find_form(page.text, action_contains="/give/")
        if form is None:
            world.note("give", f"no donation form ({page.status})")
            return
        overrides: dict = {"interval": "month" if monthly else "once"}
        presets = [v for v in form.radios.get("amount", []) if v != "custom"]
        if presets and random.random() < 0.7:
            overrides["amount"] = random.choice(presets)
        else:
            overrides |= {
                "amount": "custom",
                "custom_amount": random.choice(["7", "12.50", "25", "40", "99.99", "150"]),
            }
        email = person.email if person else world.new_email("donor")
        if person is None:
            overrides |= {"email": email, "name": f"Soak Donor {email.split('@')[0][-6:]}"}
        if random.random() < 0.3:
            overrides["cover_fee"] = "on"
        if random.random() < 0.3:
            overrides |= {"show_on_wall": "on", "display_name": random.choice(["", "A reader in Kutaisi", "Ani"])}
        weights = [name for name, _ in form.fields if name.startswith("weight_")]
        roll = random.random()
        if roll < 0.2 and weights:
            overrides |= {"split": "custom"} | {name: str(random.randint(0, 10)) for name in weights}
            overrides[weights[0]] = str(random.randint(1, 10))  # never all zero
        elif roll < 0.35 and form.selects.get("one_newsroom"):
            overrides |= {"split": "one", "one_newsroom": random.choice([v for v in form.selects["one_newsroom"] if v])}
        if "donation-challenge-data" in page.text:
            overrides["altcha"] = solve_challenge(page.text)
            world.count("give: proof-of-work challenge solved")
        answer = browser.submit("give", form, overrides, page_path=page.url)
        if answer.status != 302 or "/payments/sandbox/checkout/" not in answer.location:
            world.count(f"give: refused with {answer.status}")
            world.note("give", f"gift refused ({answer.status})", what=what, told=alerts(answer.text))
            return
        checkout = browser.get("checkout_page", answer.location)
        if pay(world, browser, checkout, what=what, email=email, decline_chance=0.04) and person:
            person.gifts += 1
    finally:
        if person is not None:
            person.lock.release()
        else:
            browser.close()


def solve_challenge(page: str) -> str:
    """What the browser's widget does with the page's proof-of-work challenge (tests/donations/challenge.py)."""
    from tests.donations.challenge import solve_challenge as solve

    found = re.search(r'<script id="donation-challenge-data" type="application/json">(.*?)</script>', page, re.S)
    return solve(json.loads(html.unescape(found.group(1)))) if found else ""


# --- Staff ---------------------------------------------------------------------------------------------------------


def staff_sign_in(world: World, email: str) -> Browser | None:
    """Through the real pages: email and password, then the authenticator's code (the demo secret)."""
    browser = world.new_browser()
    page = follow(browser, browser.get("staff_signin", "/admin/"))
    form = find_form(page.text, has_field="password")
    if form is None:
        world.note("staff", f"no sign-in form for {email} ({page.status})")
        return None
    answer = browser.submit("staff_signin", form, {"login": email, "password": STAFF_PASSWORD}, page_path=page.url)
    second = follow(browser, answer)
    form = find_form(second.text, has_field="code")
    if form is None:
        world.note("staff", f"no two-factor step for {email} ({second.status})", told=alerts(second.text))
        return None
    done = browser.submit("staff_signin", form, {"code": totp_code(DEMO_TOTP_SECRET)}, page_path=second.url)
    landing = follow(browser, done)
    if landing.status != 200 or not landing.url.startswith("/admin/"):
        world.note(
            "staff",
            f"two-factor sign-in of {email} ended at {landing.url} ({landing.status})",
            told=alerts(landing.text),
        )
        return None
    world.count("staff: signed in with two factors")
    return browser


def staff(world: World) -> None:
    """Finance downloads the gifts CSV and the payout report and now and then refunds part or all of a gift; the
    membership manager downloads the members CSV."""
    finance = staff_sign_in(world, "finance@example.com")
    members = staff_sign_in(world, "members@example.com")
    if finance is None or members is None:
        return
    today = date.today()
    while world.pause(4, 10):
        roll = random.random()
        if roll < 0.3:
            csv_download(world, finance, "export_gifts", "/admin/donations/donation/export/")
        elif roll < 0.5:
            query = (
                f"?campaign=1&date_from={(today - timedelta(days=40)).isoformat()}"
                f"&date_to={(today + timedelta(days=1)).isoformat()}&download=1"
            )
            csv_download(world, finance, "payout_report", "/admin/donations/campaign/payout-report/" + query)
        elif roll < 0.75:
            csv_download(world, members, "export_members", "/admin/members/membership/export/")
        else:
            refund_a_gift(world, finance)


def csv_download(world: World, browser: Browser, kind: str, path: str) -> None:
    answer = browser.get(kind, path, timeout=120)
    complete = answer.status == 200 and "text/csv" in answer.headers.get("content-type", "")
    rows = answer.text.count("\n") - 1 if complete else 0
    world.count(f"staff: {kind} {'complete' if complete else f'answered {answer.status}'}")
    if complete:
        with world.lock:
            world.tally[f"staff: {kind} rows (last)"] = rows
    else:
        world.note("staff", f"{kind} answered {answer.status}", told=alerts(answer.text))


def refund_a_gift(world: World, browser: Browser) -> None:
    """Open the gift list, pick a gift that is paid, and refund it in full or in part through the three-step form."""
    listing = browser.get("staff_admin", "/admin/donations/donation/?status__exact=succeeded")
    ids = re.findall(r'href="/admin/donations/donation/(\d+)/change/', listing.text)
    if not ids:
        return
    gift = random.choice(ids)
    path = f"/admin/donations/donation/{gift}/refund/"
    page = browser.get("refund", path)
    form = find_form(page.text, has_field="refunded_seen")
    if form is None:
        world.note("staff", f"no refund form for gift {gift} ({page.status})", told=alerts(page.text))
        return
    amount = "" if random.random() < 0.5 else "1"
    confirm = browser.submit("refund", form, {"amount": amount}, page_path=path)
    form = find_form(confirm.text, has_field="confirmed")
    if form is None:
        world.note(
            "staff", f"refund of gift {gift} not offered for confirmation ({confirm.status})", told=alerts(confirm.text)
        )
        return
    done = browser.submit("refund", form, page_path=path)
    landing = follow(browser, done)
    told = alerts(landing.text)
    if done.status == 302 and "was asked to refund" in told:
        world.count("staff: refunds asked" + (" (part)" if amount else " (whole)"))
    else:
        world.count("staff: refunds refused")
        world.note("staff", f"refund of gift {gift}: {done.status}", told=told or alerts(done.text))


# --- Health --------------------------------------------------------------------------------------------------------


def health_watch(world: World) -> None:
    browser = world.new_browser()
    while world.pause(1.8, 2.2):
        browser.get("healthz", "/healthz")
