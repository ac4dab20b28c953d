"""The letters of an application, read back as text with pdftotext: the one-time notice lists
exactly the missing and invalid items, with what to bring, the deadline and the case number."""

import re
import subprocess
from datetime import date

import pytest

from core.letters import long_date
from core.models import LetterRecord
from enrollment import materials
from enrollment.kinds import spec_for
from enrollment.models import Application
from enrollment.services import applications as svc
from tests.enrollment.test_applications import add_persons, take_to
from tests.factories import EmployerFactory

Status, Kind = Application.Status, Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]



@pytest.fixture(autouse=True)
def letters_in_english(settings):
    settings.LETTER_LANGUAGE = "en"  # the letters' words are asserted in English here (Chinese by default)


@pytest.fixture
def employer(db):
    return EmployerFactory(name="示范市华信科技有限公司")


def pdf_text(letter: LetterRecord) -> str:
    """The letter's text with all white space removed (table cells wrap where they like)."""
    with letter.pdf.open("rb") as f:
        out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=f.read(), capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def squash(text) -> str:
    return re.sub(r"\s+", "", str(text))


def test_the_notice_lists_exactly_the_missing_and_invalid_items(clerk, employer):
    app = add_persons(clerk, employer, provided=["staff_roster", "id_copies"])
    svc.tick_materials(actor=clerk, application=app, states={"id_copies": ("INVALID", "复印件字迹模糊")})
    svc.submit_application(actor=clerk, application=app)
    letter = svc.issue_notice(actor=clerk, application=app)
    text = pdf_text(letter)
    for code in ("id_copies", "labour_contracts"):  # the invalid one and the missing one
        assert squash(materials.material_label(code)) in text
        assert squash(materials.what_to_bring(code)) in text
    assert squash(materials.material_label("staff_roster")) not in text  # provided: not on the notice
    assert "复印件字迹模糊" in text
    assert app.number in text and squash(long_date(app.notice_deadline)) in text  # e.g. 25 December 2026
    assert "张经办" in text and "示范市华信科技有限公司" in text  # Chinese renders as text, not boxes
    assert letter.kind == "enrollment.one_time_notice"
    assert (letter.object_type, letter.object_id) == ("enrollment.application", str(app.pk))


def test_the_notice_numbers_its_items_one_by_one(clerk, employer):
    app = add_persons(clerk, employer, provided=[])
    svc.submit_application(actor=clerk, application=app)
    text = pdf_text(svc.issue_notice(actor=clerk, application=app))
    labels = [squash(materials.material_label(c)) for c in spec_for(Kind.ADD_PERSONS).checklist]
    positions = [text.index(label) for label in labels]
    assert positions == sorted(positions)  # in checklist order, each once
    assert all(text.count(label) == 1 for label in labels)


def test_the_approval_letter_says_what_changes_and_when(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    letter = svc.approve_application(actor=reviewer, application=app, note="材料齐全")
    text = pdf_text(letter)
    assert app.number in text and "材料齐全" in text
    assert "3" in text and "2026-12-01" in text and "示范市华信科技有限公司" in text
    assert letter.kind == "enrollment.approval"


def test_the_rejection_letter_gives_the_reasons_and_how_to_appeal(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    letter = svc.reject_application(actor=reviewer, application=app, reasons=["not_genuine", "other"],
                                    note="营业执照已被吊销")
    text = pdf_text(letter)
    assert squash(materials.REJECTION_REASONS["not_genuine"]) in text
    assert squash(materials.REJECTION_REASONS["other"]) in text
    assert "营业执照已被吊销" in text and app.number in text
    assert "60" in text and "6" in text  # reconsideration within 60 days, lawsuit within 6 months
    assert squash(materials.REJECTION_REASONS["already_registered"]) not in text


def test_identity_numbers_are_masked_on_letters(clerk, reviewer, staff_person):
    app = svc.create_application(actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name=staff_person.name,
                                 person_id_number=staff_person.id_number, effective_date=date(2026, 12, 31),
                                 payload={"to_region": "上海市"}, provided=[])
    svc.submit_application(actor=clerk, application=app)
    text = pdf_text(svc.issue_notice(actor=clerk, application=app))
    assert staff_person.id_number not in text
    assert staff_person.id_number[:4] + "*" * 10 + staff_person.id_number[-4:] in text


@pytest.fixture
def staff_person(employer):
    from tests.factories import PersonFactory

    return PersonFactory(insurance_type="EMP", employer_code=employer.uscc)
