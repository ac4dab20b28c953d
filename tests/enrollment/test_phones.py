"""Issue 14, item 9: telephone numbers are checked as mainland numbers, by one validator
(enrollment.identity.check_phone) wherever enrollment takes one: the intake's applicant, a kind's
payload (change of information, transfer in, employer registration), a staff list, the register."""

from datetime import date

import pytest

from core.errors import ValidationFailed
from core.system import system_user
from enrollment.identity import IdentityError
from enrollment.models import Application, Person
from enrollment.services import applications as svc
from enrollment.services.register import register_employer, register_person, update_person
from enrollment.services.roster import upload_roster
from tests.enrollment.test_applications import add_persons, new_id_numbers, roster_file
from tests.factories import EmployerFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]
Kind = Application.Kind

GOOD = {
    "13800138000": "13800138000", "199 1234 5678": "19912345678", "138-0013-8000": "13800138000",
    "+8613800138000": "13800138000", "025-12345678": "025-12345678", "02512345678": "02512345678",
    "0571-8765432": "0571-8765432", "0755 12345678": "075512345678",
}
BAD = ["138001", "12800138000", "1380013800", "138001380001", "25-12345678", "025-123456", "abc", "(025)1234567x",
       "110", "+1 415 555 0100"]


@pytest.mark.parametrize("typed, kept", GOOD.items())
def test_mainland_mobiles_and_landlines_with_their_area_code_are_accepted(typed, kept):
    from enrollment.identity import check_phone

    assert check_phone(typed) == kept


@pytest.mark.parametrize("typed", BAD)
def test_anything_else_is_refused(typed):
    from enrollment.identity import check_phone

    with pytest.raises(IdentityError):
        check_phone(typed)


def test_the_intake_refuses_a_six_digit_applicant_phone(clerk, employer):
    with pytest.raises(ValidationFailed) as refused:
        add_persons(clerk, employer, applicant_phone="138001")
    assert [e["column"] for e in refused.value.errors] == ["applicant_phone"]
    assert "mobile number" in str(refused.value.errors[0]["message"])


def test_a_change_of_information_refuses_a_six_digit_phone(clerk):
    person = PersonFactory()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_application(actor=clerk, kind=Kind.CHANGE_INFO, applicant_name=person.name,
                               person_id_number=person.id_number, payload={"changes": {"phone": "138001"}})
    assert [e["column"] for e in refused.value.errors] == ["new_phone"]


def test_a_transfer_in_refuses_a_six_digit_phone(clerk):
    with pytest.raises(ValidationFailed) as refused:
        svc.create_application(actor=clerk, kind=Kind.TRANSFER_IN, applicant_name="张三", effective_date=date(2026, 12, 1),
                               payload={"id_number": new_id_numbers(1)[0], "name": "张三", "phone": "138001",
                                        "from_region": "上海"})
    assert [e["column"] for e in refused.value.errors] == ["phone"]


def test_a_staff_list_row_with_a_six_digit_phone_is_an_error_and_a_mobile_is_kept_as_its_digits(clerk, employer):
    first, second = new_id_numbers(2)
    case = add_persons(clerk, employer)
    up = upload_roster(actor=clerk, application=case, file=roster_file([(first, "张三", "138001")]))
    assert [(e["row"], e["column"]) for e in up.errors] == [(2, "手机号")]
    case.refresh_from_db()
    up = upload_roster(actor=clerk, application=case, file=roster_file([(second, "李四", "138 0013 8000")]))
    assert up.is_valid and list(up.entries.values_list("phone", flat=True)) == ["13800138000"]


def test_the_register_refuses_a_six_digit_phone():
    actor = system_user()
    number = new_id_numbers(1)[0]
    with pytest.raises(ValidationFailed) as refused:
        register_person(actor=actor, id_number=number, name="张三", insurance_type="RES", status="ACTIVE",
                        status_date=date(2026, 1, 1), phone="138001")
    assert refused.value.errors[0]["column"] == "phone" and not Person.objects.filter(id_number=number).exists()
    person = PersonFactory(phone="")
    with pytest.raises(ValidationFailed):
        update_person(actor=actor, person=person, changes={"phone": "138001"})
    with pytest.raises(ValidationFailed):
        register_employer(actor=actor, uscc=EmployerFactory.build().uscc, name="示范市某公司", contact_phone="138001")
