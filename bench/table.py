"""Issue 16's table: every benchmark's figure beside the figure the issue started from and the goal it set.

Pure functions over the JSON the benchmarks write (bench/results/*.json) and the run log bench/run_all.py keeps
(bench/results/run_all.json): no benchmark runs here, so the table can be rebuilt (`run_all.py --table-only`) and
tested. A benchmark that failed, or whose JSON is missing or not shaped as expected, becomes rows saying
"failed: <reason>" instead of stopping the table.

For HTTP cases the ratio is req/s divided by the bare Django view's req/s measured in the same run (same server,
same load generator, same minute), so the noise of a shared machine mostly cancels out; "today" is the figure the
issue quotes, hard-coded below with its source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ISSUE = "Issue 16"
MAX_PROCESS_RSS_MB = 150  # the issue's memory goal: every server and worker process stays under it

# The issue's "today" figures (measured before the work on it began, on the same 2-core machine).
TODAY = {
    "bare": "3,958 req/s",
    "home": "1,204 req/s (0.30)",
    "article_public": "870 req/s (0.22)",
    "article_metered": "907 req/s (0.23)",
    "signed_in": "185 req/s (0.05), p50 66 ms, p99 389 ms",
    "campaign_1m": "119 req/s (0.08) at 1M gifts",
    "webhook": "147 events/s",
    "receipts": "32 min for 10,000",
    "receipt_pdf": "120 ms per PDF",
    "staff_member_list": "51 ms",
    "staff_dashboard": "155 ms",
}
TODAY_SOURCE = f"{ISSUE}, 'today' figures (README's benchmark tables, December 2026)"

READER_GOAL = (0.9, 50.0)  # anonymous pages: ratio to bare >= 0.9, p99 < 50 ms
SIGNED_IN_GOAL = (0.5, 100.0)  # a signed-in reader or member: ratio >= 0.5, p99 < 100 ms
WEBHOOK_GOAL_PER_S = 500
RECEIPTS_GOAL_S = 60  # for 10,000 receipts issued, rendered and emailed
RECEIPT_PDF_GOAL_MS = 5
STAFF_PAGE_GOAL_MS = 50

COLUMNS = ["case", "today", "goal", "measured", "vs bare", "p50", "p99", "peak RSS MB", "meets goal"]


@dataclass
class Row:
    case: str
    today: str = "—"
    goal: str = "—"
    measured: str = "—"
    ratio: str = "—"
    p50: str = "—"
    p99: str = "—"
    rss: str = "—"
    verdict: str = "—"  # "yes", "no", "—" (no goal), "failed"
    peak_rss_mb: float | None = None

    def cells(self) -> list[str]:
        return [self.case, self.today, self.goal, self.measured, self.ratio, self.p50, self.p99, self.rss, self.verdict]


def failed(case: str, reason: str, *, today: str = "—", goal: str = "—") -> Row:
    return Row(case, today=today, goal=goal, measured=f"failed: {reason}", verdict="failed")


# --- formatting ---------------------------------------------------------------------------------------------------


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def _rss(value) -> str:
    return "not sampled" if value is None else f"{value:,.1f}"


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _http_goal(goal: tuple[float, float]) -> str:
    return f"≥ {goal[0]} of bare, p99 < {goal[1]:.0f} ms"


def http_row(case: str, figures: dict, *, today: str, goal: tuple[float, float] | None) -> Row:
    """A page under wrk: figures has rps, ratio, p50_ms, p99_ms and (if sampled) peak_rss_mb, non_2xx."""
    ratio, p99 = figures.get("ratio"), figures.get("p99_ms")
    errors = figures.get("non_2xx") or 0
    measured = f"{_n(figures['rps'])} req/s" + (f" ({errors:,} non-2xx)" if errors else "")
    verdict = "—"
    if goal is not None and ratio is not None and p99 is not None:
        verdict = _yes(ratio >= goal[0] and p99 < goal[1] and not errors)
    return Row(
        case,
        today=today,
        goal=_http_goal(goal) if goal else "—",
        measured=measured,
        ratio="—" if ratio is None else f"{ratio:.2f}",
        p50=_ms(figures.get("p50_ms")),
        p99=_ms(p99),
        rss=_rss(figures.get("peak_rss_mb")),
        verdict=verdict,
        peak_rss_mb=figures.get("peak_rss_mb"),
    )


# --- one builder per benchmark: (its JSON) -> rows -----------------------------------------------------------------

ARTICLE_CASES = [
    # summary key, case, today, goal
    ("home_anonymous", "home page, anonymous", TODAY["home"], READER_GOAL),
    ("article_public_anonymous", "article, anonymous (public)", TODAY["article_public"], READER_GOAL),
    ("article_metered_anonymous", "article, anonymous (metered)", TODAY["article_metered"], READER_GOAL),
    ("section_anonymous", "section page, anonymous", "—", READER_GOAL),
    ("campaign_anonymous", "campaign page, anonymous (demo fundraiser)", "—", READER_GOAL),
    ("article_signed_in_reader", "article, signed-in reader (metered)", TODAY["signed_in"], SIGNED_IN_GOAL),
    ("article_paying_member", "article, paying member (members only)", "—", SIGNED_IN_GOAL),
]


def article_rows(data: dict) -> list[Row]:
    summary = data["summary"]
    rows = [
        Row(
            "bare Django view (article_load's run)",
            today=TODAY["bare"],
            measured=f"{_n(summary['bare_rps'])} req/s",
            ratio="1.00",
        )
    ]
    for key, case, today, goal in ARTICLE_CASES:
        if key in summary:
            rows.append(http_row(case, summary[key], today=today, goal=goal))
        else:
            rows.append(failed(case, f"no '{key}' in article_load's summary", today=today, goal=_http_goal(goal)))
    return rows


def campaign_rows(data: dict) -> list[Row]:
    summary = data["summary"]
    gifts = summary.get("donations")
    case = f"campaign page, anonymous ({_n(gifts)} gifts)" if gifts else "campaign page, anonymous (many gifts)"
    if "rps" not in summary:
        return [failed(case, summary.get("error", "not measured"), today=TODAY["campaign_1m"])]
    return [http_row(case, summary, today=TODAY["campaign_1m"], goal=READER_GOAL)]


def webhook_rows(data: dict) -> list[Row]:
    summary = data.get("summary") or {}
    results = data.get("results", {})
    unique, duplicate, bare = results.get("unique", {}), results.get("duplicate", {}), results.get("bare GET", {})
    unique_rate = summary.get("unique_per_second", unique.get("events_per_s"))
    duplicate_rate = summary.get("duplicate_per_second", duplicate.get("events_per_s"))
    bare_rate = summary.get("bare_per_second", bare.get("events_per_s"))
    # Its summary's peak_rss_mb is gunicorn's master and workers added up (bench.hung_provider.rss_mb): shown, but
    # not a single process's figure for the memory goal unless it also gives one.
    rss = summary.get("peak_rss_mb_per_process")
    rss_cell = _rss(rss) if rss is not None or "peak_rss_mb" not in summary else f"{summary['peak_rss_mb']:,.1f} summed"
    checks = data.get("checks", {})
    books = all(v is not False for v in checks.values())
    rows = []
    for case, rate, today, goal, case_figures in [
        ("webhook intake, unique signed events", unique_rate, TODAY["webhook"], WEBHOOK_GOAL_PER_S, unique),
        ("webhook intake, duplicate deliveries", duplicate_rate, "270 events/s (README)", None, duplicate),
    ]:
        if rate is None:
            rows.append(failed(case, "no rate in webhook_intake.json", today=today))
            continue
        latency = case_figures.get("latency_ms", {})
        p50 = summary.get("p50_ms", latency.get("p50")) if goal else latency.get("p50")
        p99 = summary.get("p99_ms", latency.get("p99")) if goal else latency.get("p99")
        rows.append(
            Row(
                case,
                today=today,
                goal=f"≥ {goal} events/s" if goal else "—",
                measured=f"{_n(rate)} events/s" + ("" if books else " (CHECKS FAILED)"),
                ratio=f"{rate / bare_rate:.2f}" if bare_rate else "—",
                p50=_ms(p50),
                p99=_ms(p99),
                rss=rss_cell,
                verdict=_yes(rate >= goal and books) if goal else "—",
                peak_rss_mb=rss,
            )
        )
    return rows


def receipts_rows(data: dict) -> list[Row]:
    summary = data.get("summary") or {}
    count = summary.get("receipts", data.get("receipts"))
    seconds = summary.get("total_seconds", data.get("all_issued_and_emailed_seconds"))
    render = data.get("pdf_render_in_process", {})
    pdf_p50 = summary.get("pdf_ms_p50", render.get("p50_ms"))
    pdf_p99 = summary.get("pdf_ms_p99")
    pdf_p99_label = (
        _ms(pdf_p99) if pdf_p99 is not None else (f"p95 {_ms(render['p95_ms'])}" if "p95_ms" in render else "—")
    )
    rss = summary.get("peak_rss_mb")
    intact = data.get("numbers_gap_free", True) and data.get("emails_written", count) == count
    per_10k = seconds * 10_000 / count
    scaled = "" if count == 10_000 else f" (≈ {_n(per_10k)} s per 10,000)"
    return [
        Row(
            f"receipts, {_n(count)} issued + rendered + emailed",
            today=TODAY["receipts"],
            goal=f"< {RECEIPTS_GOAL_S} s for 10,000",
            measured=f"{_n(seconds, 1)} s{scaled}" + ("" if intact else " (NUMBERS OR EMAILS WRONG)"),
            rss=_rss(rss),
            verdict=_yes(per_10k < RECEIPTS_GOAL_S and intact),
            peak_rss_mb=rss,
        ),
        Row(
            "receipt PDF render",
            today=TODAY["receipt_pdf"],
            goal=f"< {RECEIPT_PDF_GOAL_MS} ms each",
            measured=_ms(pdf_p50) + " (p50)",
            p50=_ms(pdf_p50),
            p99=pdf_p99_label,
            verdict=_yes(pdf_p50 is not None and pdf_p50 < RECEIPT_PDF_GOAL_MS),
        ),
    ]


def _staff_page(data: dict, *, names: tuple[str, ...]) -> dict | None:
    """The page's figures from the summary (under its page name, or that name in snake case), else from "pages"."""
    summary, pages = data.get("summary") or {}, data.get("pages", {})
    aliases = {re.sub(r"\W+", "_", name.lower()).strip("_") for name in names}
    for key, value in summary.items():
        if isinstance(value, dict) and (key in names or re.sub(r"\W+", "_", key.lower()).strip("_") in aliases):
            return value
    return next((pages[name] for name in names if name in pages), None)


