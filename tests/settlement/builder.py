"""Batches, claims and lines written straight to the tables, for the rules' tests (the checker is
tested apart): `Batches(provider, user).claim(...)` adds a claim with its lines to the open batch."""

from datetime import date
from decimal import Decimal

from eligibility.models import CatalogueItem, Registration
from settlement.models import Claim, ClaimBatch, ClaimLine, Finding

_counter = iter(range(1, 10**9))


def item(code="SRV001", *, category="SERVICE", pay_class="A", name=None, **fields) -> CatalogueItem:
    return CatalogueItem.objects.create(item_code=code, name=name or f"项目{code}", category=category,
                                        pay_class=pay_class, effective_from=fields.pop("effective_from",
                                                                                        date(2020, 1, 1)), **fields)


def registration(person, kind, number, **fields) -> Registration:
    fields.setdefault("approved_on", date(2026, 1, 1))
    if kind != "REFERRAL":
        fields.setdefault("valid_from", date(2026, 1, 1))
    return Registration.objects.create(person=person, kind=kind, number=number, source="LOAD", **fields)


class Batches:
    def __init__(self, provider, user):
        self.provider, self.user = provider, user
        self.batch = None

    def new(self, status=ClaimBatch.Status.ACCEPTED) -> ClaimBatch:
        n = next(_counter)
        self.batch = ClaimBatch.objects.create(provider=self.provider, number=n, period="2026-10", status=status,
                                               file=f"t/{n}.csv", original_name="t.csv", sha256=f"{n:064d}",
                                               size=1, file_format="csv", uploaded_by=self.user)
        return self.batch

    def claim(self, claim_no, person, lines, *, visit_type="OUTPATIENT", admission=date(2026, 10, 8),
              discharge=None, diagnosis="J06.9", name=None, referral_no="", emergency=False) -> Claim:
        if self.batch is None:
            self.new()
        claim = Claim.objects.create(
            batch=self.batch, provider=self.provider, claim_no=claim_no, visit_type=visit_type,
            patient_id_number=person.id_number, patient_name=name or person.name, admission_date=admission,
            discharge_date=discharge, diagnosis_code=diagnosis, referral_no=referral_no, emergency=emergency,
            line_count=len(lines), total=sum((Decimal(ln.get("amount", "10.00")) for ln in lines), Decimal(0)),
            first_row=2)
        for position, ln in enumerate(lines, start=1):
            ClaimLine.objects.create(
                claim=claim, line_no=str(position), position=position, row=position + 1,
                service_date=ln.get("service_date", admission), item_code=ln.get("item", "SRV001"),
                item_name=ln.get("item_name", "项目"), quantity=Decimal(ln.get("quantity", "1")),
                unit_price=Decimal(ln.get("unit_price", ln.get("amount", "10.00"))),
                amount=Decimal(ln.get("amount", "10.00")), days_supply=ln.get("days_supply"),
                physician_code="D1", department="内科")
        return claim


def findings(batch, code=None):
    qs = Finding.objects.filter(batch=batch).select_related("claim", "line").order_by("claim__claim_no", "position",
                                                                                     "line__position")
    if code:
        qs = qs.filter(rule_code=code)
    return [(f.rule_code, f.claim.claim_no, f.line.position if f.line else None, f.amount_at_issue) for f in qs]
