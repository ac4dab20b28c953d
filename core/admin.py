"""The admin, audited: every add, change and delete made in it writes audit entries like any other
change (AuditedAdminMixin, used by every app's ModelAdmin), and what must never change there (audit
entries, issued letters) is read-only. The third-party models an administrator edits (users and their
groups, API tokens, the beat schedule, login lockouts) are registered again here with the mixin.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat import models as beat
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdmin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .audit import object_ref, record, record_many
from .models import AuditEntry, CalendarDay, CalendarYear, LetterRecord, Provider
from .money import level_text
from .providers import PERMISSION, grant_provider_access, revoke_provider_access
from .roles import Role

ACCESS_CODENAME = PERMISSION.split(".")[1]

REDACTED = "[redacted]"

# The admin speaks the office's language, and names the office rather than the framework.
admin.site.site_header = admin.site.site_title = _("Verification office administration")


class AuditedAdminMixin:
    """Audit the admin's saves and deletes: `<app>.<model>.added_in_admin` (after), `changed_in_admin`
    (the changed fields before and after, many-to-many included) and `deleted_in_admin` (before), by
    the administrator, in the admin's transaction. Put it first among the bases.

    `audit_redacted` names fields whose values stay out of the trail (a change shows only that they
    changed). Inline forms are not audited: an audited admin's inlines are read-only (a test checks).
    Admin actions other than "delete selected" are hidden unless named in `audited_actions` (an
    action there must call a service): one that updates a queryset directly changes rows unaudited.
    """

    audit_redacted: tuple[str, ...] = ()
    audited_actions: tuple[str, ...] = ()

    # -- what is kept ------------------------------------------------------------------------------
    def audit_snapshot(self, obj) -> dict:
        opts = obj._meta
        data = {f.attname: f.value_from_object(obj) for f in opts.concrete_fields}
        if obj.pk is not None:
            for f in opts.many_to_many:
                data[f.name] = sorted(o.pk for o in getattr(obj, f.name).all())  # prefetched or one query
        return {k: (REDACTED if k in self.audit_redacted else v) for k, v in data.items()}

    def audit_ref(self, obj) -> tuple[str, str, str]:
        return object_ref(obj)

    @staticmethod
    def _action(obj, verb: str) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}_in_admin"

    def _fresh(self, obj):
        return type(obj)._base_manager.select_for_update().get(pk=obj.pk)

    def _record_change(self, request, obj, before: dict | None) -> None:
        after = self.audit_snapshot(obj)
        if before is None:
            record(request.user, self._action(obj, "added"), self.audit_ref(obj), None, after)
            return
        changed = [k for k in after if before.get(k) != after[k] or k in self._dirty(obj)]
        stamps = {f.attname for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)}
        if set(changed) - stamps:  # a save that only moved updated_at changed nothing
            record(request.user, self._action(obj, "changed"), self.audit_ref(obj),
                   {k: before.get(k) for k in changed}, {k: after[k] for k in changed})

    @staticmethod
    def _dirty(obj) -> set:
        return getattr(obj, "_audit_dirty", set())

    # -- the admin's hooks -------------------------------------------------------------------------
    def get_actions(self, request):
        allowed = {"delete_selected", *self.audited_actions}
        return {name: action for name, action in super().get_actions(request).items() if name in allowed}

    def save_model(self, request, obj, form, change):
        if change:
            fresh = self._fresh(obj)
            obj._audit_before = self.audit_snapshot(fresh)
            obj._audit_dirty = {f for f in self.audit_redacted
                                if getattr(fresh, f, None) != getattr(obj, f, None)}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # many-to-many and inlines first
        obj = form.instance
        self._record_change(request, obj, getattr(obj, "_audit_before", None) if change else None)

    def delete_model(self, request, obj):
        with transaction.atomic():
            ref, before = self.audit_ref(obj), self.audit_snapshot(self._fresh(obj))
            super().delete_model(request, obj)
            record(request.user, self._action(obj, "deleted"), ref, before, None)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            m2m = [f.name for f in queryset.model._meta.many_to_many]
            objs = list(queryset.select_for_update(of=("self",)).prefetch_related(*m2m))
            items = [(self.audit_ref(o), self.audit_snapshot(o), None) for o in objs]
            super().delete_queryset(request, queryset)
            if objs:
                record_many(request.user, self._action(objs[0], "deleted"), items)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted in the admin: what changes only through services
    (the register, the fund ledger) or never changes (audit entries, issued letters)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the database refuses changes to audit entries anyway."""

    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id", "action")


