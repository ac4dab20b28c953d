"""Letters: Chinese text that survives into the PDF, the kept file's checksum, and /verify/<code>."""

import hashlib
import shutil
import subprocess

import pytest
from django.utils import timezone

from core.letters import TextLetter
from core.models import AuditEntry, LetterRecord

pytestmark = pytest.mark.django_db

SUBJECT = "欧阳春花"
PARAGRAPH = "参保人欧阳春花：您提交的参保登记申请缺少户口簿复印件，请于五个工作日内到窗口补正。"


@pytest.fixture
def letter(clerk):
    return TextLetter(kind="test_notice", prefix="TST", title="一次性告知书", paragraphs=[PARAGRAPH],
                      subject_name=SUBJECT).issue(actor=clerk)


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (.ci/run does this)")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return "".join(out.stdout.split())  # CJK lines wrap anywhere: compare without whitespace


def test_a_letter_in_chinese_extracts_back_as_the_same_chinese(letter, settings):
    text = _pdf_text(letter.pdf.path)
    assert "".join(PARAGRAPH.split()) in text
    assert "一次性告知书" in text
    assert settings.OFFICE_NAME in text
    assert letter.verification_code in text
    assert letter.number in text


def test_the_letter_record_keeps_the_pdfs_checksum_number_and_issuer(letter, clerk):
    with open(letter.pdf.path, "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    assert letter.number == f"TST-{timezone.localdate().year}-000001"
    assert letter.issued_by == clerk
    entry = AuditEntry.objects.get(action="core.letter.issued", object_id=str(letter.pk))
    assert entry.after["sha256"] == letter.sha256
    assert entry.after["number"] == letter.number


def test_letter_numbers_and_codes_are_unique(clerk):
    letters = [TextLetter(kind="test_notice", prefix="TST", title="通知", paragraphs=["正文"]).issue(actor=clerk)
               for _ in range(3)]
    assert len({x.number for x in letters}) == 3
    assert len({x.verification_code for x in letters}) == 3


def test_the_verification_page_shows_type_date_and_a_masked_name_only(client, letter):
    response = client.get(f"/verify/{letter.verification_code}", HTTP_COOKIE="django_language=en")
    assert response.status_code == 200
    content = response.content.decode()
    assert "This letter is genuine." in content
    assert "一次性告知书" in content
    assert letter.number in content
    assert timezone.localdate(letter.issued_at).isoformat() in content
    assert "欧**花" in content
    assert SUBJECT not in content
    assert "户口簿" not in content  # nothing of the letter's body


def test_the_verification_form_accepts_a_code_typed_in_lower_case(client, letter):
    response = client.get("/verify/", {"code": f" {letter.verification_code.lower()} "})
    assert response.status_code == 200
    assert letter.number in response.content.decode()


def test_an_unknown_code_is_a_404_that_says_so(client, letter):
    response = client.get("/verify/ABCDEFGHJKLM", HTTP_COOKIE="django_language=en")
    assert response.status_code == 404
    content = response.content.decode()
    assert "No letter has this verification code" in content
    assert letter.number not in content
    assert LetterRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_letter_is_in_the_offices_language_whatever_the_clerks_screen_shows(clerk, tmp_path):
    from django.utils import translation

    from core.letters import TextLetter

    with translation.override("en"):
        letter = TextLetter(kind="test", prefix="T", title="示范通知", paragraphs=["正文"], subject_name="张三").issue(
            actor=clerk)
    text = subprocess.run(["pdftotext", letter.pdf.path, "-"], capture_output=True, text=True, check=True).stdout
    assert "核验码" in text and "Verification code" not in text  # the footer, in Chinese


# -- issue 13, item 6: no PDF renders under the audit chain's lock ------------------------------------

def audit_chain_lock_held_by(pid: int) -> bool:
    """Asked from another connection, as another worker would see it: does session `pid` hold the chain's lock?"""
    import psycopg
    from django.db import connection

    from core.locks import AUDIT_CHAIN

    s = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None,
                                         port=s["PORT"] or None, password=s.get("PASSWORD") or None)
    with psycopg.connect(dsn, autocommit=True) as other:
        return other.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = %s "
            "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(%s, 0))",
            [pid, AUDIT_CHAIN]).fetchone()[0]


@pytest.fixture(name="chain_lock_while_rendering")
def chain_lock_fixture(monkeypatch):
    """A render hook: records, for every letter rendered, whether the chain's lock was held meanwhile."""
    from django.db import connection

    from core.letters import Letter

    connection.ensure_connection()
    pid, seen, render = connection.connection.info.backend_pid, [], Letter.render

    def probing_render(self):
        seen.append(audit_chain_lock_held_by(pid))
        return render(self)

    monkeypatch.setattr(Letter, "render", probing_render)
    return seen, pid


def test_a_letter_renders_before_the_audit_chains_lock_is_taken(clerk, chain_lock_while_rendering):
    from django.db import transaction

    seen, pid = chain_lock_while_rendering
    with transaction.atomic():
        letter = TextLetter(kind="test", prefix="T", title="通知", paragraphs=["正文"]).issue(actor=clerk)
        assert audit_chain_lock_held_by(pid)  # taken at the end, for the audit entry, until the commit
    assert seen == [False]
    assert AuditEntry.objects.filter(action="core.letter.issued", object_id=str(letter.pk)).exists()


def test_a_letter_refuses_to_render_after_the_transactions_first_audit_entry(clerk):
    from django.db import transaction

    from core.audit import record

    with pytest.raises(RuntimeError, match="before the transaction's first audit entry"), transaction.atomic():
        record(clerk, "core.test.noted", ("core.test", "1", "x"))
        TextLetter(kind="test", prefix="T", title="通知", paragraphs=["正文"]).issue(actor=clerk)
    assert not LetterRecord.objects.exists()
