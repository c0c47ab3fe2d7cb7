from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpis"
    verbose_name = _("指標と実績")

    def ready(self):
        from kpis import versioning
        from kpis.rules import stored

        versioning.watch()
        stored.watch(self)
