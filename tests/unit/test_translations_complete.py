"""The Estonian and Russian catalogues translate every message and have no fuzzy entries.

Reads the committed ``.po`` files only (no database, no ``makemessages`` run): a string added
to the code shows up here once ``makemessages`` has put it into the catalogues untranslated.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import vool

LOCALE_DIR = Path(vool.__file__).resolve().parent / "locale"
NPLURALS = {"et": 2, "ru": 3}
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[A-Za-z_]\w*\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def msgstrs(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: comments, flags, msgctxt/msgid/msgid_plural/msgstr[n]."""
    entries: list[Entry] = []
    entry: Entry | None = None
    key = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, key = None, ""
            continue
        if line.startswith("#~"):  # obsolete entry: not part of the catalogue
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry.fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key in entry.fields:  # a new entry without a blank line before it
                entry = Entry(line=number)
                entries.append(entry)
            entry.fields[key] = ast.literal_eval(value)
    return [e for e in entries if "msgid" in e.fields]


def header(entries: list[Entry]) -> dict[str, str]:
    (head,) = [e for e in entries if e.msgid == "" and "msgctxt" not in e.fields]
    pairs = (line.partition(":") for line in head.fields["msgstr"].splitlines() if line)
    return {name.strip(): value.strip() for name, _, value in pairs}


@pytest.fixture(scope="module", params=sorted(NPLURALS))
def catalogue(request: pytest.FixtureRequest) -> tuple[str, list[Entry]]:
    path = LOCALE_DIR / request.param / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing"
    return request.param, parse_po(path)


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid or "msgctxt" in e.fields]


def test_the_header_names_the_language_and_its_plural_forms(catalogue):
    language, entries = catalogue
    fields = header(entries)
    assert fields["Language"] == language
    assert "charset=UTF-8" in fields["Content-Type"]
    assert fields["Plural-Forms"].startswith(f"nplurals={NPLURALS[language]};")


def test_the_catalogue_is_not_empty(catalogue):
    _, entries = catalogue
    assert len(messages(entries)) > 100


def test_every_message_is_translated(catalogue):
    language, entries = catalogue
    untranslated = [
        f"line {e.line}: {e.msgid!r}"
        for e in messages(entries)
        if not e.msgstrs or any(not text.strip() for text in e.msgstrs.values())
    ]
    assert not untranslated, (
        f"{len(untranslated)} untranslated message(s) in locale/{language}:\n"
        + "\n".join(untranslated)
    )


def test_no_entry_is_fuzzy(catalogue):
    language, entries = catalogue
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in locale/{language}:\n" + "\n".join(fuzzy)


def test_plural_messages_have_every_form(catalogue):
    language, entries = catalogue
    wanted = {f"msgstr[{i}]" for i in range(NPLURALS[language])}
    wrong = [
        f"line {e.line}: {e.msgid!r}"
        for e in messages(entries)
        if "msgid_plural" in e.fields and set(e.msgstrs) != wanted
    ]
    assert not wrong, f"plural forms other than {sorted(wanted)}:\n" + "\n".join(wrong)


def test_translations_keep_the_placeholders(catalogue):
    language, entries = catalogue
    wrong = []
    for e in messages(entries):
        source = set(PLACEHOLDER.findall(e.msgid + e.fields.get("msgid_plural", "")))
        for name, text in e.msgstrs.items():
            found = set(PLACEHOLDER.findall(text))
            # a plural form may leave the count out ("one item"), a singular must keep all
            if text and not (found <= source if "msgid_plural" in e.fields else found == source):
                wrong.append(f"line {e.line} {name}: {e.msgid!r} -> {text!r}")
    assert not wrong, f"placeholders changed in locale/{language}:\n" + "\n".join(wrong)


@pytest.fixture(scope="module")
def messages_in_the_code(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    """Every message the code and templates mark for translation, as Django's ``makemessages``
    (xgettext) extracts them, run on a copy of the package so the committed catalogues stay
    as they are."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (GNU gettext) is not installed")  # .ci/run installs it
    copy = tmp_path_factory.mktemp("messages") / "vool"
    shutil.copytree(
        LOCALE_DIR.parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po")
    )
    (copy / "locale" / "et" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    django_admin = Path(sys.executable).with_name("django-admin")
    subprocess.run(
        [str(django_admin), "makemessages", "-l", "et", "--no-location", "--no-wrap"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    return messages(parse_po(copy / "locale" / "et" / "LC_MESSAGES" / "django.po"))


def test_every_message_in_the_code_is_in_the_catalogue(catalogue, messages_in_the_code):
    """A string marked for translation but never added to a catalogue shows in English to an
    Estonian or Russian user: the catalogues must hold every message the code has."""
    language, entries = catalogue
    known = {(e.fields.get("msgctxt"), e.msgid) for e in messages(entries)}
    missing = [
        f"{e.msgid!r}" + (f" (context {e.fields['msgctxt']!r})" if "msgctxt" in e.fields else "")
        for e in messages_in_the_code
        if (e.fields.get("msgctxt"), e.msgid) not in known
    ]
    assert not missing, (
        f"{len(missing)} message(s) of the code missing from locale/{language}:\n"
        + "\n".join(missing)
    )


def test_no_old_singular_entry_of_a_plural_message(catalogue, messages_in_the_code):
    """A count message that became a plural one (``ngettext``) leaves its old entry behind,
    the plural text as a message of its own that no code asks for: the catalogues drop it."""
    language, entries = catalogue
    in_code = {(e.fields.get("msgctxt"), e.msgid) for e in messages_in_the_code}
    plurals = {e.fields["msgid_plural"] for e in messages_in_the_code if "msgid_plural" in e.fields}
    stale = [
        f"line {e.line}: {e.msgid!r}"
        for e in messages(entries)
        if "msgid_plural" not in e.fields
        and e.msgid in plurals
        and (e.fields.get("msgctxt"), e.msgid) not in in_code
    ]
    assert not stale, (
        f"old singular entries of plural messages in locale/{language}:\n" + "\n".join(stale)
    )