def staff_rows(data: dict) -> list[Row]:
    ready = data.get("ready", {})
    scale = f"{_n(ready['members'])} members, {_n(ready['donations'])} gifts" if "members" in ready else "bench data"
    summary_rss = (data.get("summary") or {}).get("peak_rss_mb")
    rows = []
    for case, names, today in [
        ("staff member list", ("members: list", "member list", "staff member list"), TODAY["staff_member_list"]),
        ("staff revenue dashboard", ("revenue dashboard", "dashboard", "staff dashboard"), TODAY["staff_dashboard"]),
    ]:
        page = _staff_page(data, names=names)
        label, goal = f"{case} ({scale})", f"< {STAFF_PAGE_GOAL_MS} ms"
        if page is None or "median_ms" not in page:
            reason = (page or {}).get("error", "page not in staff_admin.json")
            rows.append(failed(label, reason, today=today, goal=goal))
            continue
        first = page.get("first_request_ms", page.get("first_ms"))
        warmed = f" after a {_ms(page['warm_up_ms'])} warm-up at start" if "warm_up_ms" in page else ""
        if isinstance(page.get("first_request_empty_cache_ms"), int | float):
            warmed += f" ({_ms(page['first_request_empty_cache_ms'])} with the cache empty)"
        # A process's first request counts as an outlier past twice the goal (the issue: "no cold-start outlier").
        no_outlier = first is None or first < 2 * STAFF_PAGE_GOAL_MS
        rss = page.get("peak_rss_mb", summary_rss)
        rows.append(
            Row(
                label,
                today=today,
                goal=goal,
                measured=f"{_ms(page['median_ms'])} median"
                + (f" (own CPU {_ms(page['cpu_median_ms'])})" if "cpu_median_ms" in page else "")
                + (f", first request {_ms(first)}{warmed}" if first is not None else ""),
                p50=_ms(page["median_ms"]),
                p99=f"p95 {_ms(page['p95_ms'])}" if "p95_ms" in page else "—",
                rss=_rss(rss),
                verdict=_yes(page["median_ms"] < STAFF_PAGE_GOAL_MS and no_outlier),
                peak_rss_mb=rss,
            )
        )
    return rows


