"""`make messages`: extract, merge the pending translations, compile, and report what is missing.

1. makemessages for zh_Hans and en over the project (not .venv, .data, bench, tests);
2. every locale/pending/*.json ({English msgid: Simplified Chinese}) fills the empty (or fuzzy)
   msgstr of locale/zh_Hans/LC_MESSAGES/django.po; a non-empty translation is never overwritten;
3. en keeps empty msgstr: the English msgids are the English text, and Django shows them;
4. compilemessages writes the .mo files, which are committed (CI machines may lack gettext);
5. the msgids still untranslated in zh_Hans are listed, and the exit status is 1 if there are any
   (unless --allow-missing).

A pending value may be a string, or a list of strings for a plural entry (Chinese has one form).
Needs GNU gettext (msgfmt, msgmerge, xgettext).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PENDING = LOCALE / "pending"
LANGUAGES = ("zh_Hans", "en")
IGNORE = (".venv", ".data", "bench", "tests", "staticfiles", "media", "node_modules")
HEADERS = {
    "zh_Hans": {"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;"},
    "en": {"Language": "en", "Plural-Forms": "nplurals=2; plural=(n != 1);"},
}


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


# -- a small .po reader and in-place msgstr writer ---------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    body = text.strip()
    if not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"not a quoted PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace(
        "\t", "\\t").replace("\r", "\\r") + '"'


@dataclass
class Entry:
    lines: list[str]
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    msgstr_at: int = -1  # index in `lines` where the msgstr lines start

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.fuzzy

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _parse_block(lines: list[str]) -> Entry | None:
    entry = Entry(lines=lines)
    current = None  # (kind, index)
    seen_message = False
    for i, line in enumerate(lines):
        if line.startswith("#~"):
            return None  # an obsolete entry
        if line.startswith("#,"):
            entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$", line)
        if m:
            keyword, index, value = m.group(1), m.group(2), _unquote(m.group(3))
            seen_message = True
            if keyword.startswith("msgstr"):
                if entry.msgstr_at < 0:
                    entry.msgstr_at = i
                current = ("msgstr", int(index or 0))
                entry.msgstr[current[1]] = value
            else:
                current = (keyword, None)
                setattr(entry, keyword, value)
            continue
        if line.startswith('"') and current:
            value = _unquote(line)
            if current[0] == "msgstr":
                entry.msgstr[current[1]] += value
            else:
                setattr(entry, current[0], getattr(entry, current[0]) + value)
            continue
        raise ValueError(f"unexpected line in a PO file: {line!r}")
    return entry if seen_message else None


def read_po(path: Path) -> tuple[list[list[str]], list[Entry | None]]:
    """The file's blocks (lists of lines) and the entry parsed from each (None: comment only)."""
    blocks: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() == "":
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    if not blocks[-1]:
        blocks.pop()
    return blocks, [_parse_block(b) for b in blocks]


def write_po(path: Path, blocks: list[list[str]]) -> None:
    path.write_text("\n\n".join("\n".join(b) for b in blocks) + "\n", encoding="utf-8")


def _render_msgstr(index: int | None, value: str) -> list[str]:
    keyword = "msgstr" if index is None else f"msgstr[{index}]"
    if "\n" not in value.rstrip("\n"):
        return [f"{keyword} {_quote(value)}"]
    parts = value.splitlines(keepends=True)
    return [f'{keyword} ""', *(_quote(p) for p in parts)]


