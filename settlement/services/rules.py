"""Switching a review rule on or off, or changing its parameters, for a period (audited).

The settings of a rule are periods that do not overlap; a change for [effective_from, effective_to]
cuts the periods it overlaps and puts one of its own in between, so that exactly one setting (or none)
is in force on any day. The review reads the setting in force on each claim's admission date.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import ValidationFailed
from core.roles import Role, require_role

from ..models import RuleSetting
from ..rules.catalog import BY_CODE


def _snapshot(setting: RuleSetting) -> dict:
    return {"rule_code": setting.rule_code, "enabled": setting.enabled, "params": setting.params,
            "effective_from": setting.effective_from.isoformat(),
            "effective_to": setting.effective_to.isoformat() if setting.effective_to else None}


def set_rule(*, actor, rule_code: str, enabled: bool, effective_from: date, effective_to: date | None = None,
             params: dict | None = None) -> RuleSetting:
    """Put `rule_code` on or off (with `params`, else those in force on effective_from) from effective_from
    to effective_to (empty: with no end)."""
    require_role(actor, Role.ADMIN)
    if rule_code not in BY_CODE:
        raise ValidationFailed(_("There is no review rule %(code)s.") % {"code": rule_code}, code="unknown_rule")
    if effective_to is not None and effective_to < effective_from:
        raise ValidationFailed(_("The period ends before it begins."), code="invalid_period")
    with transaction.atomic():
        rows = list(RuleSetting.objects.select_for_update().filter(rule_code=rule_code)
                    .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
                    .order_by("effective_from"))
        if effective_to is not None:
            rows = [r for r in rows if r.effective_from <= effective_to]
        in_force = next((r for r in rows if r.effective_from <= effective_from), None)
        if params is None:
            params = dict(in_force.params) if in_force else dict(BY_CODE[rule_code].defaults)
        for row in rows:
            before = _snapshot(row)
            ends_after = effective_to is not None and (row.effective_to is None or row.effective_to > effective_to)
            if ends_after:  # the part after the new period keeps the old values
                RuleSetting.objects.create(rule_code=rule_code, enabled=row.enabled, params=row.params,
                                           effective_from=effective_to + timedelta(days=1),
                                           effective_to=row.effective_to)
            if row.effective_from < effective_from:  # the part before it ends the day before
                row.effective_to = effective_from - timedelta(days=1)
                row.save(update_fields=["effective_to", "updated_at"])
                audit.record(actor, "settlement.rule_setting.cut", row, before=before, after=_snapshot(row))
            else:
                audit.record(actor, "settlement.rule_setting.replaced", row, before=before, after=None)
                row.delete()
        setting = RuleSetting.objects.create(rule_code=rule_code, enabled=enabled, params=params,
                                             effective_from=effective_from, effective_to=effective_to)
        audit.record(actor, "settlement.rule_setting.set", setting, before=None, after=_snapshot(setting))
    return setting
