"""Every page of every role, in Ukrainian, with every form submitted with bad values.

The walk logs in through the real login page as each demo role (and as a resident, with the access
code and account number on /resident/; and first as an anonymous visitor), in a browser that asks
for Ukrainian (Accept-Language uk-UA, no language chosen: the site's default). It visits every page
the role may call — the list comes from the URL conf and the declarations of
tests/test_authorization.py (PAGES), so a page added later is walked without changing this test —
with its path filled by real objects of the demo city (tests/browser/walk_city.py). On each page,
and on the page every form submission leads to:

* the visible text (`innerText`, the title, `placeholder`, `title`, `aria-label`, button values and
  the options of every list) has no run of Latin letters, unless the word it stands in is one of
  the identifiers of `ALLOWED` (an account number, an organisation's code, an IBAN, an e-mail…);
* no answer is a 500.

Every form of a page (once per form target) is submitted three times with bad values (`BAD`):
empty; letters and a malformed date; an overlong value, 99999999999 and a future date — with the
browser's own checks off (`novalidate`), as a request sent by hand would be. A page the role may call
that the walk did not reach (neither visited nor the target of a submitted form) fails the test, by
name, unless `NOT_WALKED` says why. Files (PDF, CSV, XLSX) are fetched, not looked at: their
answer must be 200 with a file name, and the column headings of a CSV or XLSX are checked as text.

See docs/how-to/run-tests.md ("Every page in Ukrainian"). `WALK_ROLES=housing,provider` walks only
those identities, while fixing what the walk found.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import Resolver404, resolve, reverse

from merezha.core.roles import Role
from tests.browser.walk_city import WalkCity, walk_city_build
from tests.test_authorization import PAGES, PUBLIC, RESIDENT, page_routes

pytestmark = pytest.mark.django_db(transaction=True)

#: the data migrations' rows the walk city needs: a transactional test that ran before (another
#: browser test) emptied them with the rest of the database (tests/browser/conftest.py)
DATA_MIGRATIONS = [
    ("merezha.organisations.migrations.0002_network_services", "create"),
    ("merezha.subsidies.migrations.0002_default_rule", "create"),
    ("merezha.subsidies.migrations.0003_default_rule_note_in_ukrainian", "to_ukrainian"),
]

ANONYMOUS = "anonymous"
#: the walk's identities, in order: the anonymous visitor and the resident first, the cashier last
#: (its last form closes the day)
IDENTITIES = [
    ANONYMOUS,
    RESIDENT,
    Role.ADMIN,
    Role.MANAGER,
    Role.SUBSIDY,
    Role.HOUSING,
    Role.PROVIDER,
    Role.CASHIER,
]

#: a word (a run of non-space characters, without the punctuation around it) with Latin letters is
#: allowed only when it is wholly one of these identifiers; anything else is English or a raw code
ALLOWED = [
    re.compile(p)
    for p in (
        r"[A-Z]\d{6,9}",  # an account number of the demo providers (W00000001), a dwelling code (D000123)
        r"[A-Z]{1,5}-\d{1,6}",  # an account number with a dash (R-0001)
        r"[A-Z][A-Z0-9]*-\d{8}-\d+",  # a receipt's number: the point's code, the day, the sequence
        # (the city's organisation codes and user names are allowed as they are: WalkCity.identifiers)
        r"UA\d{27}",  # an IBAN
        r"A[3-5]",  # a paper size (A4, A5)
        r"(I|II|III|IV)",  # a Roman numeral: a disability group ("інвалідністю II групи")
        r"[\w.+-]+@[\w-]+(\.[\w-]+)+",  # an e-mail address
        r"[2-9A-Z]{5}-[2-9A-Z]{5}",  # a resident's access code, as printed
        r"mz_[\w-]{4,}…?",  # an API token as issued (shown once), or its beginning, which names it
        r"[0-9a-f]{8,64}",  # a checksum (SHA-256), or its beginning
        r"https?://\S*",  # a web address (a webhook's, the verification link), or its beginning
        r"[\w.-]+\.(csv|xlsx|json|dbf|pdf)",  # a file's name, as it was uploaded
        # names of formats, encodings and standards, which have no Ukrainian names
        r"(PDF|CSV|XLSX|XML|JSON|DBF|QR|API|POS|HTTPS?|POST|URL|IBAN|SHA-256|camt\.053)",
        r"(UTF-8|UTF-8-SIG|UTF-16|CP1251|CP866|cp1251|cp866)",  # a file's encoding
        r"(POST|API|POS|PDF|CSV|QR)-[а-яіїєґ']+",  # …and words made of them ("POST-запитом", "QR-код")
        r"(Authorization|Bearer)",  # the HTTP header an API token is sent in, to be typed as it is
        # a name or an address as a partner's file wrote it, with Latin letters that look like
        # Cyrillic ones ("Полiщук" with a Latin i): the partner's data, shown as it came (a word
        # of a template typed so would pass too: the search folds such letters, a reader does not)
        r"(?=.*[а-яіїєґА-ЯІЇЄҐ])[а-яіїєґА-ЯІЇЄҐ'’ʼ.-]*[aceiopxyACEHIKMOPTXB][а-яіїєґА-ЯІЇЄҐ'’ʼ.aceiopxyACEHIKMOPTXB-]*",
    )
]
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"\S+")
STRIP = "«»\"'()[],;:!?.…·—–"

#: what the walk types into the fields (each also removed from the text before it is checked: a
#: page may rightly quote what was typed)
HOSTILE = "<script>alert(1)</script>"
LONG = "Ж" * 3000
BAD = {
    "empty": {"text": "", "number": "", "date": "", "month": "", "select": "", "file": None},
    "letters": {
        "text": HOSTILE,
        "number": "дванадцять abc",
        "date": "2031-13-45",
        "month": "2026-13",
        "select": HOSTILE,
        "file": ("дані.csv", b"\xff\xfe<script>\r\n;;;\r\n"),
    },
    "huge": {
        "text": LONG,
        "number": "99999999999",
        "date": "2031-01-01",
        "month": "2031-01",
        "select": "99999999999",
        "file": ("дані.xlsx", b"PK\x03\x04 not a workbook"),
    },
}
TYPED = sorted(
    {v for bad in BAD.values() for k, v in bad.items() if k != "file" and v}, key=len, reverse=True
)

#: files whose columns are the documented columns of the exchange standard, read by the partners'
#: programs as they are named (docs/reference): their headings are not checked as text
EXCHANGE_COLUMNS = {
    "subsidy-batch-check-file",  # docs/how-to/subsidy-office.md
    "housing-change-report-download",  # docs/reference/change-report-format.md
    "provider-change-report-download",
    "provider-discrepancies",  # the discrepancy report (docs/how-to/provider-upload.md)
    "inbox-document-file",  # registers, change reports, discrepancy reports, decisions' parts
}
#: pages a role may call that the walk does not visit, with the reason
NOT_WALKED = {
    # the office's batch of bills is started, not rendered (17 s of PDF): no file to download yet;
    # tests/portal renders batches and downloads them
    "portal-batch-download",
}
#: an organisation's own administrator's pages (`User.is_org_admin`, whatever the role): declared
#: in PAGES for no role, walked by every role whose user is one (WalkCity.org_admins)
ORG_ADMIN_PAGES = {"org-users", "org-user", "org-token-issue", "org-token-rotate", "org-token-revoke"}
#: pages the walk does not visit as these roles, with the reason
NOT_WALKED_AS = {
    # only providers receive documents with files (registers, change reports, decisions' parts,
    # discrepancy reports); the other organisations' inboxes hold reminders, which have none
    "inbox-document-file": {Role.ADMIN, Role.MANAGER, Role.SUBSIDY, Role.HOUSING, Role.CASHIER},
}
#: forms the walk does not submit from any page, with the reason
FORMS_NOT_SUBMITTED = {
    "set_language": "Django's language switch: a bad value changes nothing, a good one ends the Ukrainian walk",
    "logout": "submitted at the end of each role's walk, with the role's last page",
}
#: forms whose submission ends what the rest of the role's walk needs: submitted (with bad values)
#: after every other form of the role, in this order
FORMS_LAST = [
    "provider-token-revoke",
    "org-token-revoke",
    "centre-token-revoke",
    "centre-user-active",
    "desk-close-day",
]


@dataclass
class Walk:
    city: WalkCity
    page: Any
    role: str
    problems: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)
    submitted: set[str] = field(default_factory=set)
    documents: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of main-frame answers
    downloads: list[str] = field(default_factory=list)  # the names of the files a form led to
    pages: int = 0  # pages and files visited
    submissions: int = 0  # forms submitted


def offending(text: str, identifiers: frozenset[str] = frozenset()) -> list[str]:
    """The lines of `text` with words of Latin letters that are no identifier of ALLOWED (nor one of
    `identifiers`: the city's organisation codes and user names): the words, and their line."""
    for typed in TYPED:
        text = text.replace(typed, " ")
    found = []
    for line in text.splitlines():
        words = [w for w in (m.group().strip(STRIP) for m in WORD.finditer(line)) if LATIN.search(w)]
        bad = [w for w in words if w not in identifiers and not any(p.fullmatch(w) for p in ALLOWED)]
        if bad:
            shown = line.strip() if len(line.strip()) <= 200 else line.strip()[:200] + "…"
            found.append(f"{', '.join(repr(w) for w in dict.fromkeys(bad))} in «{shown}»")
    return found


#: the page's visible text and the texts of its controls. Left out: an element in another language
#: (`lang`: the language switch's "English"), the keys of the keyboard (`<kbd>`: Enter, Esc, the
#: cashier's C, K, T), which are labelled in Latin letters, and what is typed into a file as it is
#: (`<code>`: the columns of an exchange file, `tax_id`, `period_from`)
TEXTS_JS = """() => {
  const other = [...document.querySelectorAll('[lang], kbd, code, select')].filter(e => e !== document.documentElement && !(e.lang || '').startsWith('uk') || ['KBD', 'CODE', 'SELECT'].includes(e.tagName));
  const shown = other.map(e => [e, e.style.display]);
  other.forEach(e => e.style.display = 'none');
  const out = [document.title, document.body ? document.body.innerText : ''];
  shown.forEach(([e, d]) => e.style.display = d);
  const mine = e => !e.closest('[lang]:not([lang^="uk"])');
  const code = /^[a-z][a-z0-9_.]*(\\/[a-z0-9_-]+)?( · |$)/;
  for (const e of document.querySelectorAll('[placeholder],[title],[aria-label]')) if (mine(e))
    out.push(e.getAttribute('placeholder') || '', (e.getAttribute('title') || '').replace(code, ''), e.getAttribute('aria-label') || '');
  for (const e of document.querySelectorAll('input[type=submit],input[type=button]')) if (mine(e)) out.push(e.value);
  for (const e of document.querySelectorAll('option')) if (mine(e)) out.push(e.text);  // (a list's own text: its options)
  return out.filter(Boolean).join('\\n');
}"""
# (a `title`, a tooltip, may begin with the code behind the name it explains: "hot_water" over
# "Гаряча вода", "portal_code_rotate" over an audit entry's action, as exchange files and the API
# write it; TEXTS_JS leaves that code out)

#: the forms of the page: target, which of the forms with that target, method, whether they take input
FORMS_JS = """() => {
  const target = f => new URL(f.getAttribute('action') || '', location.href).href;  // f.action may be a field named "action"
  return [...document.forms].map((f, i) => ({
  action: target(f), same: [...document.forms].slice(0, i).filter(g => target(g) === target(f)).length,
  method: (f.getAttribute('method') || 'get').toLowerCase(),
  inputs: [...f.elements].filter(e => !['hidden', 'submit', 'button'].includes(e.type) && e.tagName !== 'BUTTON').length,
  }));
}"""

#: mark the `same`-th form of the page with this target; then fill it with the bad values and submit it as its first submit button would
MARK_JS = """([action, same]) => {
  const target = f => new URL(f.getAttribute('action') || '', location.href).href;
  const form = [...document.forms].filter(f => target(f) === action)[same];
  if (form) form.dataset.walk = '1';
  return !!form;
}"""
SUBMIT_JS = """(bad) => {
  const form = document.querySelector('form[data-walk]');
  form.noValidate = true;
  for (const e of form.elements) {
    if (e.type === 'hidden' || e.type === 'submit' || e.type === 'button' || e.type === 'file'
        || e.type === 'checkbox' || e.type === 'radio' || e.tagName === 'BUTTON') continue;
    if (e.tagName === 'SELECT') {
      const o = document.createElement('option'); o.value = bad.select; o.text = '-'; e.append(o); e.value = bad.select;
      continue;
    }
    const name = (e.name || '') + ' ' + (e.type || '');
    let kind = 'text';
    if (e.type === 'date' || /(^|_)(date|day|from|to|until|on)(_|$| )/.test(name)) kind = 'date';
    if (e.type === 'month' || /period|month/.test(name)) kind = 'month';
    if (e.type === 'number' || e.inputMode === 'decimal' || /amount|area|sum|tendered|count|limit/.test(name)) kind = 'number';
    if (e.tagName === 'INPUT') e.type = 'text';
    e.removeAttribute('maxlength'); e.removeAttribute('pattern');
    e.value = bad[kind];
  }
  window.__walk = true;
  const button = form.querySelector('button[type=submit], button:not([type]), input[type=submit]');
  form.requestSubmit(button || undefined);
}"""


def evaluate(page: Any, script: str, arg: Any = None) -> Any:
    """page.evaluate, again on the page that follows when the page navigates meanwhile (a page that
    refreshes itself, as a running batch's status does)."""
    for _attempt in range(3):
        try:
            return page.evaluate(script, arg)
        except Exception as exc:
            if "Execution context was destroyed" not in str(exc):
                raise
            page.wait_for_load_state()
    return page.evaluate(script, arg)


def login(walk: Walk) -> None:
    page, city, role = walk.page, walk.city, walk.role
    if role == ANONYMOUS:
        return
    if role == RESIDENT:
        page.goto("/resident/")
        page.fill("#code", city.resident_code)
        page.fill("#account", city.resident_account)
        page.click("#sign-in-button")
        page.wait_for_url(re.compile(r"/resident/home/$"))
        return
    page.goto("/login/")
    page.fill("#id_username", city.users[role])
    page.fill("#id_password", "merezha")
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


def check_text(walk: Walk, where: str) -> None:
    for problem in offending(evaluate(walk.page, TEXTS_JS), walk.city.identifiers):
        walk.problems.append(f"{walk.role} · {where}: {problem}")


def route_of(url: str) -> str:
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    try:
        return resolve(path).url_name or ""
    except Resolver404:
        return ""


def may_call(walk: Walk, name: str) -> bool:
    roles, role = PAGES[name].roles, walk.role
    if role == ANONYMOUS:
        return PUBLIC in roles
    if role == RESIDENT:
        return RESIDENT in roles
    return role in roles or (name in ORG_ADMIN_PAGES and role in walk.city.org_admins)


def urls_of(walk: Walk, name: str, converters: list[str]) -> list[str]:
    """The page's addresses for the role: one per object the walk city names for it (a list of
    values: one page each, as the centre's page of a provider and of a housing office)."""
    params = walk.city.params
    kwargs = {
        c: params.get((walk.role, name, c), params.get((name, c), params.get((walk.role, c))))
        for c in converters
    }
    missing = [c for c, v in kwargs.items() if v is None]
    if missing:
        raise LookupError(f"the walk city has no {missing} for {walk.role}")
    query = walk.city.query.get(name) or PAGES[name].query
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    several = {c: v for c, v in kwargs.items() if isinstance(v, list)}
    if not several:
        return [reverse(name, kwargs=kwargs) + suffix]
    (converter, values), *_rest = several.items()
    return [reverse(name, kwargs={**kwargs, converter: value}) + suffix for value in values]


def check_file(walk: Walk, name: str, url: str) -> None:
    """A file: 200 with a file name; the column headings of a CSV or XLSX are checked as text."""
    response = walk.page.request.get(url)
    where = f"GET {url} ({name})"
    if response.status != 200:
        walk.problems.append(f"{walk.role} · {where}: answered {response.status}")
        return
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return  # data for a page's script (a batch's progress), not a file
    disposition = response.headers.get("content-disposition", "")
    if "svg" not in kind and "filename" not in disposition:
        walk.problems.append(f"{walk.role} · {where}: a {kind} file without a file name")
    headings = ""
    if "csv" in kind:
        text = response.body().decode("utf-8-sig")
        headings = " ".join(next(csv.reader(io.StringIO(text), delimiter=";"), []))
    elif "spreadsheet" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.body()), read_only=True)
        headings = " ".join(
            str(c) for sheet in book.worksheets for c in next(sheet.iter_rows(values_only=True), ()) if c
        )
    if name in EXCHANGE_COLUMNS:
        return
    for problem in offending(headings, walk.city.identifiers):
        walk.problems.append(f"{walk.role} · {where}, the headings: {problem}")


