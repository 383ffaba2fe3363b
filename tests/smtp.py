"""A real SMTP server for the tests (aiosmtpd): the `smtp` fixture (tests/conftest.py) points
Django's SMTP backend at it and yields its inbox."""

from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class AnyPortController(Controller):
    """Listens on a port the kernel picks (port 0) and keeps it: a port found free and then
    released could be taken by another test process before the server binds it."""

    async def _listen(self) -> Any:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server

    def _create_server(self) -> Any:
        return self._listen()
