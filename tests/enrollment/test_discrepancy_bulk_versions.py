"""Bulk resolution refuses a row a colleague resolved after the page was shown; so does the preview of
taking the agency's value."""

from datetime import date

import pytest
from django.urls import reverse

from core.system import system_user
from enrollment.models import Discrepancy
from enrollment.reconciliation.engine import reconcile_file
from enrollment.services.reconciliation import keep_our_value
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write

pytestmark = pytest.mark.django_db
A = number("32010219800101001")


@pytest.fixture
def discrepancy(tmp_path):
    PersonFactory(**person_values(A))
    reconcile_file(write(tmp_path / "x.csv", [row(A, paid_through="2026-08")]), run_date=date(2026, 11, 20), actor=system_user())
    return Discrepancy.objects.get()


def test_a_stale_row_in_a_bulk_resolution_is_refused_not_overwritten(clerk, clerk2, client_for, discrepancy):
    shown_version = discrepancy.version
    keep_our_value(actor=clerk2, discrepancy=discrepancy, note="checked with the employer")
    response = client_for(clerk).post(reverse("enrollment:discrepancy_bulk"), {
        "ids": [f"{discrepancy.pk}:{shown_version}"], "action": "ESCALATED"}, follow=True)
    assert response.status_code == 200
    discrepancy.refresh_from_db()
    assert (discrepancy.resolution, discrepancy.resolved_by, discrepancy.closed_on) == ("KEEP_OURS", clerk2, None)
    texts = [str(m) for m in response.context["messages"]]
    assert any(f"#{discrepancy.pk}" in t for t in texts)


def test_a_stale_row_is_left_out_of_the_preview_of_taking_the_agencys_value(clerk, clerk2, client_for, discrepancy):
    shown_version = discrepancy.version
    keep_our_value(actor=clerk2, discrepancy=discrepancy, note="checked with the employer")
    response = client_for(clerk).post(reverse("enrollment:discrepancy_bulk"), {
        "ids": [f"{discrepancy.pk}:{shown_version}"], "action": "TAKE_AGENCY"})
    assert response.status_code == 200 and f"#{discrepancy.pk}" in response.content.decode()
    assert 'name="ids"' not in response.content.decode()  # nothing left to propose


def test_a_current_row_in_a_bulk_resolution_is_resolved(clerk, client_for, discrepancy):
    client_for(clerk).post(reverse("enrollment:discrepancy_bulk"), {
        "ids": [f"{discrepancy.pk}:{discrepancy.version}"], "action": "KEEP_OURS"})
    discrepancy.refresh_from_db()
    assert (discrepancy.resolution, discrepancy.status, discrepancy.resolved_by) == ("KEEP_OURS", "KEPT", clerk)
    assert discrepancy.closed_on is None
