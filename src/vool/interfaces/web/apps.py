from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vool.interfaces.web"
    label = "web"
