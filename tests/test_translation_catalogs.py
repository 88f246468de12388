"""Every string the code and templates mark for translation is in the es, pt and en catalogs,
translated (DESIGN: every user-facing string through Flask-Babel, the three catalogs complete).
Extracts afresh, so a string added without its translations fails here, whatever the .po files'
layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "lanet" / "translations"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext"]
        + ["-k", "lazy_ngettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        return {_key(message) for message in read_po(handle) if message.id}


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_every_extracted_string_is_translated(extracted, language):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and all(strings) and "fuzzy" not in message.flags:
            translated.add(_key(message))
    assert sorted(extracted - translated) == []
