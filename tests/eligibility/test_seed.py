"""eligibility's demo data: a catalogue sample, registrations of each kind, a login per provider."""

import pytest
from django.contrib.auth import get_user_model

from core.demo_providers import DEMO_PROVIDERS, seed_providers
from core.demo_users import ensure_demo_users
from core.providers import providers_visible_to
from eligibility.models import CatalogueItem, Registration
from eligibility.seed import seed_eligibility
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_demo_data_has_every_kind_and_a_second_run_adds_nothing():
    ensure_demo_users()
    seed_providers()
    PersonFactory.create_batch(12)
    seed_eligibility(persons=12)
    counts = (CatalogueItem.objects.count(), Registration.objects.count())
    assert set(Registration.objects.values_list("kind", flat=True)) == set(Registration.Kind.values)
    assert set(Registration.objects.filter(kind="PENALTY").values_list("measure", flat=True)) == set(
        Registration.Measure.values)
    assert set(CatalogueItem.objects.values_list("category", flat=True)) == {"DRUG", "SERVICE", "MATERIAL", "BED"}
    seed_eligibility(persons=12)
    assert (CatalogueItem.objects.count(), Registration.objects.count()) == counts
    for code, *_rest in DEMO_PROVIDERS[1:]:
        user = get_user_model().objects.get(username=code.lower())
        assert [p.code for p in providers_visible_to(user)] == [code]
