"""bench/soak.py's report: requests by kind (statuses, latency percentiles), by phase of the run (calm, worker down,
provider silent, Redis down), what people were told, the logs' errors, the checks, and the findings."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from pathlib import Path

READER_KINDS = {
    "home",
    "article",
    "section",
    "other_page",
    "home_signed_in",
    "article_signed_in",
    "section_signed_in",
    "other_page_signed_in",
}
# 5xx answers the design asks for while Redis is down: the health check says so, and gifts fail closed (503 with a
# message and Retry-After) because the card-testing counters cannot count.
EXPECTED_5XX = {("healthz", 503, "redis down"), ("give", 503, "redis down")}
PHASE_TAIL = {"worker down": 5.0, "provider silent": 9.0, "redis down": 10.0}  # seconds the effect outlasts the switch


def percentile(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)


def latency(samples) -> dict:
    ordered = sorted(s.seconds for s in samples if s.status)
    return {
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
    }


def phases(timeline: list[dict]) -> list[tuple[str, float, float]]:
    found, opened = [], {}
    for item in timeline:
        event, at = item["event"], item["at"]
        if event.startswith("worker killed"):
            opened["worker down"] = at
        elif event == "worker started again":
            found.append(("worker down", opened.pop("worker down", at), at + PHASE_TAIL["worker down"]))
        elif event == "provider stops answering":
            opened["provider silent"] = at
        elif event == "provider answers again":
            found.append(("provider silent", opened.pop("provider silent", at), at + PHASE_TAIL["provider silent"]))
        elif event == "redis stopped":
            opened["redis down"] = at
        elif event.startswith("redis started"):
            found.append(("redis down", opened.pop("redis down", at), at + PHASE_TAIL["redis down"]))
    return found


def phase_of(sample, windows) -> str:
    began = sample.at - sample.seconds
    for name, start, end in windows:
        if began < end and sample.at > start:
            return name
    return "calm"


# The last line of a traceback ("module.Error: message") and the lines loggers write at error level.
EXCEPTION_LINE = r"^[A-Za-z_][\w.]*(Error|Exception|Detected|Unavailable|Refused)\b(: |$)"


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def log_errors(path: Path, pattern: str, limit: int = 12, *, pattern_only: bool = False) -> dict:
    lines = [
        line.rstrip()
        for line in _read(path).splitlines()
        if re.search(pattern, line) or (not pattern_only and re.search(EXCEPTION_LINE, line))
    ]
    distinct = Counter(re.sub(r"\[[0-9a-f-]{36}\]|\d+(\.\d+)?", "#", line.split("] ", 1)[-1])[:220] for line in lines)
    return {"lines": len(lines), "distinct": [{"count": n, "line": text} for text, n in distinct.most_common(limit)]}


def build_report(
    *,
    options,
    seconds: float,
    recorder,
    world,
    timeline,
    load,
    settle,
    checks,
    var_dir: Path,
    quick: bool,
    fast_forward,
) -> dict:
    samples = [s for s in recorder.samples if s.at <= seconds + 120]  # (settle's own deliveries included)
    windows = phases(timeline)
    by_kind: dict[str, list] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    requests = {}
    for kind in sorted(by_kind):
        group = by_kind[kind]
        requests[kind] = {
            "count": len(group),
            "statuses": dict(sorted(Counter(str(s.status) for s in group).items())),
            **latency(group),
        }
    by_phase = {}
    for name in ["calm", "worker down", "provider silent", "redis down"]:
        group = [s for s in samples if phase_of(s, windows) == name]
        readers = [s for s in group if s.kind in READER_KINDS]
        by_phase[name] = {
            "seconds": round(sum(end - start for n, start, end in windows if n == name), 1) if name != "calm" else None,
            "requests": len(group),
            "statuses": dict(sorted(Counter(str(s.status) for s in group).items())),
            "readers": {
                "requests": len(readers),
                "not_200": sum(1 for s in readers if s.status != 200),
                **latency(readers),
            },
        }
    server_errors = [
        {
            "kind": s.kind,
            "method": s.method,
            "path": s.path,
            "status": s.status,
            "at": round(s.at, 1),
            "phase": phase_of(s, windows),
        }
        for s in samples
        if s.status >= 500
    ]
    unexpected = [e for e in server_errors if (e["kind"], e["status"], e["phase"]) not in EXPECTED_5XX]
    no_answer = [
        {"kind": s.kind, "path": s.path, "error": s.error, "at": round(s.at, 1), "phase": phase_of(s, windows)}
        for s in samples
        if s.status == 0
    ]
    confirmations = defaultdict(list)
    unconfirmed = Counter()
    for item in world.confirmations:
        what = "membership" if item["what"] == "membership" else "gift"
        if item["seconds"] is None:
            unconfirmed[what] += 1
        else:
            confirmations[what].append(item["seconds"])
    told = Counter(
        (n["kind"], n["message"][:120], n.get("told", "")[:160]) for n in recorder.notes if n["kind"] != "retried"
    )
    findings = []
    for e in server_errors:
        if e["status"] == 500:
            findings.append({"finding": "HTTP 500", **e})
    if unexpected:
        findings.append(
            {
                "finding": "5xx answers the design does not ask for",
                "count": len(unexpected),
                "by_kind_status_phase": dict(Counter(f"{e['kind']} {e['status']} ({e['phase']})" for e in unexpected)),
                "examples": unexpected[:8],
            }
        )
    if no_answer:
        findings.append(
            {
                "finding": "requests with no answer (connection refused/reset or the 60 s client timeout)",
                "count": len(no_answer),
                "by_kind_phase": dict(Counter(f"{e['kind']} ({e['phase']})" for e in no_answer)),
                "examples": no_answer[:8],
            }
        )
    for check in checks:
        if not check["ok"]:
            findings.append({"finding": f"check failed: {check['name']}", "evidence": check["evidence"]})
    if not settle["settled"]:
        findings.append({"finding": "the sweeps did not settle everything in time", "left": settle["left"]})
    logs = {
        "web_errors": log_errors(var_dir / "web.log", r"Internal Server Error|\[ERROR\]|CRITICAL"),
        "web_access_log_500s": len(re.findall(r'" 500 ', _read(var_dir / "web.log"))),
        "worker_errors": log_errors(var_dir / "worker.log", r"ERROR/|CRITICAL"),
        "worker_tasks_succeeded": len(re.findall(r"succeeded in", _read(var_dir / "worker.log"))),
        "worker_task_failures": log_errors(var_dir / "worker.log", r"raised unexpected", pattern_only=True),
        "beat_errors": log_errors(var_dir / "beat.log", r"ERROR|CRITICAL"),
    }
    if logs["worker_task_failures"]["lines"]:
        findings.append(
            {
                "finding": "worker tasks failed (each is retried by a sweep; the books above show whether they healed)",
                "failures": logs["worker_task_failures"],
            }
        )
    retried = [n for n in recorder.notes if n["kind"] == "retried"]
    crashes = {k: v for k, v in world.tally.items() if k.startswith("soak:")}
    if crashes:
        findings.append(
            {"finding": "the soak's own people crashed (a bench problem, not the site's)", "counts": crashes}
        )
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1min": {
                "max": max((load_1min for _, load_1min in load), default=None),
                "mean": round(sum(load_1min for _, load_1min in load) / len(load), 2) if load else None,
            },
            "note": "2 cores shared by gunicorn, the worker, beat, PostgreSQL, Redis and the load generator itself; "
            "other engineers run tests on this machine now and then, so latencies are indicative only",
        },
        "options": {
            "traffic_seconds": seconds,
            "quick": quick,
            "readers": options.readers,
            "sweeps_fast_forward_minutes": fast_forward.total_seconds() / 60,
        },
        "timeline": timeline,
        "totals": {
            "requests": len(samples),
            "per_second": round(len(samples) / seconds, 1),
            "status_500": sum(1 for e in server_errors if e["status"] == 500),
            "status_5xx": len(server_errors),
            "status_5xx_unexpected": len(unexpected),
            "no_answer": len(no_answer),
            "statuses": dict(sorted(Counter(str(s.status) for s in samples).items())),
        },
        "requests": requests,
        "phases": by_phase,
        "flows": dict(sorted(world.tally.items())),
        "confirmation_seconds": {
            what: {
                "count": len(v),
                "p50": sorted(v)[len(v) // 2] if v else None,
                "p95": sorted(v)[int(len(v) * 0.95)] if v else None,
                "max": max(v) if v else None,
                "not_confirmed_within_30s": unconfirmed[what],
            }
            for what, v in {"membership": confirmations["membership"], "gift": confirmations["gift"]}.items()
        },
        "told": [{"kind": k, "message": m, "told": t, "count": n} for (k, m, t), n in told.most_common(40)],
        "settle": settle,
        "checks": checks,
        "logs": logs,
        "gets_sent_again_on_a_closed_keep_alive_connection": {"count": len(retried), "examples": retried[:5]},
        "findings": findings,
    }


def print_summary(report: dict) -> None:
    totals = report["totals"]
    print(
        f"\nsoak: {report['options']['traffic_seconds'] / 60:.1f} min of traffic, {totals['requests']} requests "
        f"({totals['per_second']}/s); {report['machine']['cpus']} cores, 1-min load mean "
        f"{report['machine']['load_average_1min']['mean']} max {report['machine']['load_average_1min']['max']} "
        f"({report['machine']['note']})"
    )
    print("\ntimeline: " + "; ".join(f"{t['at']:.0f}s {t['event']}" for t in report["timeline"]))
    print(f"\n{'kind':28} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  statuses")
    for kind, r in report["requests"].items():
        cells = [f"{r[k]:8.0f}" if r[k] is not None else f"{'-':>8}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        print(f"{kind:28} {r['count']:6d} {' '.join(cells)}  {r['statuses']}")
    print(
        f"\n500s: {totals['status_500']}   all 5xx: {totals['status_5xx']} (not asked for by the design: "
        f"{totals['status_5xx_unexpected']})   no answer: {totals['no_answer']}"
    )
    print("\nreaders by phase:")
    for name, p in report["phases"].items():
        r = p["readers"]
        print(
            f"  {name:16} {r['requests']:6d} pages, not 200: {r['not_200']}, "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"max {r['max_ms']} ms   (all requests {p['requests']}: {p['statuses']})"
        )
    print("\nflows:")
    for name, n in report["flows"].items():
        print(f"  {name}: {n}")
    print(
        "\nconfirmed after paying (s): "
        + "; ".join(
            f"{k} n={v['count']} p50={v['p50']} p95={v['p95']} max={v['max']} "
            f"unconfirmed={v['not_confirmed_within_30s']}"
            for k, v in report["confirmation_seconds"].items()
        )
    )
    print(
        f"\nsettle: {report['settle']['seconds']} s, settled={report['settle']['settled']}, "
        f"left={report['settle']['left']}"
    )
    print("\nchecks:")
    for check in report["checks"]:
        print(f"  [{'ok' if check['ok'] else 'FAIL'}] {check['name']}: {check['figures']}")
        if check["evidence"]:
            print(f"        evidence: {check['evidence']}")
    print(f"\nfindings: {len(report['findings'])}")
    for finding in report["findings"]:
        print(f"  - {finding}")