def visit(walk: Walk, name: str, url: str) -> str:
    """Open the page and check it: "page", "file", or "form only" (a target of forms: 405 to GET)."""
    page = walk.page
    walk.pages += 1
    before = len(walk.documents)
    try:
        response = page.goto(url)
    except Exception as exc:  # a file (Chromium downloads it), or an answer without a body
        if "Download is starting" in str(exc):
            check_file(walk, name, url)
            return "file"
        answers = walk.documents[before:]
        try:  # let Chromium's error page come: arriving later, it would interrupt the next navigation
            page.wait_for_url(re.compile(r"^chrome-error://"), timeout=3_000)
            page.wait_for_load_state()
        except Exception:
            pass
        if answers and answers[-1][1] == 405:
            return "form only"
        walk.problems.append(f"{walk.role} · GET {url} ({name}): {str(exc).splitlines()[0]}")
        return "page"
    status = response.status if response else 0
    if status == 405:
        return "form only"
    kind = response.headers.get("content-type", "") if response else ""
    if "text/html" not in kind:
        check_file(walk, name, url)
        return "file"
    if status >= 400:
        walk.problems.append(f"{walk.role} · GET {url} ({name}): answered {status}")
    check_text(walk, f"GET {url} ({name})")
    return "page"


def submit(walk: Walk, url: str, form: dict[str, Any], variant: str) -> None:
    """Submit one form of the page at `url` with the bad values of `variant`; check what it leads to."""
    page = walk.page
    walk.submissions += 1
    page.goto(url)
    bad = BAD[variant]
    # the page's first form to the same target (a form of a token the previous variant replaced is
    # gone: the new token's form stands in for it)
    target = route_of(form["action"])
    same = [f for f in evaluate(page, FORMS_JS) if route_of(f["action"]) == target]
    if not same:
        if variant == next(iter(BAD)):
            walk.problems.append(f"{walk.role} · {form['action']} from {url}: the form is gone on a reload")
        return  # the first submission changed the page: the form it showed is done
    form = same[0]
    evaluate(page, MARK_JS, [form["action"], form["same"]])
    files = page.locator("form[data-walk] input[type=file]")
    for i in range(files.count()):
        if bad["file"] is None:
            files.nth(i).set_input_files([])
        else:
            file_name, content = bad["file"]
            files.nth(i).set_input_files({"name": file_name, "mimeType": "text/plain", "buffer": content})
    before, downloaded = len(walk.documents), len(walk.downloads)
    try:
        page.evaluate(SUBMIT_JS, {k: v for k, v in bad.items() if k != "file"})
    except Exception as exc:  # the submission navigated before the script returned
        if "Execution context was destroyed" not in str(exc):
            raise
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(walk.downloads) == downloaded:
        try:
            page.wait_for_function("() => !window.__walk && document.readyState === 'complete'", timeout=300)
            break
        except Exception:  # still on the old page, or between the two
            continue
    target = f"{form['method'].upper()} {form['action'].split('://', 1)[-1].split('/', 1)[-1]}"
    where = f"{target} from {url} with {variant} values"
    answers = walk.documents[before:]
    for answer_url, status in answers:
        if status >= 500:
            walk.problems.append(f"{walk.role} · {where}: {answer_url} answered {status}")
    if len(walk.downloads) > downloaded:
        return
    if not answers:
        walk.problems.append(f"{walk.role} · {where}: the form led nowhere")
        return
    check_text(walk, f"{where} → {page.url}")


