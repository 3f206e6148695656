from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import accounts.api
import captions.api
import notifications.api
import recordings.api
import rooms.api
import scheduling.api
import timeline.api
from core.views import healthz

api_patterns = [
    *accounts.api.urlpatterns,
    *timeline.api.urlpatterns,
    *notifications.api.urlpatterns,
    # Before rooms: "spaces/scheduled/" is not a Space's code.
    *scheduling.api.urlpatterns,
    *captions.api.urlpatterns,
    *recordings.api.urlpatterns,
    *rooms.api.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        # Swagger UI styles itself inline; scripts stay 'self' only.
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

urlpatterns = [
    path("", include("timeline.urls")),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("notifications.urls")),
    path("", include("scheduling.urls")),
    path("", include("captions.urls")),
    path("", include("recordings.urls")),
    path("", include("rooms.urls")),
    path("api/", include(api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

# The site's own error pages (templates/4xx.html, 500.html); JSON under /api/.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
