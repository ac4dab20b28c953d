from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdmin

from .models import AuditEntry, CalendarDay, CalendarYear, LetterRecord, Provider
from .providers import PERMISSION, grant_provider_access, revoke_provider_access

ACCESS_CODENAME = PERMISSION.split(".")[1]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the database refuses changes to audit entries anyway."""

    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id", "action")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LetterRecord)
class LetterRecordAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "issued_at", "issued_by")
    search_fields = ("number",)
    readonly_fields = [f.name for f in LetterRecord._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
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
class ProviderAdmin(GuardedModelAdmin):
    list_display = ("code", "name", "level", "area", "active")
    search_fields = ("code", "name")

    def get_obj_perms_manage_user_form(self, request):
        return type("ProviderAccessForm", (ProviderAccessForm,), {"actor": request.user})

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        """Access is granted to users, one by one, so that each grant is audited: never to a group."""
        messages.error(request, _("Provider access is granted to users, not to groups."))
        return redirect(reverse(f"{self.admin_site.name}:core_provider_permissions", args=[object_pk]))
