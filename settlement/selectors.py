"""Reads of claim batches, their claims and error reports, shared by the pages and the API (QuerySets)."""

import django_filters
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from core.providers import providers_visible_to
from core.roles import has_role

from .models import BatchError, Claim, ClaimBatch, ClaimLine, Finding
from .roles import SETTLEMENT_READERS


def batches_visible_to(user) -> QuerySet[ClaimBatch]:
    """The batches of the providers the user may see, newest first (a stable order: by id)."""
    if not has_role(user, *SETTLEMENT_READERS):
        return ClaimBatch.objects.none()
    return ClaimBatch.objects.filter(provider__in=providers_visible_to(user)).order_by("-id")


def batch_claims(batch: ClaimBatch) -> QuerySet[Claim]:
    """A batch's claims in claim_no order (unique within a provider: a stable order)."""
    return batch.claims.order_by("claim_no", "id")


def batch_findings(batch: ClaimBatch) -> QuerySet[Finding]:
    """A batch's findings by claim_no, then the spec's order of rules, then line; each with the physician
    and department of its line (a whole-claim finding: of the claim's first line), in one query."""
    first = ClaimLine.objects.filter(claim=OuterRef("claim")).order_by("position")
    return (batch.findings.select_related("claim", "line")
            .annotate(first_physician=Subquery(first.values("physician_code")[:1]),
                      first_department=Subquery(first.values("department")[:1]))
            .order_by("claim__claim_no", "position", "line__position", "id"))


def batch_errors(batch: ClaimBatch) -> QuerySet[BatchError]:
    """A rejected batch's error report in file order: the file as a whole first, then by row and column."""
    return batch.errors.order_by("row", "position", "id")


class BatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClaimBatch.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    period = django_filters.CharFilter(label=_("Period"), help_text=_("YYYY-MM"))
    provider = django_filters.CharFilter(field_name="provider__code", label=_("Provider code"))

    class Meta:
        model = ClaimBatch
        fields = ["status", "period", "provider"]


def home_summary(user) -> dict | None:
    """The home panel's figures: how many batches the user may see, and the latest five."""
    visible = batches_visible_to(user)
    return {"count": visible.count(), "batches": list(visible.select_related("provider")[:5])}
