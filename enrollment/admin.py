from django.contrib import admin

from core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Employer, Person


@admin.register(Employer)
class EmployerAdmin(AuditedAdmin):
    list_display = ("uscc", "name", "status")
    search_fields = ("uscc", "name")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """Read-only here: the register changes through enrollment's services (audited)."""

    list_display = ("__str__", "insurance_type", "status", "status_date")
    list_filter = ("status", "insurance_type")
    show_full_result_count = False