def scale_out_rows(data: dict) -> list[Row]:
    rows = []
    for size, round_ in data["summary"].items():
        books = (
            f"books hold, {round_['gifts_paid']} gifts paid"
            if round_["checks_ok"]
            else f"BOOKS WRONG: {', '.join(round_['failed_checks'])}"
        )
        for page in ("article", "campaign"):
            row = http_row(
                f"scale-out, {size} instance(s) behind HAProxy: {page}", round_[page] | {}, today="—", goal=None
            )
            row.goal = "books hold (nothing lost or doubled)"
            row.measured += f"; {books}"
            row.rss = f"web {_rss(round_.get('web_peak_rss_mb'))}, worker {_rss(round_.get('worker_peak_rss_mb'))}"
            row.peak_rss_mb = round_.get("peak_rss_mb")
            row.verdict = _yes(round_["checks_ok"])
            rows.append(row)
    return rows


def newsletter_rows(data: dict) -> list[Row]:
    summary = data["summary"]
    return [
        Row(
            f"newsletter send, {_n(summary['recipients'])} recipients",
            today="143 emails/s at 100,000 (README)",
            goal="each recipient once",
            measured=f"{_n(summary['emails_per_second'], 1)} emails/s ({_n(summary['emails'])} in "
            f"{_n(summary['seconds_total'], 1)} s)",
            rss=_rss(summary.get("peak_rss_mb")),
            verdict=_yes(summary["every_recipient_once"]),
            peak_rss_mb=summary.get("peak_rss_mb"),
        )
    ]


