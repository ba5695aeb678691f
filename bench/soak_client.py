"""The soak's browser: a cookie-keeping HTTP client on its own loopback address that fills forms as a browser
does (the page's own hidden fields, checked boxes and selected options, plus what the person types) and records
every request it makes (kind, status, latency) for bench/soak.py's report."""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

REQUEST_TIMEOUT = 60  # seconds; a request that takes longer is recorded as a client timeout, never waited on for ever


# --- Recording -------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    method: str
    path: str
    status: int  # 0: no answer (connection refused/reset, client timeout)
    seconds: float
    at: float  # seconds since the soak started
    error: str = ""


class Recorder:
    """Every request of every simulated person, in one list (appends are atomic under the GIL; a lock for safety)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.samples: list[Sample] = []
        self.notes: list[dict] = []  # things a person noticed that are not a status code (a wrong page, a lost gift)
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def note(self, kind: str, message: str, **detail) -> None:
        with self._lock:
            self.notes.append({"at": round(self.now(), 1), "kind": kind, "message": message, **detail})

    def now(self) -> float:
        return time.monotonic() - self.started


# --- Forms -----------------------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    attrs: dict
    fields: list[tuple[str, str]] = field(default_factory=list)  # what the browser would send, in page order
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of named submit buttons
    radios: dict[str, list[str]] = field(default_factory=dict)  # every radio choice offered, by name
    selects: dict[str, list[str]] = field(default_factory=dict)

    def data(self, overrides: dict | None = None, *, button: tuple[str, str] | None = None) -> list[tuple[str, str]]:
        """The fields as a browser sends them, with `overrides` replacing (or adding) values; None removes one."""
        overrides = dict(overrides or {})
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name, value in self.fields:
            if name in overrides:
                if name not in seen and overrides[name] is not None:
                    values = overrides[name] if isinstance(overrides[name], list) else [overrides[name]]
                    out += [(name, str(v)) for v in values]
                seen.add(name)
                continue
            out.append((name, value))
        for name, value in overrides.items():
            if name not in seen and value is not None:
                values = value if isinstance(value, list) else [value]
                out += [(name, str(v)) for v in values]
        if button:
            out.append(button)
        return out


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form":
            self._form = Form(action=attrs.get("action", ""), method=attrs.get("method", "get").lower(), attrs=attrs)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "image"}:
                form.buttons.append((name, attrs.get("value", "")))
            elif kind == "radio":
                form.radios.setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
            elif kind == "checkbox":
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
            elif kind not in {"button", "reset", "file"}:
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name and attrs.get("type", "submit").lower() == "submit":
            form.buttons.append((name, attrs.get("value", "")))
        elif tag == "select" and name and "disabled" not in attrs:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
        elif tag == "textarea" and name and "disabled" not in attrs:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[1].append((value if value is not None else text.strip(), selected))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            self._form.selects[name] = [value for value, _ in options]
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self._form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self._form.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def find_form(page: str, *, action_contains: str = "", has_field: str = "", has_button: str = "") -> Form | None:
    for form in parse_forms(page):
        names = {name for name, _ in form.fields} | set(form.radios) | set(form.selects)
        if action_contains and action_contains not in form.action:
            continue
        if has_field and has_field not in names:
            continue
        if has_button and has_button not in {value for _, value in form.buttons} | {name for name, _ in form.buttons}:
            continue
        return form
    return None


def page_text(page: str) -> str:
    return html.unescape(page)


# --- The browser -----------------------------------------------------------------------------------------------


class _FromAddress(HTTPAdapter):
    """Connections leave from one loopback address (127.0.0.0/8 is all loopback on Linux): each simulated person has
    their own client address, as readers behind their own connections do, so per-address limits see people."""

    def __init__(self, source_ip: str, **kwargs) -> None:
        self._source_ip = source_ip
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._source_ip, 0)
        return super().init_poolmanager(*args, **kwargs)


@dataclass
class Answer:
    status: int
    text: str
    headers: dict
    url: str  # the path asked for

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One person: cookies, a client address, and every request recorded under a kind."""

    def __init__(self, base: str, recorder: Recorder, *, source_ip: str = "127.0.0.1") -> None:
        self.base = base.rstrip("/")
        self.recorder = recorder
        self.source_ip = source_ip
        self.session = requests.Session()
        # As a browser does, a GET whose kept-alive connection the server closed just as it was reused is sent once
        # more on a new connection (gunicorn closes idle connections after 2 s); recorded, so it is never hidden.
        retry = Retry(
            total=1,
            connect=0,
            read=1,
            redirect=0,
            status=0,
            other=0,
            allowed_methods={"GET", "HEAD"},
            raise_on_status=False,
        )
        adapter = _FromAddress(source_ip, pool_connections=2, pool_maxsize=2, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = "outlet-soak/1 (bench/soak.py)"

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        data=None,
        headers: dict | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Answer:
        url = urljoin(self.base + "/", path)
        short = urlsplit(url).path
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, data=data, headers=headers or {}, allow_redirects=False, timeout=timeout
            )
        except requests.RequestException as exc:
            seconds = time.monotonic() - started
            self.recorder.add(Sample(kind, method, short, 0, seconds, self.recorder.now(), type(exc).__name__))
            return Answer(0, "", {}, short)
        seconds = time.monotonic() - started
        retries = getattr(response.raw, "retries", None)
        if retries is not None and retries.history:
            self.recorder.note(
                "retried", f"{method} sent again after {retries.history[-1].error!r}", path=short, kind_of_request=kind
            )
        text = (
            response.text
            if "text" in response.headers.get("content-type", "") or "json" in response.headers.get("content-type", "")
            else ""
        )
        self.recorder.add(Sample(kind, method, short, response.status_code, seconds, self.recorder.now()))
        return Answer(response.status_code, text, {k.lower(): v for k, v in response.headers.items()}, short)

    def get(self, kind: str, path: str, **kwargs) -> Answer:
        return self.request(kind, "GET", path, **kwargs)

    def post(self, kind: str, path: str, data, **kwargs) -> Answer:
        headers = {"Referer": self.base + "/", "Origin": self.base, **kwargs.pop("headers", {})}
        return self.request(kind, "POST", path, data=data, headers=headers, **kwargs)

    def follow(self, kind: str, answer: Answer, *, hops: int = 5) -> Answer:
        """Follow redirects (each hop recorded under `kind`), as a browser does after a form."""
        while answer.status in {301, 302, 303, 307} and hops > 0 and answer.location:
            location = answer.location
            if location.startswith("http") and not location.startswith(self.base):
                return answer  # never leave the loopback site
            answer = self.get(kind, location)
            hops -= 1
        return answer

    def submit(
        self,
        kind: str,
        form: Form,
        overrides: dict | None = None,
        *,
        button: tuple[str, str] | None = None,
        page_path: str = "/",
    ) -> Answer:
        action = form.action or page_path
        return self.post(
            kind, action if action.startswith("/") else urljoin(page_path, action), form.data(overrides, button=button)
        )

    def cookie(self, name: str) -> str | None:
        return self.session.cookies.get(name)

    def close(self) -> None:
        self.session.close()
