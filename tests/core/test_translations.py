"""The Simplified Chinese catalogue is complete, and the committed .mo files match the .po files."""

import gettext
import importlib.util
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _tool()


def _entries(language):
    _, entries = tool.read_po(tool.po_path(language))
    return [e for e in entries if e is not None and not e.is_header]


def test_every_msgid_has_a_simplified_chinese_translation():
    entries = _entries("zh_Hans")
    assert len(entries) > 100  # the parser did read the catalogue
    missing = [e.msgid + (" (fuzzy)" if e.fuzzy else "") for e in entries if not e.translated]
    assert missing == [], (
        f"{len(missing)} msgid(s) untranslated in locale/zh_Hans: add them to a locale/pending/*.json and run "
        "`make messages`:\n  " + "\n  ".join(missing))


def test_english_msgids_are_the_english_text():
    entries = _entries("en")
    assert {e.msgid for e in entries} == {e.msgid for e in _entries("zh_Hans")}
    assert [e.msgid for e in entries if any(e.msgstr.values())] == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_committed_mo_file_matches_the_po_file(language):
    mo = tool.po_path(language).with_suffix(".mo")
    assert mo.exists(), "run `make messages`: the .mo files are committed"
    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    for entry in _entries(language):
        if not entry.translated:
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            assert catalog.get(key) == entry.msgstr[0], f"{entry.msgid!r}: the .mo is stale; run `make messages`"
        else:
            assert catalog.get((key, 0)) == entry.msgstr[0], f"{entry.msgid!r}: the .mo is stale"


def test_the_site_speaks_chinese_by_default_and_english_on_request(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
        assert translation.gettext("Page %(n)s of %(total)s") % {"n": 2, "total": 5} == "第 2 页，共 5 页"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"


def test_the_po_reader_round_trips_escapes_and_plurals(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#, fuzzy, python-format\n#| msgid "Old"\nmsgid "Say \\"%(x)s\\"\\n"\nmsgstr "旧"\n\n'
        'msgid "one file"\nmsgid_plural "%(n)s files"\nmsgstr[0] ""\n\n'
        'msgid "Kept"\nmsgstr "保留"\n', encoding="utf-8")
    blocks, entries = tool.read_po(po)
    fuzzy, plural, kept = entries[1:]
    assert fuzzy.msgid == 'Say "%(x)s"\n' and fuzzy.fuzzy and not fuzzy.translated
    assert plural.msgid_plural == "%(n)s files" and not plural.translated
    assert kept.translated
    blocks[1] = tool.set_msgstr(fuzzy, {0: '说“%(x)s”\n'})
    blocks[2] = tool.set_msgstr(plural, {0: "%(n)s 个文件"})
    tool.write_po(po, blocks)
    assert [e.msgid for e in tool.untranslated(po)] == []
    _, again = tool.read_po(po)
    assert again[1].msgstr == {0: '说“%(x)s”\n'} and "fuzzy" not in again[1].flags
    assert again[2].msgstr == {0: "%(n)s 个文件"}
    assert "#|" not in po.read_text(encoding="utf-8")
