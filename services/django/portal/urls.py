from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts import api as account_api
from accounts.forms import AdminLoginForm
from audit import views as audit_views
from datasets import api, views as dataset_views
from monitoring import api as monitoring_api
from partners import views as partner_views

from . import health

# The admin's own login page counts failures like the portal's.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", dataset_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # The admin's own password form checks old passwords uncounted; staff use the portal's.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("datasets/", include("datasets.urls")),
    path("partners/act-as/", partner_views.act_as, name="act_as"),
    path("partners/people/", partner_views.people, name="people"),
    path("partners/people/invite/", partner_views.invite, name="people_invite"),
    path("partners/people/<int:user_id>/reset-link/", partner_views.reset_link, name="people_reset_link"),
    path("partners/people/<int:user_id>/deactivate/", partner_views.deactivate, name="people_deactivate"),
    path("partners/people/<int:user_id>/reset-factor/", partner_views.reset_factor, name="people_reset_factor"),
    path("partners/trail/", audit_views.trail, name="trail"),
    path("ops/", include("monitoring.urls")),
    # Reached by nginx's auth_request only; nginx does not expose /auth/ to clients.
    path("auth/check", partner_views.auth_check, name="auth_check"),
    # Reached from the back network only; nginx answers 404 for /internal/.
    path("internal/partners/<slug:slug>/datasets", api.partner_datasets, name="internal_partner_datasets"),
    re_path(r"^internal/partners/(?P<slug>[-\w]+)/datasets/(?P<sha256>[0-9a-f]{64})$", api.dataset_file,
            name="internal_dataset_file"),
    path("internal/load", monitoring_api.store_snapshot, name="internal_load"),
    path("internal/sessions/<str:ticket>", account_api.session_state, name="internal_session_state"),
    path("internal/sessions/<str:ticket>/language", account_api.session_language, name="internal_session_language"),
    path("internal/sessions/<str:ticket>/events", account_api.session_event, name="internal_session_event"),
]

if settings.DEBUG_TOOLBAR:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