def walk_role(walk: Walk) -> None:
    login(walk)
    routes = page_routes()
    forms: dict[str, tuple[str, dict[str, Any]]] = {}  # target route → (page, form)
    last_page = ""
    for name, converters in sorted(routes.items()):
        if not may_call(walk, name) or name in NOT_WALKED or PAGES[name].method != "GET":
            continue
        if walk.role in NOT_WALKED_AS.get(name, ()):
            continue
        if walk.role not in (ANONYMOUS, RESIDENT) and PUBLIC in PAGES[name].roles:
            continue  # the anonymous visitor walks the public pages
        try:
            urls = urls_of(walk, name, converters)
        except LookupError as exc:
            walk.problems.append(f"{walk.role} · {name}: {exc}")
            continue
        for url in urls:
            seen = visit(walk, name, url)
            if seen == "form only":
                continue
            walk.reached.add(name)
            if seen == "file":
                continue
            last_page = url
            for form in evaluate(walk.page, FORMS_JS):
                target = route_of(form["action"])
                if target in FORMS_NOT_SUBMITTED or target in forms:
                    continue
                forms[target] = (url, form)
    ordered = sorted(forms, key=lambda t: (FORMS_LAST.index(t) if t in FORMS_LAST else -1, t))
    for target in ordered:
        url, form = forms[target]
        variants = list(BAD) if form["inputs"] else ["empty"]
        for variant in variants:
            submit(walk, url, form, variant)
        walk.reached.add(target)
    # the role's last form: log out (the resident signs out), from its last page
    if walk.role not in (ANONYMOUS,):
        walk.page.goto(last_page or "/")
        for form in evaluate(walk.page, FORMS_JS):
            if route_of(form["action"]) in ("logout", "resident-sign-out"):
                submit(walk, last_page or "/", form, "empty")
                walk.reached.add(route_of(form["action"]))
                break


