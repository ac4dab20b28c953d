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


def test_the_demo_provider_logins_are_named_after_their_provider_not_its_code():
    ensure_demo_users()
    seed_providers()
    code, name, *_rest = DEMO_PROVIDERS[1]
    # An earlier seed_demo named the login by its code: a rerun names it after the provider.
    get_user_model().objects.create_user(username=code.lower(), first_name=code)
    seed_eligibility(persons=0)
    for code, name, *_rest in DEMO_PROVIDERS[1:]:
        assert get_user_model().objects.get(username=code.lower()).get_full_name() == f"{name} 医保办"
