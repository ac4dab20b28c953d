"""REST API of registration applications: the same reads and workflow as the pages, through the
same access checks (enrollment.permissions) and services. Serializers check shape only; errors
come out as {code, message[, errors]} through core.api.exception_handler.
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, error_response
from core.masking import mask_id_number
from core.roles import require_role
from core.views import letter_response

from .. import materials
from ..kinds import CASE_FIELDS, KINDS, KindSpec, shown_payload
from ..models import Application, Material
from ..permissions import access_application, access_application_letter
from ..roles import ENROLLMENT_STAFF
from ..selectors.applications import (
    ApplicationFilter,
    application_letters,
    applications_visible_to,
    queue_order,
)
from ..services import applications as services
from ..services.roster import upload_roster

TAG = ["enrollment: applications"]


# -- output ----------------------------------------------------------------------------------

class MaterialOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=Material.State.choices)
    note = serializers.CharField()

    def get_label(self, obj) -> str:
        return materials.material_label(obj.code)


class LetterOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    issued_at = serializers.DateTimeField()


class ApplicationOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Application.Kind.choices)
    status = serializers.ChoiceField(choices=Application.Status.choices)
    applicant_name = serializers.CharField()
    applicant_phone = serializers.CharField()
    employer_code = serializers.SerializerMethodField()
    person_id_number = serializers.SerializerMethodField(help_text="Masked.")
    effective_date = serializers.DateField(allow_null=True)
    payload = serializers.SerializerMethodField(help_text=(
        "Kind-specific data, shaped as the `payload` of the same kind when taking in an application "
        "(ApplicationIn); identity numbers masked."))
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    due_date_unconfirmed = serializers.BooleanField()
    notice_deadline = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reasons = serializers.ListField(child=serializers.CharField())
    decision_note = serializers.CharField()
    version = serializers.IntegerField()

    def get_employer_code(self, obj) -> str | None:
        return obj.employer.uscc if obj.employer_id else None

    def get_person_id_number(self, obj) -> str | None:
        return mask_id_number(obj.person.id_number) if obj.person_id else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj) -> dict:
        return shown_payload(obj.payload)


class ApplicationDetailOut(ApplicationOut):
    materials = serializers.SerializerMethodField()
    letters = serializers.SerializerMethodField()

    @extend_schema_field(MaterialOut(many=True))
    def get_materials(self, obj) -> list[dict]:
        return MaterialOut(obj.materials.all(), many=True).data

    @extend_schema_field(LetterOut(many=True))
    def get_letters(self, obj) -> list[dict]:
        return LetterOut(application_letters(obj), many=True).data


ERRORS = {
    400: error_response("Invalid data: every problem in `errors` (row/line, column, message)."),
    403: error_response("Not one of enrollment's roles, or the move is not yours to make."),
    404: error_response("No such application."),
    409: error_response("Not allowed from the current state, or changed by someone else."),
}


# -- input -----------------------------------------------------------------------------------

class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version you read; a stale one is refused (409).")


def _case_field(name: str, *, required: bool = False) -> serializers.Field:
    """A case field of the request body (enrollment.kinds.CASE_FIELDS), optional unless `required`."""
    if name == "effective_date":
        return serializers.DateField(**({} if required else {"required": False, "allow_null": True, "default": None}))
    help_text = {"employer_code": "The employer's unified social credit code.",
                 "person_id_number": "The insured person's identity number."}[name]
    return serializers.CharField(max_length=18, help_text=help_text,
                                 **({} if required else {"required": False, "allow_blank": True, "default": ""}))


class ApplicationIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Application.Kind.choices)
    applicant_name = serializers.CharField(max_length=100)
    applicant_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    employer_code = _case_field("employer_code")
    person_id_number = _case_field("person_id_number")
    effective_date = _case_field("effective_date")
    payload = serializers.DictField(required=False, default=dict, help_text=(
        "Kind-specific data; its shape for each kind is in the schema (one variant per kind)."))
    provided = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True, default=None,
                                     help_text="Codes of the materials handed over; omit to leave all unchecked.")


def _application_in_of(spec: KindSpec) -> type[serializers.Serializer]:
    """The request body of one kind, for the schema: the case fields its form asks (required as its
    declaration says) and its payload's shape. The input itself is checked by ApplicationIn (shape)
    and the services (everything else)."""

    @extend_schema_field({"type": "string", "enum": [spec.kind]})
    class KindField(serializers.CharField):
        pass

    asked = [name for name in spec.form_fields() if name in CASE_FIELDS]
    payload_required = any(field.required for field in spec.payload_serializer().fields.values())
    fields = {
        "kind": KindField(),
        **{name: _case_field(name, required=name in spec.required) if name in asked else None
           for name in CASE_FIELDS},
        "payload": spec.payload_serializer(required=payload_required,
                                           help_text=f"The payload of an application of kind {spec.kind}."),
    }
    fields["__doc__"] = (f"Taking in an application of kind {spec.kind}: a time limit of {spec.time_limit} working "
                         f"days; the materials of its checklist (`provided`): {', '.join(spec.checklist)}.")
    camel = "".join(part.title() for part in spec.kind.split("_"))
    return type(f"{camel}ApplicationIn", (ApplicationIn,), fields)


# The request body of intake, one variant per kind (chosen by `kind`), for the schema.
APPLICATION_IN_BY_KIND = PolymorphicProxySerializer(
    component_name="ApplicationIn", resource_type_field_name="kind",
    serializers={kind: _application_in_of(spec) for kind, spec in KINDS.items()})


class MaterialIn(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.ChoiceField(choices=[Material.State.PROVIDED, Material.State.MISSING, Material.State.INVALID])
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MaterialsIn(VersionIn):
    materials = MaterialIn(many=True)


class RosterIn(VersionIn):
    file = serializers.FileField()


class ApproveIn(VersionIn):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RejectIn(VersionIn):
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=list(materials.REJECTION_REASONS)),
                                    min_length=1)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RosterOut(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    encoding = serializers.CharField()
    row_count = serializers.IntegerField()
    is_valid = serializers.BooleanField()
    note = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())


def _detail(app) -> dict:
    """The application as it is after the change (re-read: a service works on its own locked copy)."""
    return ApplicationDetailOut(Application.objects.select_related("employer", "person", "created_by")
                                .get(pk=app.pk)).data


# -- views -----------------------------------------------------------------------------------

class ApplicationListView(APIView):
    pagination_class = Pagination  # documents the list as paged (count, next, previous, results)

    @extend_schema(tags=TAG, summary="The queue of registration applications", parameters=[
        OpenApiParameter("queue", str, enum=[q for q, _label in ApplicationFilter.QUEUES],
                         description="open (default: the cases in hand, submitted; no draft), mine (the user's "
                                     "cases in hand), drafts (the user's drafts, not submitted), to_decide (waiting "
                                     "for the user's decision), due_soon, overdue or all; ignored when q is given "
                                     "(a search looks in every case)"),
        OpenApiParameter("status", str, enum=Application.Status.values),
        OpenApiParameter("kind", str, enum=Application.Kind.values),
        OpenApiParameter("q", str, description="Any part of the case number, applicant, employer name or code, "
                                               "or person's name"),
    ], responses={200: ApplicationOut(many=True), 403: ERRORS[403]})
    def get(self, request):
        require_role(request.user, *ENROLLMENT_STAFF)
        filterset = ApplicationFilter(request.query_params or None, request=request, today=timezone.localdate(),
                                      queryset=queue_order(applications_visible_to(request.user)))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(ApplicationOut(page, many=True).data)

    @extend_schema(tags=TAG, summary="Take in an application (a draft)", request=APPLICATION_IN_BY_KIND,
                   description="The case fields each kind needs and its payload's shape are the variants of the "
                               "request body, chosen by `kind`.",
                   responses={201: ApplicationDetailOut, 400: ERRORS[400], 403: ERRORS[403]})
    def post(self, request):
        data = _valid(ApplicationIn, request)
        app = services.create_application(actor=request.user, **data)
        return Response(_detail(app), status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(tags=TAG, summary="One application with its checklist and letters",
                   responses={200: ApplicationDetailOut, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        return Response(ApplicationDetailOut(access_application(request.user, pk)).data)


class ApplicationMaterialsView(APIView):
    @extend_schema(tags=TAG, summary="Record what was found for items of the checklist", request=MaterialsIn,
                   responses={200: ApplicationDetailOut, **ERRORS})
    def post(self, request, pk):
        app = access_application(request.user, pk, "edit")
        data = _valid(MaterialsIn, request)
        services.tick_materials(actor=request.user, application=app, expected_version=data.get("version"),
                                states={m["code"]: (m["state"], m["note"]) for m in data["materials"]})
        return Response(_detail(app))


class ApplicationRosterView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAG, summary="Upload the staff list of an add-persons application", request=RosterIn,
                   responses={201: RosterOut, 400: error_response(
                       "The file has errors: all of them in `errors` (row, column, message); the file is kept."),
                       403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409],
                       413: error_response("The file is over the size limit.")})
    def post(self, request, pk):
        app = access_application(request.user, pk, "edit")
        data = _valid(RosterIn, request)
        upload = upload_roster(actor=request.user, application=app, file=data["file"],
                               expected_version=data.get("version"))
        if not upload.is_valid:
            return Response({"code": "invalid_roster", "message": str(_invalid_roster_message(upload)),
                             "errors": upload.errors, "upload": upload.pk}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RosterOut(upload).data, status=status.HTTP_201_CREATED)


def _invalid_roster_message(upload):
    return _("The staff list has %(n)d errors; nothing was taken from it.") % {"n": upload.error_count}


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _move(action: str, service, summary: str, request_serializer=VersionIn, access: str = "view"):
    class MoveView(APIView):
        @extend_schema(tags=TAG, summary=summary, request=request_serializer, operation_id=f"application_{action}",
                       responses={200: ApplicationDetailOut, **ERRORS})
        def post(self, request, pk):
            app = access_application(request.user, pk, access)
            data = dict(_valid(request_serializer, request))
            version = data.pop("version", None)
            service(actor=request.user, application=app, expected_version=version, **data)
            return Response(_detail(app))

    MoveView.__name__ = f"Application{action.title()}View"
    return MoveView.as_view()


class ApplicationLetterView(APIView):
    @extend_schema(tags=TAG, summary="A letter of the application as PDF",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk, letter_pk):
        _app, letter = access_application_letter(request.user, pk, letter_pk)
        return letter_response(letter)


urlpatterns = [
    path("applications/", ApplicationListView.as_view(), name="api_application_list"),
    path("applications/<int:pk>/", ApplicationDetailView.as_view(), name="api_application_detail"),
    path("applications/<int:pk>/materials/", ApplicationMaterialsView.as_view(), name="api_application_materials"),
    path("applications/<int:pk>/roster/", ApplicationRosterView.as_view(), name="api_application_roster"),
    path("applications/<int:pk>/letters/<int:letter_pk>/", ApplicationLetterView.as_view(),
         name="api_application_letter"),
    path("applications/<int:pk>/submit/", _move("submit", services.submit_application, "Submit a draft"),
         name="api_application_submit"),
    path("applications/<int:pk>/notice/", _move("notice", services.issue_notice,
                                                "Issue the one-time notice of missing materials"),
         name="api_application_notice"),
    path("applications/<int:pk>/resubmit/", _move("resubmit", services.resubmit_application,
                                                  "The missing materials were brought: resubmit"),
         name="api_application_resubmit"),
    path("applications/<int:pk>/review/", _move("review", services.start_review, "Start the review"),
         name="api_application_review"),
    path("applications/<int:pk>/approve/", _move("approve", services.approve_application,
                                                 "Approve, and apply the change to the register (one step)",
                                                 ApproveIn, "decide"), name="api_application_approve"),
    path("applications/<int:pk>/reject/", _move("reject", services.reject_application, "Reject with reasons",
                                                RejectIn, "decide"), name="api_application_reject"),
    path("applications/<int:pk>/register/", _move("register", services.register_application,
                                                  "Apply a case left APPROVED (approval now registers) to the register"),
         name="api_application_register"),
]
