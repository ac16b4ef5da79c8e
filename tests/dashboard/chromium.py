"""Headless Chromium driven over the DevTools protocol: load a page, collect console errors, uncaught
exceptions and network requests, and evaluate JavaScript in it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


@dataclass
class PageLoad:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class Chromium:
    def __init__(self, executable: str, profile: Path) -> None:
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(target for target in json.load(response) if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self._next_id = 0

    def _send(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        self.socket.send(json.dumps({"id": self._next_id, "method": method, "params": params or {}}))
        return self._next_id

    def _until(self, done: Any, load: PageLoad, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in {"error", "assert"}:
                load.console_errors.append(
                    " ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                load.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                load.console_errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                load.requests.append(params["request"]["url"])
            if done(message):
                return message
        raise TimeoutError("no answer from Chromium")

    def _call(
        self, method: str, params: dict[str, Any] | None = None, load: PageLoad | None = None
    ) -> dict[str, Any]:
        request = self._send(method, params)
        return self._until(lambda message: message.get("id") == request, load or PageLoad())

    def load(self, url: str, width: int | None = None, ready: str | None = None) -> PageLoad:
        """Navigates to ``url`` (in a phone-wide viewport when ``width`` is given) and waits for its load event,
        then for the promise ``ready`` evaluates to, plus a moment for late errors."""
        load = PageLoad()
        for domain in ("Runtime", "Log", "Network", "Page"):
            self._call(f"{domain}.enable", load=load)
        if width is not None:
            metrics = {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": True}
            self._call("Emulation.setDeviceMetricsOverride", metrics, load)
        else:
            self._call("Emulation.clearDeviceMetricsOverride", load=load)
        self._send("Page.navigate", {"url": url})
        self._until(lambda message: message.get("method") == "Page.loadEventFired", load)
        if ready is not None:
            self._call("Runtime.evaluate", {"expression": ready, "awaitPromise": True}, load)
        self._call(
            "Runtime.evaluate",
            {"expression": "new Promise(r => setTimeout(r, 300))", "awaitPromise": True},
            load,
        )
        return load

    def evaluate(self, expression: str, load: PageLoad | None = None) -> Any:
        """The value of ``expression`` (awaited when it is a promise); errors and requests it causes go to ``load``."""
        answer = self._call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, load
        )
        if "exceptionDetails" in answer["result"]:
            raise RuntimeError(str(answer["result"]["exceptionDetails"]))
        return answer["result"]["result"].get("value")

    def close(self) -> None:
        if getattr(self, "socket", None) is not None:
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
