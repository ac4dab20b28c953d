"""What every letter to the public carries, read back with pdftotext: the issue date as
2026年12月25日 (25 December 2026 in English), a salutation to the employer or applicant, the office's
signature and red seal, the service window's address, telephone and hours, one name for the case
number; the approval letter lists the persons it concerns; a report prints office time, not UTC.
Pages that say "print" have a print button that opens the PDF."""

import re
import subprocess
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from core.letters import TextLetter, long_date, office_time
from core.masking import mask_id_number
from enrollment.kinds import spec_for
from enrollment.models import Application, ReconciliationRun
from enrollment.reconciliation.report import ReconciliationReport
from enrollment.services import applications as svc
from tests.enrollment.test_applications import add_persons, take_to
from tests.factories import EmployerFactory, PersonFactory

Status, Kind = Application.Status, Application.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def the_window(settings):
    settings.OFFICE_ADDRESS = "示范市人民路100号市民服务中心二楼"
    settings.OFFICE_PHONE = "0571-87654321"
    settings.OFFICE_HOURS = "周一至周五 9:00—17:00"


@pytest.fixture
def chinese_letters(settings):
    settings.LETTER_LANGUAGE = "zh-hans"


@pytest.fixture
def english_letters(settings):
    settings.LETTER_LANGUAGE = "en"


@pytest.fixture
def employer(db):
    return EmployerFactory(name="示范市华信科技有限公司")


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def letter_text(letter) -> str:
    with letter.pdf.open("rb") as f:
        return text_of(f.read())


def red_pixels(pdf: bytes) -> int:
    """How many clearly red pixels the first page has (the seal is the only red on a letter)."""
    ppm = subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-"], input=pdf, capture_output=True,
                         check=True).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    data = ppm[header.end():]
    return sum(1 for i in range(0, len(data), 3) if data[i] > 180 and data[i + 1] < 120 and data[i + 2] < 120)


def sample(**extra) -> TextLetter:
    letter = TextLetter(kind="test_notice", prefix="TST", title="告知书", paragraphs=["正文。"], **extra)
    letter.issued_on = date(2026, 12, 25)
    return letter


# -- the base: date, salutation, signature and seal, the window --------------------------------------------

def test_the_issue_date_reads_2026年12月25日_in_chinese_and_25_december_2026_in_english(settings):
    settings.LETTER_LANGUAGE = "zh-hans"
    assert "2026年12月25日" in text_of(sample().render())
    settings.LETTER_LANGUAGE = "en"
    assert "25December2026" in text_of(sample().render())
    with translation.override("zh-hans"):
        assert long_date(date(2027, 1, 5)) == "2027年1月5日"
    with translation.override("en"):
        assert long_date(date(2027, 1, 5)) == "5 January 2027"


def test_a_letter_greets_its_addressee_and_ends_with_the_signature_and_the_window(chinese_letters, settings):
    text = text_of(sample(addressee="欧阳春花").render())
    assert text.index("欧阳春花：") < text.index("正文。")  # the salutation comes before the body
    signature = text.index("正文。") + len("正文。")
    assert text[signature:].startswith(settings.OFFICE_NAME + "2026年12月25日")  # seal's glyphs stay out
    for value in ("示范市人民路100号市民服务中心二楼", "0571-87654321", "周一至周五9:00—17:00"):
        assert value in text


def test_the_seal_is_drawn_in_red_on_signed_letters_only(chinese_letters):
    signed = sample().render()
    unsigned_letter = sample()
    unsigned_letter.signed = False
    assert red_pixels(signed) > 200
    assert red_pixels(unsigned_letter.render()) == 0


def test_english_letters_say_dear_and_sign_with_the_english_name(english_letters, settings):
    text = text_of(sample(addressee="欧阳春花").render())
    assert "Dear欧阳春花," in text and "".join(settings.OFFICE_NAME_EN.split()) in text
    assert "Servicewindow:" in text and "Telephone:0571-87654321" in text and "Openinghours:" in text


