from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "vool.interfaces.cli"
    label = "cli"
    verbose_name = "Vool commands"
