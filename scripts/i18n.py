"""Keeps the es, pt and en catalogs complete.

python scripts/i18n.py update          extract strings, update catalogs, fill English
python scripts/i18n.py apply FILE.json merge {"es": {msgid: msgstr}, "pt": {...}}
python scripts/i18n.py missing         list untranslated strings; exit 1 if any
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "lanet" / "translations"
POT = CATALOGS / "messages.pot"
LANGUAGES = ("es", "pt", "en")


def _po_path(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


def _load(language: str):
    with _po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def _save(language: str, catalog) -> None:
    with _po_path(language).open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True, no_location=True)


def _pybabel(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), *args], check=True, cwd=ROOT)


def update() -> None:
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "lazy_ngettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        ".",
    )
    _pybabel("update", "-i", str(POT), "-d", str(CATALOGS), "--no-fuzzy-matching")
    catalog = _load("en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    _save("en", catalog)


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def apply(path: str) -> None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for language, strings in data.items():
        catalog = _load(language)
        for message in catalog:
            if message.id and _key(message) in strings:
                value = strings[_key(message)]
                if isinstance(message.id, tuple) and isinstance(value, str):
                    value = (value, value)
                message.string = tuple(value) if isinstance(value, list) else value
                message.flags.discard("fuzzy")
        _save(language, catalog)


def missing() -> int:
    count = 0
    for language in LANGUAGES:
        for message in _load(language):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and (not all(strings) or "fuzzy" in message.flags):
                count += 1
                print(f"{language}: {_key(message)!r}")
    return 1 if count else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "apply" and len(sys.argv) == 3:
        apply(sys.argv[2])
    elif command == "sync":
        update()
        for path in sorted((CATALOGS / "strings").glob("*.json")):
            apply(str(path))
        _pybabel("compile", "-d", str(CATALOGS))
        sys.exit(missing())
    elif command == "missing":
        sys.exit(missing())
    else:
        print(__doc__)
        sys.exit(2)
