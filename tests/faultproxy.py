"""A TCP proxy on loopback that stands between a test server and PostgreSQL or Redis, and can misbehave on demand.

* `blackhole()`: the network goes silent, as in a partition: nothing is forwarded either way and new connections are
  taken in but never answered; what was sent meanwhile is held, as TCP would hold it, and delivered on `heal()`.
* `reset()`: every open connection is reset (RST) at once, as when the service restarts; new ones pass.
* `refuse()`: open connections are reset and new ones refused (nothing listens), as when the service is down.
* `heal()`: back to forwarding, on the same port.

It runs its own event loop in a thread, so the test server (another thread) and the test itself can both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._flowing: asyncio.Event | None = None
        self._links: set[tuple[asyncio.StreamWriter, ...]] = set()
        self._call(self._start())

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _start(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        waiting = (client_writer,)
        self._links.add(waiting)
        try:
            await self._flowing.wait()  # silent: the client is connected, and hears nothing
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(client_writer)
            return
        finally:
            self._links.discard(waiting)
        link = (client_writer, upstream_writer)
        self._links.add(link)
        try:
            await asyncio.gather(self._pump(client_reader, upstream_writer),
                                 self._pump(upstream_reader, client_writer))
        finally:
            self._links.discard(link)
            for writer in link:
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    def blackhole(self) -> None:
        self._call(self._set_flowing(False))

    def heal(self) -> None:
        async def heal() -> None:
            if self._server is None:
                await self._listen()
            self._flowing.set()

        self._call(heal())

    def reset(self) -> None:
        self._call(self._reset_links())

    def refuse(self) -> None:
        async def refuse() -> None:
            if self._server is not None:
                self._server.close()
                self._server = None
            await self._reset_links()

        self._call(refuse())

    async def _set_flowing(self, flowing: bool) -> None:
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _reset_links(self) -> None:
        for link in list(self._links):
            for writer in link:
                _abort(writer)
        self._links.clear()

    @property
    def open_links(self) -> int:
        return len(self._links)

    def close(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            await self._reset_links()
            self._flowing.set()  # lets held pumps finish

        self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Closes with RST rather than FIN, as a crashed peer or a restarted service does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
