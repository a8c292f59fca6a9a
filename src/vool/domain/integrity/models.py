"""No models: Django sends ``pre_migrate``/``post_migrate`` only to apps with a models module,
and the guards are installed from those signals (see ``apps.py``)."""
