from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .letters import verify
from .provider_accounts import provider_of_user
from .registry import home_panels, resolve
from .roles import Role, has_role


def home(request):
    """The home page: the panels the apps contribute (core.registry), those the user's roles may see."""
    user = request.user
    panels = []
    for panel in home_panels():
        if not has_role(user, *panel.roles):
            continue
        data = resolve(panel.data)(user) if panel.data else {}
        if data is not None:
            panels.append({"template": panel.template, "data": data})
    # A provider's user works for its institution: the page names it (its one grant, core.providers).
    provider = provider_of_user(user) if has_role(user, Role.PROVIDER) else None
    name = user.get_full_name() or (provider.name if provider else "") or user.get_username()
    return render(request, "core/home.html", {"panels": panels, "provider": provider, "name": name})


@login_not_required
def verify_letter(request, code=""):
    code = (code or request.GET.get("code", "")).strip()
    result = verify(code) if code else None
    return render(request, "core/verify.html", {"code": code, "result": result, "checked": bool(code)},
                  status=404 if code and result is None else 200)


@login_not_required
@require_GET
def healthz(request):
    status = {"database": "ok", "redis": "not configured"}
    healthy = True
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except Exception as exc:  # report, never raise: this is what the orchestrator reads
        status["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            status["redis"] = "ok"
        except Exception as exc:
            status["redis"] = f"error: {exc.__class__.__name__}"
            healthy = False
    return JsonResponse(status, status=200 if healthy else 503)


def letter_response(letter) -> FileResponse:
    """Serve a kept letter's PDF inline; the caller has already checked access to its object."""
    return FileResponse(letter.pdf.open("rb"), content_type="application/pdf", filename=f"{letter.number}.pdf")