def set_msgstr(entry: Entry, values: dict[int, str]) -> list[str]:
    """The entry's lines with new msgstr values, not fuzzy any more, without '#|' previous ids."""
    head = []
    for line in entry.lines[:entry.msgstr_at]:
        if line.startswith("#|"):
            continue
        if line.startswith("#,"):
            flags = [f.strip() for f in line[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags)
        head.append(line)
    plural = entry.msgid_plural is not None
    body = []
    for index in sorted(values):
        body += _render_msgstr(index if plural else None, values[index])
    return head + body


def untranslated(path: Path) -> list[Entry]:
    """Entries (not the header) with an empty msgstr or marked fuzzy."""
    _, entries = read_po(path)
    return [e for e in entries if e is not None and not e.is_header and not e.translated]


# -- the steps ---------------------------------------------------------------------------------

def _manage(*args: str) -> None:
    env = dict(os.environ)
    # Settings read DATABASE_URL at import; extraction needs no database, so keep the embedded
    # PostgreSQL from starting for it.
    env.setdefault("DATABASE_URL", "postgres://localhost/unused")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def extract() -> None:
    args = ["makemessages", "--no-obsolete", "-v", "0"]
    for language in LANGUAGES:
        args += ["-l", language]
    for pattern in IGNORE:
        args += ["-i", pattern]
    _manage(*args)


def compile_catalogues() -> None:
    args = ["compilemessages", "-v", "0"]
    for language in LANGUAGES:
        args += ["-l", language]
    for pattern in IGNORE:
        args += ["-i", pattern]
    _manage(*args)


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", "")))


def load_pending() -> tuple[dict[str, list[str]], list[str]]:
    """msgid -> translations (one per plural form) from locale/pending/*.json, and warnings."""
    merged: dict[str, list[str]] = {}
    origin: dict[str, str] = {}
    warnings = []
    for path in sorted(PENDING.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            warnings.append(f"{path.name}: not valid JSON ({exc})")
            continue
        for msgid, value in data.items():
            values = [value] if isinstance(value, str) else list(value)
            if not all(isinstance(v, str) and v for v in values) or not values:
                continue
            if msgid in merged and merged[msgid] != values:
                warnings.append(f"{path.name}: {msgid!r} is translated differently in {origin[msgid]}; "
                                f"keeping {origin[msgid]}'s")
                continue
            merged.setdefault(msgid, values)
            origin.setdefault(msgid, path.name)
    return merged, warnings


HEADER_COMMENT = {
    "zh_Hans": "# Simplified Chinese, the office's default language. Run `make messages`; add translations "
               "to locale/pending/*.json.",
    "en": "# English: the msgids are the English text, so every msgstr stays empty.",
}
PLACEHOLDER_FIELDS = ("Last-Translator", "Language-Team", "Report-Msgid-Bugs-To", "PO-Revision-Date")


def _fix_header(entry: Entry, language: str) -> list[str]:
    """A header that is not fuzzy and names the language, its plural forms and UTF-8."""
    fields = {}
    for line in entry.msgstr.get(0, "").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip()] = value.strip()
    for name in PLACEHOLDER_FIELDS:
        fields.pop(name, None)
    fields["Project-Id-Version"] = "verification-office"
    fields.update(HEADERS[language])
    fields["MIME-Version"] = "1.0"
    fields["Content-Type"] = "text/plain; charset=UTF-8"
    fields["Content-Transfer-Encoding"] = "8bit"
    text = "".join(f"{name}: {value}\n" for name, value in fields.items())
    return [HEADER_COMMENT[language], 'msgid ""', *_render_msgstr(None, text)]


def merge(language: str, pending: dict[str, list[str]]) -> tuple[int, list[str]]:
    """Fill empty or fuzzy msgstr from `pending`; returns (filled, problems)."""
    path = po_path(language)
    blocks, entries = read_po(path)
    filled, problems = 0, []
    for i, entry in enumerate(entries):
        if entry is None:
            continue
        if entry.is_header:
            blocks[i] = _fix_header(entry, language)
            continue
        if language != "zh_Hans" or entry.translated:
            continue
        values = pending.get(entry.key) or (pending.get(entry.msgid) if entry.msgctxt is not None else None)
        if not values:
            continue
        forms = sorted(entry.msgstr) or [0]
        new = {form: values[min(form, len(values) - 1)] for form in forms}
        if "python-format" in entry.flags:
            allowed = [_placeholders(entry.msgid)] + ([_placeholders(entry.msgid_plural)] if entry.msgid_plural else [])
            if any(_placeholders(v) not in allowed for v in new.values()):
                problems.append(f"placeholders differ, not merged: {entry.msgid!r} -> {new[forms[0]]!r}")
                continue
        blocks[i] = set_msgstr(entry, new)
        filled += 1
    write_po(path, blocks)
    return filled, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-missing", action="store_true",
                        help="exit 0 even when some msgids are still untranslated in zh_Hans")
    parser.add_argument("--no-extract", action="store_true",
                        help="skip makemessages: merge the pending files and compile only")
    args = parser.parse_args(argv)

    if not args.no_extract:
        extract()
    pending, warnings = load_pending()
    for language in LANGUAGES:
        filled, problems = merge(language, pending)
        warnings += problems
        if language == "zh_Hans":
            print(f"zh_Hans: {filled} translation(s) merged from locale/pending/ ({len(pending)} available).")
    compile_catalogues()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    missing = untranslated(po_path("zh_Hans"))
    if missing:
        print(f"\n{len(missing)} msgid(s) untranslated in zh_Hans (add them to a locale/pending/*.json):")
        for entry in missing:
            note = " (fuzzy)" if entry.fuzzy else ""
            print(f"  {json.dumps(entry.msgid, ensure_ascii=False)}{note}")
        return 0 if args.allow_missing else 1
    print("zh_Hans: every msgid is translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