def unreached(walks: list[Walk]) -> list[str]:
    """The pages a role may call that its walk did not reach (a public page: that no walk reached)."""
    routes = page_routes()
    public = set().union(*(w.reached for w in walks))
    problems = []
    for walk in walks:
        expected = {n for n in routes if may_call(walk, n) and walk.role not in NOT_WALKED_AS.get(n, ())}
        expected -= NOT_WALKED | {n for n in routes if PUBLIC in PAGES[n].roles}
        for name in sorted(expected - walk.reached):
            problems.append(
                f"{walk.role} · {name}: not reached by the walk (no page it visited has a form to it, or "
                "the form was not submitted): walk it, or say why in NOT_WALKED"
            )
    walked_public = any(w.role == ANONYMOUS for w in walks)  # (WALK_ROLES may leave the visitor out)
    for name in sorted(
        n for n in routes if walked_public and PUBLIC in PAGES[n].roles and n not in public | NOT_WALKED
    ):
        problems.append(f"{name}: a public page no walk reached: walk it, or say why in NOT_WALKED")
    return problems


@pytest.fixture
def walk_city(tmp_path, ukrainian):
    from django.apps import apps

    started = time.monotonic()
    for module, function in DATA_MIGRATIONS:  # idempotent: get_or_create, or an update
        getattr(importlib.import_module(module), function)(apps, None)
    city = walk_city_build(tmp_path / "seed")
    city.figures["seeded_s"] = round(time.monotonic() - started, 1)
    return city