@dataclass(frozen=True)
class Section:
    bench: str  # bench/results/<bench>.json, and the name run_all.py knows it by
    build: Callable[[dict], list[Row]]
    # (case, today, goal) of its rows, for the failed rows when there are no figures at all
    cases: tuple[tuple[str, str, str], ...]


_READER, _SIGNED_IN = _http_goal(READER_GOAL), _http_goal(SIGNED_IN_GOAL)
SECTIONS = [
    Section(
        "article_load",
        article_rows,
        (
            ("bare Django view (article_load's run)", TODAY["bare"], "—"),
            *((case, today, _http_goal(goal)) for _key, case, today, goal in ARTICLE_CASES),
        ),
    ),
    Section(
        "campaign_page", campaign_rows, (("campaign page, anonymous (many gifts)", TODAY["campaign_1m"], _READER),)
    ),
    Section(
        "webhook_intake",
        webhook_rows,
        (("webhook intake, unique signed events", TODAY["webhook"], f"≥ {WEBHOOK_GOAL_PER_S} events/s"),),
    ),
    Section(
        "receipts",
        receipts_rows,
        (
            ("receipts, issued + rendered + emailed", TODAY["receipts"], f"< {RECEIPTS_GOAL_S} s for 10,000"),
            ("receipt PDF render", TODAY["receipt_pdf"], f"< {RECEIPT_PDF_GOAL_MS} ms each"),
        ),
    ),
    Section(
        "staff_admin",
        staff_rows,
        (
            ("staff member list", TODAY["staff_member_list"], f"< {STAFF_PAGE_GOAL_MS} ms"),
            ("staff revenue dashboard", TODAY["staff_dashboard"], f"< {STAFF_PAGE_GOAL_MS} ms"),
        ),
    ),
    Section("scale_out", scale_out_rows, (("scale-out behind HAProxy", "—", "books hold (nothing lost or doubled)"),)),
    Section("newsletter_send", newsletter_rows, (("newsletter send", "—", "each recipient once"),)),
]


