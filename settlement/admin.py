from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(GuardedModelAdmin):
    list_display = ("code", "name", "level", "area", "active")
    search_fields = ("code", "name")
