"""Eligibility's pages: who may read them, what they show, query counts flat in the rows."""

from datetime import date

import pytest
from django.urls import reverse

from core.models import AuditEntry
from eligibility.models import CatalogueItem, CoverageLookup, DiseaseClass, Registration
from eligibility.services.registrations import create_registration
from tests.factories import PersonFactory, make_id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

Kind = Registration.Kind


def _item(code, name="阿莫西林胶囊", **values):
    return CatalogueItem.objects.create(item_code=code, name=name, category="DRUG", pay_class="A",
                                        effective_from=date(2024, 1, 1), **values)


def _register(person, kind, number, **values):
    defaults = {"approved_on": date(2026, 1, 1)}
    if kind != Kind.REFERRAL:
        defaults["valid_from"] = date(2026, 1, 1)
    return create_registration(actor=None, person=person, kind=kind, number=number, source="DEMO",
                               **{**defaults, **values})


PAGES = ["eligibility:catalogue", "eligibility:registration_list", "eligibility:policies"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(("persona", "status"), [
    ("clerk", 200), ("reviewer", 200), ("senior_reviewer", 200), ("settlement_auditor", 200), ("supervisor", 200),
    ("admin", 200), ("provider", 403)])
def test_the_pages_are_for_the_offices_staff(client_for, personas, name, persona, status):
    assert client_for(personas[persona]).get(reverse(name)).status_code == status


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    assert client.get(reverse("eligibility:catalogue")).status_code == 302


def test_the_catalogue_is_searched_by_code_prefix_or_name_and_shows_the_limits(client_for, clerk):
    _item("XA01", price_cap="12.50", max_per_day=6, indications=["E10", "E11"], sex_limit="F", age_min=18)
    _item("XB02", name="二甲双胍片")
    page = client_for(clerk).get(reverse("eligibility:catalogue"), {"q": "xa"}).content.decode()
    assert "<code>XA01</code>" in page and "<code>XB02</code>" not in page
    assert "12.5" in page and "At most 6 a day" in page and "E10; E11" in page and "Female only" in page
    assert "Aged 18 and over" in page
    by_name = client_for(clerk).get(reverse("eligibility:catalogue"), {"q": "双胍"}).content.decode()
    assert "<code>XB02</code>" in by_name and "<code>XA01</code>" not in by_name


def test_the_catalogue_shows_the_version_in_force_on_a_date(client_for, clerk):
    _item("XA01", price_cap="12.50", effective_to=date(2025, 12, 31))
    CatalogueItem.objects.create(item_code="XA01", name="阿莫西林胶囊", category="DRUG", pay_class="B",
                                 price_cap="9.90", effective_from=date(2026, 1, 1))
    page = client_for(clerk).get(reverse("eligibility:catalogue"), {"q": "XA01", "on": "2026-03-01"}).content.decode()
    assert "9.9" in page and "12.5" not in page


def test_registrations_filter_by_kind_state_and_person(client_for, clerk, reviewer):
    alice, bob = PersonFactory(name="王小明"), PersonFactory(name="李四")
    _register(alice, Kind.SPECIAL_DISEASE, "M-1", diagnosis_categories=["E11"])
    _register(bob, Kind.PENALTY, "P-1", measure="MONITORING", valid_to=date(2026, 2, 1))
    revoked = _register(bob, Kind.RESIDENCE_ELSEWHERE, "R-1", provider_codes=["H11010001"])
    from eligibility.services.registrations import revoke_registration

    revoke_registration(actor=reviewer, registration=revoked, reason="x")
    client, url = client_for(clerk), reverse("eligibility:registration_list")

    def numbers(**params):
        page = client.get(url, params).content.decode()
        return [n for n in ("M-1", "P-1", "R-1") if f">{n}<" in page]

    assert numbers() == ["M-1", "P-1", "R-1"]
    assert numbers(kind="PENALTY") == ["P-1"]
    assert numbers(state="in_force") == ["M-1"]
    assert numbers(state="ended") == ["P-1"]
    assert numbers(state="revoked") == ["R-1"]
    assert numbers(person="王小") == ["M-1"]
    assert numbers(person=bob.id_number) == ["P-1", "R-1"]
    assert bob.id_number not in client.get(url).content.decode()  # masked


def test_the_registrations_query_count_does_not_grow_with_the_rows(client_for, clerk,
                                                                   django_assert_max_num_queries):
    client, url = client_for(clerk), reverse("eligibility:registration_list")
    _register(PersonFactory(), Kind.REFERRAL, "Z-0", provider_codes=["H11010001"])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(25):
        person = PersonFactory(id_number=make_id_number(birth=date(1960, 1, 1 + i)))
        _register(person, Kind.REFERRAL, f"Z-{i + 1}", provider_codes=["H11010001"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_person_benefits_page_lists_registrations_penalties_caps_and_lookups(client_for, clerk, supervisor):
    person = PersonFactory(insurance_type="EMP")
    _register(person, Kind.PENALTY, "P-7", measure="SETTLEMENT_METHOD", valid_from=date(2020, 1, 1))
    _register(person, Kind.SPECIAL_DISEASE, "M-7", diagnosis_categories=["I10"])
    CoverageLookup.objects.create(username="h1_api", provider_code="H32010001", person=person,
                                  id_number=person.id_number, on_date=date(2026, 6, 1), visit_type="INPATIENT",
                                  covered=True, answer={})
    page = client_for(supervisor).get(reverse("eligibility:person_detail", args=[person.pk])).content.decode()
    assert "P-7" in page and "M-7" in page and "Settlement method changed" in page
    assert "h1_api" in page and "H32010001" in page
    assert "300000.00 left" in page and "400000.00 left" in page
    assert person.id_number not in page


def test_the_policies_page_shows_the_versions_side_by_side(client_for, clerk):
    page = client_for(clerk).get(reverse("eligibility:policies")).content.decode()
    assert "300000.00 yuan" in page and "200000.00 yuan" in page
    assert "deductible 900.00 yuan · fund ratio 80.00%" in page and "deductible 200.00 yuan · fund ratio 80.00%" in page


def test_a_reviewer_revokes_a_registration_from_its_page_and_a_clerk_may_not(client_for, clerk, reviewer):
    registration = _register(PersonFactory(), Kind.RESIDENCE_ELSEWHERE, "R-9", provider_codes=["H11010001"])
    url = reverse("eligibility:registration_revoke", args=[registration.pk])
    assert client_for(clerk).post(url, {"reason": "x"}).status_code == 403
    detail = client_for(reviewer).get(reverse("eligibility:registration_detail", args=[registration.pk]))
    assert b"Revoke the registration" in detail.content
    client_for(reviewer).post(url, {"reason": "本人申请"})
    registration.refresh_from_db()
    assert registration.status == "REVOKED"


def test_an_unknown_registration_or_person_is_a_404(client_for, clerk):
    assert client_for(clerk).get(reverse("eligibility:registration_detail", args=[999999])).status_code == 404
    assert client_for(clerk).get(reverse("eligibility:person_detail", args=[999999])).status_code == 404


def test_admin_edits_of_the_reference_data_are_audited(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(reverse("admin:eligibility_diseaseclass_add"), {
        "category_from": "k50", "category_to": "K51", "disease_class": "CHRONIC", "name": "炎症性肠病"})
    assert response.status_code == 302
    disease = DiseaseClass.objects.get(category_from="K50")
    assert AuditEntry.objects.filter(action="eligibility.diseaseclass.added_in_admin",
                                     object_id=str(disease.pk)).exists()
    overlapping = client.post(reverse("admin:eligibility_diseaseclass_add"), {
        "category_from": "E12", "category_to": "E13", "disease_class": "CHRONIC", "name": "x"})
    assert overlapping.status_code == 200 and "shares categories" in overlapping.content.decode()
    item = _item("XA01")
    client.post(reverse("admin:eligibility_catalogueitem_delete", args=[item.pk]), {"post": "yes"})
    assert not CatalogueItem.objects.filter(pk=item.pk).exists()
    assert AuditEntry.objects.filter(action="eligibility.catalogueitem.deleted_in_admin",
                                     object_id=str(item.pk)).exists()
