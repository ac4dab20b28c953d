"""Two providers (A and B), a user of each, an auditor assigned to A and one assigned to none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.providers import grant_provider_access
from core.roles import Role
from settlement.models import ClaimBatch
from settlement.services import upload_batch
from tests.factories import ProviderFactory
from tests.settlement.files import csv_bytes, line


@pytest.fixture
def provider_a(db):
    return ProviderFactory(code="H32019001", name="示范市甲医院")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(code="H32019002", name="示范市乙医院")


@pytest.fixture
def user_a(provider_user, provider_a):
    grant_provider_access(user=provider_user, provider=provider_a, actor=None)
    return provider_user


@pytest.fixture
def user_b(make_user, provider_b):
    user = make_user("ivan_provider", Role.PROVIDER)
    grant_provider_access(user=user, provider=provider_b, actor=None)
    return user


@pytest.fixture
def auditor_a(auditor, provider_a):
    grant_provider_access(user=auditor, provider=provider_a, actor=None)
    return auditor


@pytest.fixture
def auditor_none(make_user):
    return make_user("judy_auditor", Role.SETTLEMENT_AUDITOR)


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """upload(user, data, name="claims.csv", period="2026-10"): the service, with the check run on commit."""

    def do(user, data: bytes, name: str = "claims.csv", period: str = "2026-10") -> ClaimBatch:
        with django_capture_on_commit_callbacks(execute=True):
            batch = upload_batch(actor=user, file=SimpleUploadedFile(name, data), period=period)
        batch.refresh_from_db()
        return batch

    return do


@pytest.fixture
def accepted_batch(user_a, upload):
    return upload(user_a, csv_bytes([line("C001", 1), line("C001", 2, amount="25.00"), line("C002", 1)]))
