"""The register's read API: person search and detail, employers and their staff (v1).

The same selectors and access checks as the pages: enrollment's staff only (others get 403), an
unknown id is 404, identity numbers always masked. The full number has its own audited endpoint
for holders of enrollment.view_full_id_number.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from core.api import error_response
from core.masking import mask_id_number
from core.paging import page_number, peek_page

from ..forms.register import EmployerFilter
from ..models import Employer, Person, PersonStatus
from ..permissions import access_employer, access_person
from ..selectors.register import (
    employer_staff,
    employers_visible_to,
    search_persons,
    staff_counts,
    status_history,
    status_on,
)
from ..services.people import reveal_id_number

NOT_ALLOWED = error_response(_("Not one of enrollment's staff (or, for the full number, "
                              "without the permission to see it)."))
NOT_FOUND = error_response(_("No such record."))


class PeekPagination(BasePagination):
    """Pages of a big list without counting it: `next` is null on the last page."""

    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = page_number(request.query_params.get("page_size"), self.page_size, self.max_page_size)
        self.page = peek_page(queryset, request.query_params.get("page"), size)
        return list(self.page)

    def _link(self, number):
        url = self.request.build_absolute_uri()
        return remove_query_param(url, "page") if number == 1 else replace_query_param(url, "page", number)

    def get_paginated_response(self, data):
        return Response({
            "next": self._link(self.page.next_page_number()) if self.page.has_next() else None,
            "previous": self._link(self.page.previous_page_number()) if self.page.has_previous() else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object", "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer"},
             "description": str(_("Page number, from 1."))},
            {"name": "page_size", "required": False, "in": "query", "schema": {"type": "integer"},
             "description": str(_("Rows per page (at most 200)."))},
        ]


class MaskedIdNumberField(serializers.CharField):
    """An identity number as every list and page shows it: 3209**********1234."""

    def to_representation(self, value):
        return mask_id_number(str(value))


class PersonListSerializer(serializers.ModelSerializer):
    id_number = MaskedIdNumberField(read_only=True, help_text=_("Masked: 3209**********1234."))

    class Meta:
        model = Person
        fields = ["id", "id_number", "name", "gender", "birth_date", "insurance_type", "employer_code", "status",
                  "status_date"]
        read_only_fields = fields


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PersonStatus.choices)
    status_date = serializers.DateField()
    source = serializers.CharField()
    reference = serializers.CharField()


class StatusOnSerializer(serializers.Serializer):
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=PersonStatus.choices, allow_null=True,
                                     help_text=_("Null when the person was not insured yet on that date."))


class PersonDetailSerializer(PersonListSerializer):
    status_history = StatusChangeSerializer(many=True, read_only=True, source="status_changes_list")
    status_on = StatusOnSerializer(read_only=True, allow_null=True, source="status_on_answer",
                                   help_text=_("The status in force on the date asked for with ?status_on=."))

    class Meta(PersonListSerializer.Meta):
        fields = [*PersonListSerializer.Meta.fields, "name_initials", "paid_through", "phone", "address",
                  "status_history", "status_on"]
        read_only_fields = fields


class StatusOnQuery(serializers.Serializer):
    status_on = serializers.DateField(required=False)


class _PersonPage(generics.ListAPIView):
    """A page of persons, numbers masked, paged without counting: subclasses say which (persons())."""

    serializer_class = PersonListSerializer
    pagination_class = PeekPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        return self.persons()

    def persons(self):
        raise NotImplementedError


class PersonSearch(_PersonPage):
    """Persons by any part of the name, the last four characters of the identity number (alone or with a
    name), the whole number or its first digits, or pinyin initials; numbers masked."""

    def persons(self):
        return search_persons(user=self.request.user, query=self.request.query_params.get("q", ""))

    @extend_schema(operation_id="enrollment_persons_search", responses={200: PersonListSerializer(many=True),
                                                                        403: NOT_ALLOWED},
                   parameters=[OpenApiParameter("q", OpenApiTypes.STR, description=_(
                       "Any part of a name (王, 小明); the last four characters of the identity number, alone or with a name "
                       "(1234, 王 1234); the whole number or its first digits; or pinyin initials (zs)."))])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PersonDetail(APIView):
    """One person, number masked, with the whole status history and, if asked, the status on a date."""

    @extend_schema(operation_id="enrollment_person_retrieve",
                   parameters=[OpenApiParameter("status_on", OpenApiTypes.DATE, description=_(
                       "A date (YYYY-MM-DD): answer the status in force on that day."))],
                   responses={200: PersonDetailSerializer, 403: NOT_ALLOWED, 404: NOT_FOUND})
    def get(self, request, pk):
        person = access_person(request.user, pk)
        query = StatusOnQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("status_on")
        person.status_changes_list = list(status_history(person))
        person.status_on_answer = {"date": on, "status": status_on(person, on)} if on else None
        return Response(PersonDetailSerializer(person).data)


class FullIdNumberSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class PersonRevealIdNumber(APIView):
    """The person's full identity number: needs enrollment.view_full_id_number; each call is audited."""

    @extend_schema(operation_id="enrollment_person_reveal_id_number", request=None,
                   responses={200: FullIdNumberSerializer, 403: NOT_ALLOWED, 404: NOT_FOUND})
    def post(self, request, pk):
        person = access_person(request.user, pk, "reveal_id_number")
        number = reveal_id_number(actor=request.user, person=person)
        response = Response(FullIdNumberSerializer({"id_number": number}).data)
        response["Cache-Control"] = "no-store"
        return response


class EmployerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Employer
        fields = ["id", "uscc", "name", "address", "contact_name", "contact_phone", "schemes", "status",
                  "registered_on"]
        read_only_fields = fields


class StaffCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    ACTIVE = serializers.IntegerField()
    SUSPENDED = serializers.IntegerField()
    TERMINATED = serializers.IntegerField()


class EmployerDetailSerializer(EmployerSerializer):
    staff_counts = StaffCountsSerializer(read_only=True)

    class Meta(EmployerSerializer.Meta):
        fields = [*EmployerSerializer.Meta.fields, "staff_counts"]
        read_only_fields = fields


class EmployerList(generics.ListAPIView):
    """Employers, by a code or name prefix (q) and status."""

    serializer_class = EmployerSerializer
    filterset_class = EmployerFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Employer.objects.none()
        return employers_visible_to(self.request.user)

    @extend_schema(operation_id="enrollment_employers_list", responses={200: EmployerSerializer(many=True),
                                                                        403: NOT_ALLOWED})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EmployerDetail(APIView):
    """One employer with its staff counted by status."""

    @extend_schema(operation_id="enrollment_employer_retrieve",
                   responses={200: EmployerDetailSerializer, 403: NOT_ALLOWED, 404: NOT_FOUND})
    def get(self, request, pk):
        employer = access_employer(request.user, pk)
        counts = staff_counts(employer)
        employer.staff_counts = {"total": counts["total"], **{s: counts.get(s, 0) for s in PersonStatus.values}}
        return Response(EmployerDetailSerializer(employer).data)


class EmployerStaff(_PersonPage):
    """An employer's staff in name order, numbers masked."""

    def persons(self):
        return employer_staff(access_employer(self.request.user, self.kwargs["pk"]))

    @extend_schema(operation_id="enrollment_employer_staff",
                   responses={200: PersonListSerializer(many=True), 403: NOT_ALLOWED, 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("persons/", PersonSearch.as_view(), name="api_person_search"),
    path("persons/<int:pk>/", PersonDetail.as_view(), name="api_person_detail"),
    path("persons/<int:pk>/id-number/", PersonRevealIdNumber.as_view(), name="api_person_reveal_id_number"),
    path("employers/", EmployerList.as_view(), name="api_employer_list"),
    path("employers/<int:pk>/", EmployerDetail.as_view(), name="api_employer_detail"),
    path("employers/<int:pk>/staff/", EmployerStaff.as_view(), name="api_employer_staff"),
]
