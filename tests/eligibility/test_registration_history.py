"""A registration's page tells its history in sentences (eligibility's audit texts): who recorded it,
what a load changed, who revoked it and why; its versions are named in words, never by the codes the
program keeps (created, revoked, seed_demo)."""

import re
from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from core.audit import record_many
from core.models import AuditEntry
from core.timeline import object_timeline
from eligibility.models import Registration
from eligibility.services.registrations import create_registration, record_referral_use, revoke_registration
from tests.factories import PersonFactory
from tests.plain_text import leaks, project_enum_codes, visible_text

pytestmark = pytest.mark.django_db
Kind = Registration.Kind


@pytest.fixture
def referral(db):
    return create_registration(actor=None, person=PersonFactory(name="马冬"), kind=Kind.REFERRAL, number="ZW1",
                               approved_on=date(2026, 9, 1), provider_codes=["H11010001"],
                               source=Registration.Source.DEMO, source_reference="seed_demo")


def history_lines(html: str) -> list[str]:
    block = html[html.index('id="history-h"'):]
    block = block[:block.index("</ul>")]
    return [visible_text(item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", block, flags=re.S)]


def test_a_registrations_page_tells_its_history_and_versions_in_words(referral, reviewer, client_for):
    record_referral_use(actor=reviewer, registration=referral, used_on=date(2026, 9, 20), reference="B-1")
    revoke_registration(actor=reviewer, registration=referral, reason="本人申请撤销")
    client = client_for(reviewer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("eligibility:registration_detail", args=[referral.pk])).content.decode()
    lines = history_lines(html)
    assert len(lines) == 3 and all(re.search(r"· \S", line) for line in lines), lines  # never an empty line
    assert "张伟 revoked the registration." in lines[0] and "本人申请撤销" in lines[0]
    assert "张伟 recorded the referral's first use in time, on 2026-09-20." in lines[1]
    assert lines[2].endswith("The system recorded the registration Referral (转外就医) ZW1 (approved on 2026-09-01).")
    text = visible_text(html)
    versions = text[text.index("Versions"):text.index("History")]
    assert "Registration recorded" in versions and "Demo data" in versions and "Revoked" in versions
    action_codes = set(AuditEntry.objects.values_list("action", flat=True))
    enum_codes = project_enum_codes() - {"system"}  # a role's code, and an English word: "The system"
    assert leaks(text, enum_codes=enum_codes, action_codes=action_codes) == []
    table = html[html.index("<table"):html.index("</table>")]
    cells = {visible_text(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", table, flags=re.S)}
    assert {"Registration recorded", "First used in time", "Revoked", "Demo data"} <= cells
    assert not cells & {"created", "updated", "revoked", "used"}  # the codes of the versions' changes
    assert "seed_demo" not in text


def test_a_loaded_change_names_the_fields_it_changed(referral, english):
    before = {"kind": "REFERRAL", "number": "ZW1", "person": referral.person_id, "status": "ACTIVE",
              "approved_on": "2026-09-01", "provider_codes": ["H11010001"]}
    after = {**before, "approved_on": "2026-09-05", "provider_codes": ["H11010001", "H32010002"]}
    with transaction.atomic():
        record_many(None, "eligibility.registration.updated",
                    [(("eligibility.registration", str(referral.pk), "REFERRAL ZW1"), before, after)])
    with translation.override("en"):
        newest = object_timeline(referral)[0]["text"]
    assert newest == ("The system updated the registration Referral (转外就医) ZW1 from a loaded file: "
                      "approved on: 2026-09-01 → 2026-09-05；providers: H11010001 → H11010001、H32010002.")