def test_every_page_of_every_role_is_ukrainian(browser, live_server, walk_city):
    problems: list[str] = []
    walks: list[Walk] = []
    timings: dict[str, str] = {}
    roles = os.environ.get("WALK_ROLES", "").split(",") if os.environ.get("WALK_ROLES") else IDENTITIES
    for role in roles:
        started = time.monotonic()
        context = browser.new_context(base_url=live_server.url, locale="uk-UA")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        walk = Walk(city=walk_city, page=page, role=role)
        page.on(
            "response",
            lambda r, walk=walk: (
                walk.documents.append((r.url, r.status))
                if r.request.is_navigation_request() and r.frame == walk.page.main_frame
                else None
            ),
        )
        page.on("download", lambda d, walk=walk: walk.downloads.append(d.suggested_filename))
        try:
            walk_role(walk)
        finally:
            context.close()
        problems += walk.problems
        walks.append(walk)
        timings[role] = f"{time.monotonic() - started:.1f} s, {walk.pages} pages, {walk.submissions} forms"
    problems += unreached(walks)
    print("the walk:", timings, "the city:", walk_city.figures)
    assert not problems, report(problems)


def report(problems: list[str]) -> str:
    """Each problem once: the first place it was seen, and how many other places show it too."""
    seen: dict[str, list[str]] = {}
    for problem in problems:
        where, _sep, what = problem.partition(": ")
        seen.setdefault(what if "«" in what else problem, []).append(where)
    lines = [
        (f"{places[0]}: {what}" if "«" in what else what)
        + (f"  (and {len(places) - 1} more places)" if len(places) > 1 else "")
        for what, places in seen.items()
    ]
    return f"{len(lines)} problems:\n" + "\n".join(lines)
