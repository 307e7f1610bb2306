"""Run the real server in-process: uvicorn with the CLI's limits on an ephemeral loopback port, in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from kubesage.server import listen
from kubesage.server.app import ServerSettings, create_app


def run_server(settings: ServerSettings, **limits: Any) -> Iterator[str]:
    """Yields the base URL. `limits` go to `listen.config` (max_connections, header_timeout, ...)."""
    app = create_app(settings)
    server = listen.ListeningServer(listen.config(app, "127.0.0.1", 0, **limits))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.should_exit = True
        thread.join(15)
