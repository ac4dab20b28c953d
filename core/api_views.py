"""core's REST API (v1): who the caller is, and the audit trail for supervisors.

Read-only. The audit trail is written only by core.audit.record; these views read it through
the same filters a page would use.
"""

import django_filters
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .filters import IsoDateTimeFilter
from .models import AuditEntry
from .roles import Role, has_role, roles_of


def role_permission(*roles: Role) -> type[BasePermission]:
    """A DRF permission class that admits authenticated users holding one of `roles` (else 403)."""

    class HasRole(BasePermission):
        message = _("Your role may not use this endpoint.")

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and has_role(request.user, *roles))

    HasRole.__name__ = "HasRole_" + "_".join(str(r) for r in roles)
    return HasRole


class WhoAmISerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class WhoAmIView(APIView):
    """The authenticated caller's user name and roles."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WhoAmISerializer, operation_id="core_whoami")
    def get(self, request):
        user = request.user
        data = {"username": user.get_username(), "full_name": user.get_full_name(),
                "roles": sorted(r for r in roles_of(user) if r in Role.values)}
        return Response(WhoAmISerializer(data).data)


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["seq", "at", "actor", "actor_name", "action", "object_type", "object_id", "object_repr",
                  "before", "after", "request_id", "prev_hash", "hash"]
        read_only_fields = fields


class AuditEntryFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text="Action code, e.g. core.provider_access.granted.")
    object_type = django_filters.CharFilter(help_text="app_label.model, e.g. core.provider.")
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_name", help_text="The actor's user name ('system' for jobs).")
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor", "since", "until"]


AUDIT_READERS = role_permission(Role.SUPERVISOR, Role.ADMIN)


class AuditEntryList(generics.ListAPIView):
    """The audit trail, newest first; supervisors and administrators only."""

    permission_classes = [AUDIT_READERS]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    queryset = AuditEntry.objects.order_by("-seq")


class AuditEntryDetail(generics.RetrieveAPIView):
    """One audit entry by its position in the chain."""

    permission_classes = [AUDIT_READERS]
    serializer_class = AuditEntrySerializer
    queryset = AuditEntry.objects.all()
    lookup_field = "seq"


app_name = "core_api"
urlpatterns = [
    path("whoami/", WhoAmIView.as_view(), name="whoami"),
    path("audit-entries/", AuditEntryList.as_view(), name="auditentry_list"),
    path("audit-entries/<int:seq>/", AuditEntryDetail.as_view(), name="auditentry_detail"),
]