def build_rows(results: dict[str, dict | None], status: dict[str, dict] | None = None) -> list[Row]:
    """Rows for every section: `results` maps a bench to its loaded JSON (None: no file); `status` is run_all's
    log of the last run (a bench that failed there is shown failed even if an older JSON is still on disk)."""
    status = status or {}
    rows: list[Row] = []
    for section in SECTIONS:
        state = status.get(section.bench, {})
        data = results.get(section.bench)
        if state.get("status") == "skipped" and data is None:
            rows += [Row(case, today=today, goal=goal, measured="not run") for case, today, goal in section.cases]
            continue
        if state.get("status") == "failed":
            reason = state.get("reason") or "unknown"
        elif data is None:
            reason = f"no bench/results/{section.bench}.json"
        else:
            try:
                rows += section.build(data)
                continue
            except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError) as exc:
                reason = f"{section.bench}.json not as expected ({type(exc).__name__}: {exc})"
        rows += [failed(case, reason, today=today, goal=goal) for case, today, goal in section.cases]
    return rows


def memory_line(rows: list[Row]) -> str:
    sampled = [(row.peak_rss_mb, row.case) for row in rows if row.peak_rss_mb is not None]
    if not sampled:
        return f"Memory: no RSS sampled; goal every process < {MAX_PROCESS_RSS_MB} MB: unknown"
    peak, case = max(sampled)
    verdict = "PASS" if peak < MAX_PROCESS_RSS_MB else "FAIL"
    unsampled = [row.case for row in rows if row.rss == "not sampled"]
    return (
        f"Memory: largest RSS of any one server/worker process {peak:,.1f} MB (during '{case}'); "
        f"goal every process < {MAX_PROCESS_RSS_MB} MB: {verdict}"
        + (f" (not sampled in: {'; '.join(unsampled)})" if unsampled else "")
    )


def render_markdown(rows: list[Row], *, notes: list[str] = ()) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"

    out = [line(COLUMNS), "|" + "|".join(["---"] * 3 + ["---:"] * 5 + ["---"]) + "|"]
    out += [line(row.cells()) for row in rows]
    out += ["", memory_line(rows), "", f"Today's figures: {TODAY_SOURCE}."]
    out += list(notes)
    return "\n".join(out) + "\n"


def render_text(rows: list[Row], *, notes: list[str] = ()) -> str:
    """The same table, aligned for a terminal."""
    table = [COLUMNS] + [row.cells() for row in rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(COLUMNS))]
    right = {4, 5, 6, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(COLUMNS), "  ".join("-" * w for w in widths)] + [line(cells) for cells in table[1:]]
    out += ["", memory_line(rows), f"Today's figures: {TODAY_SOURCE}."]
    out += list(notes)
    return "\n".join(out) + "\n"
