from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Vool back office")
admin.site.site_title = _("Vool back office")
admin.site.index_title = _("Customers, metering, tariffs and billing")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("backoffice/", include("vool.interfaces.backoffice.urls")),
    path("portal/", include("vool.interfaces.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("vool.interfaces.web.urls")),
]
