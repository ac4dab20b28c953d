import importlib

import pytest


@pytest.fixture(autouse=True)
def _disease_classes(request):
    """The disease classes migration 0011 seeds are there in every database test, also after a
    transactional test flushed the tables."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames \
            and request.node.get_closest_marker("django_db") is None:
        yield
        return
    from django.apps import apps

    from eligibility.models import DiseaseClass

    if not DiseaseClass.objects.exists():
        importlib.import_module("eligibility.migrations.0011_seed_disease_classes").seed(apps, None)
    yield
