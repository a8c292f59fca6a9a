"""The local SMTP server fixture (``mail_server.mailbox``) for the delivery CLI tests."""

from mail_server import mailbox  # noqa: F401 (a fixture)
