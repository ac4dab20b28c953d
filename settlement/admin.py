from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from core.admin import AuditedAdminMixin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, GuardedModelAdmin):
    list_display = ("code", "name", "level", "area", "active")
    search_fields = ("code", "name")
