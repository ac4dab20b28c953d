"""settlement's REST API (v1), spec/claims-upload.md: upload a batch, read batches, their claims and error
reports. The same access checks (settlement.permissions) and services as the pages; errors come out as
{code, message[, errors]} through core.api.exception_handler. Another provider's batch is 404.
"""

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination

from ..checking.limits import too_large
from ..models import ClaimBatch
from ..permissions import access_batch, access_batches, provider_for_upload
from ..reports import error_report_response
from ..selectors import BatchFilter, batch_claims, batch_errors, batch_findings, batches_visible_to
from ..services import upload_batch
from .serializers import (
    BatchErrorOut,
    BatchIn,
    BatchOut,
    ClaimOut,
    DuplicateFileOut,
    FindingOut,
    SettlementErrorOut,
)

TAG = ["settlement: claim batches"]
MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and the period field around the file

ERRORS = {
    400: OpenApiResponse(SettlementErrorOut, description=(
        "`invalid` (a field missing, the period not YYYY-MM: every problem in `errors`); the file cannot be read as "
        "claims: `invalid_json` (not a list of row objects), `encoding` (neither UTF-8 nor GB18030), "
        "`unsupported_format` (an old .xls), `damaged_workbook`, `workbook_too_large`, `empty_file`.")),
    401: OpenApiResponse(SettlementErrorOut, description="`not_authenticated`, `authentication_failed`: no or a bad token."),
    403: OpenApiResponse(SettlementErrorOut, description=(
        "`permission_denied` (not a settlement role; uploading: not a provider's user), `no_provider` (the user is "
        "linked to no provider), `provider_inactive` (the provider may not upload).")),
    404: OpenApiResponse(SettlementErrorOut, description="`not_found`: no such batch, or not yours."),
    409: OpenApiResponse(DuplicateFileOut, description=(
        "`duplicate_file`: this provider uploaded the same file (SHA-256) before, whatever became of it; "
        "`batch_id` is the first batch.")),
    413: OpenApiResponse(SettlementErrorOut, description=(
        "`too_large` (over 50 MB) or `too_many_lines` (over 500,000 claim lines), refused before the file is read "
        "whole.")),
}


class BatchListView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = Pagination  # documents the list as paged (count, next, previous, results)

    @extend_schema(tags=TAG, summary="The batches you may see, newest first", parameters=[
        OpenApiParameter("status", str, enum=ClaimBatch.Status.values),
        OpenApiParameter("period", str, description="YYYY-MM"),
        OpenApiParameter("provider", str, description="Provider code (auditors and supervisors)."),
    ], responses={200: BatchOut(many=True), 401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request):
        access_batches(request.user)
        filterset = BatchFilter(request.query_params or None,
                                queryset=batches_visible_to(request.user).select_related("provider", "uploaded_by"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(BatchOut(page, many=True, context={"request": request}).data)

    @extend_schema(tags=TAG, summary="Upload a claims file for a period", request={"multipart/form-data": BatchIn},
                   description=(
                       "The batch belongs to your provider. It is answered at once (201, `id` and `status` at the "
                       "top level, status `received`); the file is checked by a background job, and the batch "
                       "becomes `rejected`, or `accepted` and then `reviewed` with its findings and money (GET the batch; a "
                       "rejected batch has its `error_report`)."),
                   responses={201: BatchOut, **ERRORS})
    def post(self, request):
        provider_for_upload(request.user)  # who may upload, before the body is read
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:
            raise too_large(length, settings.UPLOAD_MAX_BYTES)
        data = _valid(BatchIn, request)
        batch = upload_batch(actor=request.user, file=data["file"], period=data["period"])
        batch.refresh_from_db()  # checked already where tasks run in-process
        return Response(BatchOut(batch, context={"request": request}).data, status=status.HTTP_201_CREATED)


class BatchDetailView(APIView):
    @extend_schema(tags=TAG, summary="One batch: status, counts, totals and the error report link",
                   responses={200: BatchOut, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        return Response(BatchOut(access_batch(request.user, pk), context={"request": request}).data)


class BatchClaimsView(APIView):
    pagination_class = Pagination
    @extend_schema(tags=TAG, summary="A batch's claims in claim_no order",
                   description="Empty unless the batch was accepted. The money of each claim (`deducted`, "
                               "`fund_payable`, `large_expense_payable`, `personal`, `calculation`) is null until "
                               "the review has run.",
                   responses={200: ClaimOut(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        batch = access_batch(request.user, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(batch_claims(batch), request, view=self)
        return paginator.get_paginated_response(ClaimOut(page, many=True).data)


class BatchFindingsView(APIView):
    pagination_class = Pagination  # documents the list as paged (count, next, previous, results)

    @extend_schema(tags=TAG, summary="A batch's findings by claim_no, in the spec's order of rules",
                   description="Empty until the review has run. A whole-claim finding has no line_no and shows "
                               "the physician and department of the claim's first line.",
                   responses={200: FindingOut(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        batch = access_batch(request.user, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(batch_findings(batch), request, view=self)
        return paginator.get_paginated_response(FindingOut(page, many=True).data)


class BatchErrorsView(APIView):
    pagination_class = Pagination
    @extend_schema(tags=TAG, summary="A rejected batch's error report, in file order",
                   responses={200: BatchErrorOut(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        batch = access_batch(request.user, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(batch_errors(batch), request, view=self)
        return paginator.get_paginated_response(BatchErrorOut(page, many=True).data)


class BatchErrorReportView(APIView):
    @extend_schema(tags=TAG, summary="A rejected batch's error report as CSV (row, column, value, problem)",
                   responses={(200, "text/csv"): OpenApiTypes.BINARY, 401: ERRORS[401], 403: ERRORS[403],
                              404: ERRORS[404]})
    def get(self, request, pk):
        return error_report_response(access_batch(request.user, pk))


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


app_name = "settlement_api"
urlpatterns = [
    path("batches/", BatchListView.as_view(), name="batch_list"),
    path("batches/<int:pk>/", BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:pk>/claims/", BatchClaimsView.as_view(), name="batch_claims"),
    path("batches/<int:pk>/findings/", BatchFindingsView.as_view(), name="batch_findings"),
    path("batches/<int:pk>/errors/", BatchErrorsView.as_view(), name="batch_errors"),
    path("batches/<int:pk>/errors.csv", BatchErrorReportView.as_view(), name="batch_error_report"),
]
