from django.contrib import admin

from core.admin import AuditedAdmin

from .models import Problem


@admin.register(Problem)
class ProblemAdmin(AuditedAdmin):
    list_display = ("id", "raised_at", "source_app", "category", "title", "status")
    list_filter = ("status", "source_app")
    readonly_fields = ("source_key", "times_reported", "raised_at", "raised_by")
