from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "vool.domain.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from vool.domain.documents.models import Supplier
        from vool.domain.documents.queries import supplier_shown
        from vool.domain.short_lived import forget_on_change

        forget_on_change(supplier_shown, Supplier, "vool.documents.supplier_shown")