@admin.register(LetterRecord)
class LetterRecordAdmin(ReadOnlyAdmin):
    """Read-only: an issued letter went out on paper; its record and PDF stay as they were."""

    list_display = ("number", "kind", "issued_at", "issued_by")
    search_fields = ("number",)
    readonly_fields = [f.name for f in LetterRecord._meta.fields]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ("date", "is_workday", "day_name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"

    @admin.display(description=_("name"), ordering="name")
    def day_name(self, obj):
        return obj.shown_name


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    list_display = ("year", "confirmed", "source")


class ProviderAccessForm(AdminUserObjectPermissionsForm):
    """Guardian's per-user page for one provider: only the access grant, made through the audited service."""

    actor = None  # the admin user, set per request by ProviderAdmin

    def get_obj_perms_field_choices(self):
        return [(codename, name) for codename, name in super().get_obj_perms_field_choices()
                if codename == ACCESS_CODENAME]

    def save_obj_perms(self):
        if ACCESS_CODENAME in self.cleaned_data[self.get_obj_perms_field_name()]:
            grant_provider_access(user=self.user, provider=self.obj, actor=self.actor)
        else:
            revoke_provider_access(user=self.user, provider=self.obj, actor=self.actor)


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, GuardedModelAdmin):
    list_display = ("code", "name", "level_name", "area", "active")
    search_fields = ("code", "name")

    @admin.display(description=_("level"), ordering="level")
    def level_name(self, provider):
        return level_text(provider.level)  # 三级, never the file's bare 3

    def get_obj_perms_manage_user_form(self, request):
        return type("ProviderAccessForm", (ProviderAccessForm,), {"actor": request.user})

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        """Access is granted to users, one by one, so that each grant is audited: never to a group."""
        messages.error(request, _("Provider access is granted to users, not to groups."))
        return redirect(reverse(f"{self.admin_site.name}:core_provider_permissions", args=[object_pk]))


# -- third-party models, registered again with the audit ---------------------------------------------
for _model in (User, Group, TokenProxy, beat.PeriodicTask, beat.ClockedSchedule, beat.CrontabSchedule,
               beat.IntervalSchedule, beat.SolarSchedule, AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def role_label(group: Group) -> str:
    """A role's group by the role's name ("窗口受理员"), a group that is no role by its own."""
    return str(Role(group.name).label) if group.name in Role.values else group.name


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    """Users and their groups (the roles). The password's hash never goes into the trail."""

    audit_redacted = ("password",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = role_label  # the roles by their names, not their codes
        return field

    def user_change_password(self, request, id, form_url=""):
        """The admin's own page for setting a password: audited that it happened, never what it is."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                record(request.user, "auth.user.password_changed_in_admin", user, None, {"password": REDACTED})
        return response


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    """The roles' groups, listed by the roles' names (the group's name is the role's code)."""

    list_display = ("role",)

    @admin.display(description=_("Role"), ordering="name")
    def role(self, obj):
        return role_label(obj)


@admin.register(TokenProxy)
class AuditedTokenAdmin(AuditedAdminMixin, TokenAdmin):
    """API tokens: the token is the key (and the primary key), so the trail names its user instead."""

    audit_redacted = ("key",)

    def audit_ref(self, obj):
        return ("authtoken.token", str(obj.user_id), f"API token of {obj.user}")


# The beat schedule: when the nightly jobs run.
# django-celery-beat labels the task a periodic task runs ('Task Name') and the crontab in words
# without translating them: the admin gives them translatable labels.
TASK_LABEL = _("Task to run")


class TaskFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = TASK_LABEL


class PeriodicTaskInline(beat_admin.PeriodicTaskInline):
    fields = readonly_fields = ("name", "task_to_run", "args", "kwargs")

    @admin.display(description=TASK_LABEL)
    def task_to_run(self, obj):
        return obj.task


@admin.register(beat.PeriodicTask)
class AuditedPeriodicTaskAdmin(AuditedAdminMixin, beat_admin.PeriodicTaskAdmin):
    list_filter = [("task", TaskFilter) if f == "task" else f for f in beat_admin.PeriodicTaskAdmin.list_filter]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["task"].label = TASK_LABEL
        return form

    @admin.display(description=_("The crontab in words"))
    def crontab_translation(self, obj):
        return super().crontab_translation(obj)


@admin.register(beat.ClockedSchedule)
class AuditedClockedScheduleAdmin(AuditedAdminMixin, beat_admin.ClockedScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(beat.CrontabSchedule)
class AuditedCrontabScheduleAdmin(AuditedAdminMixin, beat_admin.CrontabScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(beat.IntervalSchedule)
class AuditedIntervalScheduleAdmin(AuditedAdminMixin, beat_admin.IntervalScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(beat.SolarSchedule)
class AuditedSolarScheduleAdmin(AuditedAdminMixin, beat_admin.SolarScheduleAdmin):
    inlines = [PeriodicTaskInline]


# Login lockouts: deleting an attempt unlocks an account; deleting a log hides a login.
@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AuditedAdminMixin, AccessAttemptAdmin):
    audit_redacted = ("get_data", "post_data")


@admin.register(AccessLog)
class AuditedAccessLogAdmin(AuditedAdminMixin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AuditedAccessFailureLogAdmin(AuditedAdminMixin, AccessFailureLogAdmin):
    pass
