"""The provider's pages: upload a claims file and see the result at once, the batches with their status
and totals, a batch's claims or its error report. Settlement auditors read the batches of the providers
assigned to them. Each view parses, authorizes (settlement.permissions), calls one service and renders.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, PermissionDenied, TooLarge, ValidationFailed

from .calculations import steps
from .checking.limits import too_large
from .checking.messages import error_message
from .checking.table import UnreadableFile
from .forms import BatchUploadForm
from .models import ClaimBatch
from .permissions import access_batch, access_batches, can_upload, provider_of
from .reports import error_report_response
from .selectors import BatchFilter, batch_claims, batch_errors, batch_findings, batches_visible_to
from .services import DuplicateFile, upload_batch

PAGE_SIZE = 25
CLAIMS_PAGE_SIZE = 50
ERRORS_SHOWN = 200
FINDINGS_SHOWN = 200
HTMX_STOP_POLLING = 286
MULTIPART_OVERHEAD = 64 * 1024
BADGES = {"received": "warn", "rejected": "danger", "accepted": "ok", "reviewed": "ok", "under_audit": "warn",
          "settled": "ok"}


def _list_context(request, form=None) -> dict:
    access_batches(request.user)
    filterset = BatchFilter(request.GET or None,
                            queryset=batches_visible_to(request.user).select_related("provider", "uploaded_by"))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for batch in page:
        batch.badge = BADGES.get(batch.status, "")
    params = request.GET.copy()
    params.pop("page", None)
    uploader = can_upload(request.user)
    provider, provider_problem = None, ""
    if uploader:
        try:
            provider = provider_of(request.user)
        except PermissionDenied as exc:
            provider_problem = exc.message
    return {"filter": filterset, "page_obj": page, "can_upload": uploader,
            "form": form or (BatchUploadForm() if uploader else None), "provider": provider,
            "provider_problem": provider_problem,
            "querystring_without_page": f"{params.urlencode()}&" if params else ""}


@require_GET
def batch_list(request):
    return render(request, "settlement/batch_list.html", _list_context(request))


@require_POST
def batch_upload(request):
    access_batches(request.user)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:  # refused before the body is read
        return _upload_refused(request, BatchUploadForm(), too_large(length, settings.UPLOAD_MAX_BYTES))
    form = BatchUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "settlement/batch_list.html", _list_context(request, form), status=400)
    try:
        batch = upload_batch(actor=request.user, file=form.cleaned_data["file"], period=form.cleaned_data["period"])
    except DuplicateFile as exc:
        url = reverse("settlement:batch_detail", args=[exc.batch.pk])
        form.add_error("file", format_html('{} <a href="{}">{}</a>', exc.message, url, _("See that batch.")))
        return render(request, "settlement/batch_list.html", _list_context(request, form), status=exc.status)
    except (TooLarge, UnreadableFile, ValidationFailed) as exc:
        return _upload_refused(request, form, exc)
    messages.success(request, _("Batch %(batch)s was received: it is being checked.") % {"batch": batch.label})
    return redirect("settlement:batch_detail", batch.pk)


def _upload_refused(request, form, exc: DomainError):
    context = _list_context(request, form)
    if form.is_bound:
        form.add_error("period" if any(e.get("column") == "period" for e in exc.errors) else "file", str(exc.message))
    else:  # refused before the body was read
        context["upload_problem"] = exc.message
    return render(request, "settlement/batch_list.html", context, status=exc.status)


@require_GET
def batch_detail(request, pk):
    batch = access_batch(request.user, pk)
    context = {"batch": batch, "badge": BADGES.get(batch.status, ""), "polling": batch.status == "received"}
    if request.headers.get("HX-Request") == "true":
        response = render(request, "settlement/_batch_status.html", context,
                          status=200 if context["polling"] else HTMX_STOP_POLLING)
        if not context["polling"]:
            response["HX-Refresh"] = "true"  # the whole page shows the claims or the errors now
        return response
    if batch.status == ClaimBatch.Status.REJECTED:
        errors = list(batch_errors(batch)[:ERRORS_SHOWN])
        context["errors"] = [(e, error_message(e.code, e.column, e.value, e.detail)) for e in errors]
    elif batch.claim_count:
        context["claims"] = Paginator(batch_claims(batch), CLAIMS_PAGE_SIZE).get_page(request.GET.get("page"))
        context["findings"] = list(batch_findings(batch)[:FINDINGS_SHOWN])
        context["finding_count"] = batch.findings.count()
    return render(request, "settlement/batch_detail.html", context)


@require_GET
def claim_detail(request, pk, claim_id):
    """A claim's calculation step by step (eligibility.calculation.explain) and its findings."""
    batch = access_batch(request.user, pk)
    claim = get_object_or_404(batch.claims, pk=claim_id)
    findings = batch_findings(batch).filter(claim=claim)
    return render(request, "settlement/claim_detail.html",
                  {"batch": batch, "claim": claim, "steps": steps(claim.calculation), "findings": findings})


@require_GET
def batch_error_report(request, pk):
    return error_report_response(access_batch(request.user, pk))


@require_GET
def batch_file(request, pk):
    batch = access_batch(request.user, pk)
    return FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.original_name)
