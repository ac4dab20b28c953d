from django.contrib import admin

from core.admin import AuditedAdmin

from .models import Problem


@admin.register(Problem)
class ProblemAdmin(AuditedAdmin):
    list_display = ("id", "raised_at", "source_app", "category", "title", "status")
    list_filter = ("status", "source_app")
    # The state changes through core.workflow (its transitions table and audit), never by hand here.
    readonly_fields = ("source_key", "status", "version", "times_reported", "raised_at", "raised_by")
