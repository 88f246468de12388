"""Do two versions of LANET render the same pages, byte for byte? (issue 16: proof that a
faster rendering path shows what the old one showed.) A tool, not a benchmark: the leading
underscore keeps it out of bench/run.py's list.

    python bench/_compare_pages.py BEFORE_DIR [AFTER_DIR]

BEFORE_DIR and AFTER_DIR are checkouts of the code (e.g. `git archive <commit> | tar -x -C
/tmp/before`, with `pybabel compile -d lanet/translations` run in it); AFTER_DIR defaults to
this one. Both render, against one private PostgreSQL database with the demo data, the public
list (unfiltered, filtered, with query keys url_for must not take), a few events' pages and
agendas and every published agenda (with and without ?tz=, with a query value to escape),
hidden and unknown agendas, the calendar, sign-in and workspace pages: in es, pt and en (Accept-Language) and
with ?lang=pt, for an anonymous visitor and signed in as the demo staff member, organizer and
focal point. CSRF token values are blanked (they are signed with the time). Exit status 1
when any page differs (the first differences are printed).
"""

from __future__ import annotations

import difflib
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import private_database  # noqa: E402

RENDER = r"""
import hashlib, logging, os, re, sys
from pathlib import Path
root, out, database_url = sys.argv[1:4]
sys.path.insert(0, root)
os.chdir(root)
os.environ.update(SECRET_KEY="compare", RATELIMIT_ENABLED="0", LANET_DEV_PAGES="0",
                  PAGE_CACHE_SECONDS="0", DATABASE_URL=database_url, LANET_INSTANCE=out + ".instance")
import lanet
assert lanet.__file__.startswith(root), lanet.__file__
from flask_login.utils import _create_identifier
from sqlalchemy import select
from lanet import create_app
from lanet.accounts.models import User
from lanet.agenda.models import AgendaVersion
from lanet.events.models import Event
from lanet.extensions import db
app = create_app()
logging.getLogger("lanet.access").disabled = True
with app.app_context():
    slugs = list(db.session.scalars(select(Event.slug).where(Event.is_public.is_(True)).order_by(Event.id)))
    hidden = list(db.session.scalars(select(Event.slug).where(Event.is_public.is_(False))))
    published = list(db.session.scalars(
        select(Event.slug).join(AgendaVersion, AgendaVersion.event_id == Event.id).distinct()))
    users = {u.email.split("@")[0]: u.get_id() for u in db.session.scalars(select(User))}
pages = ["/", "/events", "/events?year=2014", "/events?country=AR", "/events?kind=workshop&year=2013",
         "/events?slug=x&_external=1", "/calendar", "/login", "/manage/events", "/no-such-page",
         "/events/no-such/agenda", "/events/" + "a" * 90 + "/agenda"]
for slug in slugs[:4] + slugs[-2:] + sorted(published):
    pages += [f"/events/{slug}", f"/events/{slug}/agenda", f"/events/{slug}/agenda?tz=Asia/Tokyo",
              f"/events/{slug}/agenda?tz=America/Lima&x=%3Cb%3E%22'"]
pages += [f"/events/{slug}/agenda" for slug in hidden[:2]]
token = re.compile(rb'(name="csrf_token"[^>]*? value=)"[^"]*"')
os.makedirs(out, exist_ok=True)
for who in [None, *sorted(users)]:
    for language in ("es", "pt", "en", "?lang=pt"):
        client = app.test_client()
        if who is not None:
            with app.test_request_context(environ_base=client.environ_base):
                identifier = _create_identifier()
            with client.session_transaction() as session:
                session.update(_user_id=users[who], _fresh=True, _id=identifier)
        for page in pages:
            if language == "?lang=pt":
                response = client.get(page + ("&" if "?" in page else "?") + "lang=pt")
            else:
                response = client.get(page, headers={"Accept-Language": language})
            with client.session_transaction() as session:
                session.pop("_flashes", None)
            name = hashlib.sha1(f"{who}|{language}|{page}".encode()).hexdigest()[:12]
            head = f"<!-- {who or 'anonymous'} {language} {page} {response.status_code} -->\n"
            body = token.sub(rb'\1""', response.get_data())
            Path(out, f"{name}.html").write_bytes(head.encode() + body)
"""


def render(code: Path, out: Path, database_url: str) -> None:
    subprocess.run(
        [sys.executable, "-c", RENDER, str(code), str(out), database_url], check=True, cwd=code
    )


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    before = Path(argv[0]).resolve()
    after = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    with (
        private_database("lanet_compare_pages") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        from bench.pages import seed

        seed(database_url)
        render(before, Path(tmp, "before"), database_url)
        render(after, Path(tmp, "after"), database_url)
        names = sorted(p.name for p in Path(tmp, "before").glob("*.html"))
        differ = []
        for name in names:
            old = Path(tmp, "before", name).read_bytes()
            new = Path(tmp, "after", name).read_bytes()
            if old != new:
                differ.append((name, old, new))
        statuses = {}
        for name in names:
            status = Path(tmp, "before", name).read_text().split("\n", 1)[0].split()[-2]
            statuses[status] = statuses.get(status, 0) + 1
        print(f"{len(names)} pages compared (statuses {statuses}); {len(differ)} differ")
        for name, old, new in differ[:3]:
            diff = difflib.unified_diff(
                old.decode().splitlines(), new.decode().splitlines(), name, name, lineterm="", n=1
            )
            print("\n".join(list(diff)[:30]))
        digest = hashlib.sha1(b"".join(Path(tmp, "after", n).read_bytes() for n in names))
        print(f"after: sha1 of all pages {digest.hexdigest()[:16]}")
        return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
