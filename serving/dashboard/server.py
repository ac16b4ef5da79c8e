"""``lakehouse dashboard``: the latest page, served over HTTP on 127.0.0.1 only.

The page needs no server (it opens from disk); this is for a browser that will not open local files, or
to look at it from the machine's own browser while a long-running ``serve`` rewrites it. Only the page is
served, read afresh on every request: nothing else in the lake is reachable.
"""

from __future__ import annotations

from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from core.storage import LocalObjectStore, ObjectStore
from serving.dashboard.page import CONTENT_SECURITY_POLICY, DASHBOARD_KEY

PATHS = {"/", "/dashboard.html"}


def dashboard_server(lake: Path | ObjectStore, port: int = 0) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:``port`` (0 picks a free one) for the page of ``lake`` (its folder, or
    its store: the bucket on the aws backend); the caller runs ``serve_forever``."""
    store = LocalObjectStore(lake) if isinstance(lake, Path) else lake

    class DashboardHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] not in PATHS:
                self.send_error(HTTPStatus.NOT_FOUND, "only the dashboard is served here: /")
                return
            if not store.exists(DASHBOARD_KEY):
                self.send_error(
                    HTTPStatus.NOT_FOUND, f"no dashboard yet at {DASHBOARD_KEY}: run the day first"
                )
                return
            body = store.read_bytes(DASHBOARD_KEY)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # one line per request is noise here
            return

    return ThreadingHTTPServer(("127.0.0.1", port), DashboardHandler)
