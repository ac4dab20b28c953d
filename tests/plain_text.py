"""What a clerk reads on a page, and what must never be in it (issue 14, item 4).

`visible_text` is the text of a page as a browser shows it: tags, attribute values and hidden inputs
gone, <script>, <style> and <template> left out. `leaks` finds in it the codes only the program should
see: enum codes (the values of every TextChoices in the project), action codes (the dotted codes of
the audit trail), JSON braces, 64-hex hashes, server paths and the reconciliation engine's step names.
"""

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.db import models

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {"script", "style", "template"}
STEP_NAMES = ("ingest", "match", "diff", "classify", "upsert")


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in {"br", "p", "li", "tr", "td", "th", "div", "h1", "h2", "h3", "option", "dt", "dd"}:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1
        else:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return unescape("".join(parser.parts))


def project_enum_codes() -> set[str]:
    """The stored values of every TextChoices declared by a project app (not Django's, not a library's)."""
    codes: set[str] = set()
    seen: set[type] = set()

    def walk(cls):
        for sub in cls.__subclasses__():
            walk(sub)
            if sub in seen:
                continue
            seen.add(sub)
            module = __import__(sub.__module__.split(".")[0])
            if Path(module.__file__).resolve().parent.parent == ROOT:
                codes.update(str(v) for v in sub.values if v)

    for config in apps.get_app_configs():  # every project module that declares choices is imported
        config.import_models()
    walk(models.TextChoices)
    return codes


def leaks(text: str, *, enum_codes: set[str], action_codes: set[str]) -> list[str]:
    found = []
    for code in sorted(enum_codes):
        if len(code) > 1 and re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text):
            found.append(f"enum code {code}")
    for code in sorted(action_codes):
        if code in text:
            found.append(f"action code {code}")
    if m := re.search(r"[{}]", text):
        found.append(f"JSON brace: …{text[max(0, m.start() - 40):m.end() + 40]}…")
    if m := re.search(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])", text):
        found.append(f"hash {m.group(0)}")
    for path in ("/tmp/", "/work/", ".data/", "/var/", "/home/", "site-packages"):
        if path in text:
            found.append(f"server path {path}")
    for m in re.finditer(r"(?<![\w.\-/])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.\-/])", text):
        found.append(f"identifier {m.group(0)}")
    for step in STEP_NAMES:
        if re.search(rf"(?<![\w]){step}(?![\w])", text, flags=re.I):
            found.append(f"step name {step}")
    return found

