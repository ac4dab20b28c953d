from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views as core_views

api_v1 = [
    path("core/", include("core.api_views")),
    path("enrollment/", include("enrollment.api.urls")),
    path("eligibility/", include("eligibility.api.urls")),
    path("settlement/", include("settlement.api.views")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("verify/", core_views.verify_letter, name="verify_letter_form"),
    path("verify/<str:code>", core_views.verify_letter, name="verify_letter"),
    path("healthz", core_views.healthz, name="healthz"),
    path("enrollment/", include("enrollment.urls")),
    path("eligibility/", include("eligibility.urls")),
    path("settlement/", include("settlement.urls")),
    path("supervision/", include("supervision.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="api-docs"),
    path("api/redoc/", login_required(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
    path("admin/", admin.site.urls),
]

# Errors: JSON {code, message} under /api/, a page in the office's language elsewhere (core.error_views).
handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.permission_denied"
handler404 = "core.error_views.page_not_found"
handler500 = "core.error_views.server_error"
