from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "vool.interfaces.portal"
    label = "portal"
