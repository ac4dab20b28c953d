"""The admin writes audit entries like every other change, and an issued letter stays as it was."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.postgres.forms import SimpleArrayField
from django.forms import MultiWidget
from django.test import RequestFactory
from django.urls import reverse

from core.admin import AuditedAdminMixin
from core.audit import verify_chain
from core.letters import TextLetter
from core.models import AuditEntry, CalendarDay, LetterRecord
from core.roles import Role
from enrollment.models import Employer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def _form_data(response) -> dict:
    """What the admin's change form posts back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        if isinstance(field, SimpleArrayField):
            value = field.prepare_value(value)
        if isinstance(field.widget, MultiWidget):
            for n, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{n}"] = part
            continue
        data[name] = value
    return data


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_an_admin_edit_is_audited_with_the_fields_before_and_after(admin_client_, admin_user, employer):
    url = reverse("admin:enrollment_employer_change", args=[employer.pk])
    data = {**_form_data(admin_client_.get(url)), "name": "改名后的公司", "_save": "Save"}
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = _entries("enrollment.employer.changed_in_admin")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin_user.pk, "enrollment.employer",
                                                                    str(employer.pk))
    assert entry.before["name"] == employer.name and entry.after["name"] == "改名后的公司"
    assert "uscc" not in entry.after  # only what changed
    assert verify_chain().ok


def test_saving_an_unchanged_form_writes_no_entry(admin_client_, employer):
    url = reverse("admin:enrollment_employer_change", args=[employer.pk])
    admin_client_.post(url, {**_form_data(admin_client_.get(url)), "_save": "Save"})
    assert not _entries("enrollment.employer.changed_in_admin")


def test_an_admin_addition_and_deletion_are_audited(admin_client_, admin_user, employer):
    response = admin_client_.post(reverse("admin:core_calendarday_add"),
                                  {"date": "2030-10-08", "is_workday": "on", "name": "调休"})
    assert response.status_code == 302
    [added] = _entries("core.calendarday.added_in_admin")
    assert added.after == {"date": "2030-10-08", "is_workday": True, "name": "调休"}

    response = admin_client_.post(reverse("admin:enrollment_employer_delete", args=[employer.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Employer.objects.filter(pk=employer.pk).exists()
    [deleted] = _entries("enrollment.employer.deleted_in_admin")
    assert (deleted.object_id, deleted.before["uscc"], deleted.after) == (str(employer.pk), employer.uscc, None)
    assert deleted.actor_id == admin_user.pk


def test_deleting_a_selection_in_the_admin_audits_each_row(admin_client_):
    days = [CalendarDay.objects.create(date=date(2031, 1, d), is_workday=False, name="测试") for d in (6, 7)]
    response = admin_client_.post(reverse("admin:core_calendarday_changelist"), {
        "action": "delete_selected", "_selected_action": [str(d.pk) for d in days], "post": "yes"})
    assert response.status_code == 302 and not CalendarDay.objects.filter(date__year=2031).exists()
    deleted = _entries("core.calendarday.deleted_in_admin")
    assert sorted(e.object_id for e in deleted) == ["2031-01-06", "2031-01-07"]
    assert verify_chain().ok


def test_a_role_granted_in_the_admin_is_audited_without_the_password_hash(admin_client_, clerk):
    reviewers = Group.objects.get(name=Role.REVIEWER.value)
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = _form_data(admin_client_.get(url))
    data["groups"] = [*data.get("groups", []), reviewers.pk]
    response = admin_client_.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = _entries("auth.user.changed_in_admin")
    assert reviewers.pk in entry.after["groups"] and reviewers.pk not in entry.before["groups"]
    assert clerk.password not in str(entry.before) + str(entry.after)


def test_an_issued_letter_can_be_neither_changed_nor_deleted_in_the_admin(admin_client_, clerk):
    letter = TextLetter(kind="test", prefix="T", title="通知", paragraphs=["正文"]).issue(actor=clerk)
    change = admin_client_.post(reverse("admin:core_letterrecord_change", args=[letter.pk]),
                                {"number": "T-FORGED", "title": "伪造"})
    delete = admin_client_.post(reverse("admin:core_letterrecord_delete", args=[letter.pk]), {"post": "yes"})
    assert change.status_code == 403 and delete.status_code == 403
    kept = LetterRecord.objects.get(pk=letter.pk)
    assert (kept.number, kept.title) == (letter.number, "通知")
    assert admin_client_.get(reverse("admin:core_letterrecord_change", args=[letter.pk])).status_code == 200


def test_every_admin_is_audited_or_read_only(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    unaudited = [
        model._meta.label for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
        and (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
             or model_admin.has_delete_permission(request))
    ]
    assert unaudited == []


def test_audited_admins_offer_no_action_that_would_bypass_the_audit(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, AuditedAdminMixin):
            assert set(model_admin.get_actions(request)) <= {"delete_selected", *model_admin.audited_actions}


def test_audited_admins_have_only_read_only_inlines(admin_user):
    """Inline forms are not audited, so none may change anything."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model_admin in admin.site._registry.values():
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None) and not inline.can_delete
            assert set(inline.get_fields(request)) <= set(inline.get_readonly_fields(request))


def test_a_password_set_in_the_admin_is_audited_without_the_password(admin_client_, admin_user, clerk):
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    response = admin_client_.post(url, {"password1": "Ein-neues-Passwort-2026", "password2": "Ein-neues-Passwort-2026",
                                        "usable_password": "true"})
    assert response.status_code == 302
    [entry] = _entries("auth.user.password_changed_in_admin")
    assert (entry.actor_id, entry.object_id, entry.after) == (admin_user.pk, str(clerk.pk), {"password": "[redacted]"})
    clerk.refresh_from_db()
    assert clerk.check_password("Ein-neues-Passwort-2026")