# -- the application letters ------------------------------------------------------------------------------

def test_the_notice_greets_the_employer_and_names_the_case_number_one_way(chinese_letters, clerk, employer):
    app = add_persons(clerk, employer, provided=[])
    svc.submit_application(actor=clerk, application=app)
    text = letter_text(svc.issue_notice(actor=clerk, application=app))
    assert text.index("示范市华信科技有限公司：") < text.index(app.number)
    assert "案件编号" in text and "受理编号" not in text and "申请号" not in text and "受理号" not in text
    assert re.search(r"20\d\d年\d{1,2}月\d{1,2}日", text)  # the issue date, and the deadline, as letters write them
    assert "0571-87654321" in text


def test_a_personal_case_greets_the_applicant(chinese_letters, clerk, employer):
    person = PersonFactory(name="欧阳春花", insurance_type="EMP", employer_code=employer.uscc)
    app = svc.create_application(actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name="欧阳春花",
                                 person_id_number=person.id_number, effective_date=date(2026, 12, 31),
                                 payload={"to_region": "上海市"}, provided=[])
    svc.submit_application(actor=clerk, application=app)
    assert "欧阳春花：" in letter_text(svc.issue_notice(actor=clerk, application=app))


def test_the_approval_letter_lists_the_persons_it_concerns_masked(english_letters, clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    entries = list(app.roster_uploads.get(is_current=True).entries.order_by("line_no"))
    assert len(entries) == 3
    text = letter_text(svc.approve_application(actor=reviewer, application=app))
    assert "Thepersonsthisdecisionconcerns" in text
    for n, entry in enumerate(entries, start=1):
        assert f"{n}{entry.name}{mask_id_number(entry.id_number)}" in text
        assert entry.id_number not in text
    assert "Dear示范市华信科技有限公司," in text


def test_the_approval_of_a_transfer_out_lists_its_one_person(english_letters, clerk, reviewer, employer):
    person = PersonFactory(name="欧阳春花", insurance_type="EMP", employer_code=employer.uscc)
    app = svc.create_application(actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name="欧阳春花",
                                 person_id_number=person.id_number, effective_date=date(2026, 12, 31),
                                 payload={"to_region": "上海市"},
                                 provided=list(spec_for(Kind.TRANSFER_OUT).checklist))
    take_to(app, Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    text = letter_text(svc.approve_application(actor=reviewer, application=app))
    assert f"1欧阳春花{mask_id_number(person.id_number)}" in text and person.id_number not in text


# -- office time ------------------------------------------------------------------------------------------

def test_the_nightly_report_prints_office_time_not_utc(settings, english_letters):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    finished = datetime(2026, 11, 21, 5, 41, tzinfo=UTC)  # 13:41 in Shanghai
    run = ReconciliationRun.objects.create(
        run_date=date(2026, 11, 21), status=ReconciliationRun.Status.FAILED, attempts=1, file_name="x.csv",
        error="OperationalError", started_at=finished, finished_at=finished)
    text = text_of(ReconciliationReport(run).render())
    assert "Finished21November202613:41" in text
    assert "05:41" not in text


def test_office_time_is_the_time_zone_of_the_office(settings):
    with translation.override("zh-hans"):
        assert office_time(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027年1月1日 00:30"


# -- print buttons ----------------------------------------------------------------------------------------

def test_the_case_page_has_a_print_button_that_opens_each_letter(clerk, employer, client_for, english_pages):
    app = add_persons(clerk, employer, provided=[])
    svc.submit_application(actor=clerk, application=app)
    letter = svc.issue_notice(actor=clerk, application=app)
    client = client_for(clerk)
    html = client.get(reverse("enrollment:application_detail", args=[app.pk])).content.decode()
    pdf_url = reverse("enrollment:application_letter", args=[app.pk, letter.pk])
    button = re.search(r'<a class="button primary" href="([^"]+)" target="_blank" rel="noopener" '
                       r'data-print-letter>Print</a>', html)
    assert button and button.group(1) == pdf_url
    response = client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
