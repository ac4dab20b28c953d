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
