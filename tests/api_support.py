"""A real `datamorph serve` process on 127.0.0.1 for the API tests (and the API benchmark)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLE = ("Join customers and orders on customer_id, calculate total order amount per customer, "
           "filter customers with total > 100")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiServer:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    token: str | None = None

    def client(self, token: str | None = "default", timeout: float = 60.0) -> Any:
        """An httpx client for this server (with its token unless ``token`` says otherwise)."""
        import httpx

        tok = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Stop the server the way Ctrl-C does; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def start_api(warehouse: Path | str, home: Path, *, env: dict[str, str] | None = None,
              extra_args: tuple[str, ...] = (), wait_s: float = 60.0) -> ApiServer:  # fmt: skip
    """Start ``datamorph serve`` on a free port and wait until /health answers.

    The port is free when picked but another test process may take it before the server binds it;
    a server that exits because its address is in use is started again on another port.
    """
    for _attempt in range(3):
        try:
            return _start_api_once(warehouse, home, env=env, extra_args=extra_args, wait_s=wait_s)
        except _AddressInUse:
            continue
    return _start_api_once(warehouse, home, env=env, extra_args=extra_args, wait_s=wait_s)


class _AddressInUse(RuntimeError):
    pass


def _start_api_once(warehouse: Path | str, home: Path, *, env: dict[str, str] | None,
                    extra_args: tuple[str, ...], wait_s: float) -> ApiServer:  # fmt: skip
    import httpx

    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / f"server-{port}.log"
    full_env = {**os.environ, "DATAMORPH_HOME": str(home), **(env or {})}
    full_env.pop("DATAMORPH_WAREHOUSE", None)
    cmd = [sys.executable, "-m", "datamorph", "serve", "--warehouse", str(warehouse), "--port", str(port),
           *extra_args]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    server = ApiServer(f"http://127.0.0.1:{port}", proc, log_path, (env or {}).get("DATAMORPH_API_TOKEN"))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = server.log()
            if "address already in use" in text.lower():
                raise _AddressInUse(text)
            raise RuntimeError(f"datamorph serve exited with {proc.returncode}:\n{text}")
        try:
            if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"datamorph serve did not answer /health within {wait_s}s:\n{server.log()}")


@contextmanager
def serving(warehouse: Path, tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[ApiServer]:
    """A server over a fresh copy of ``warehouse``, stopped (cleanly: exit code 0) afterwards."""
    copy = tmp_path / "served.duckdb"
    shutil.copy(warehouse, copy)
    srv = start_api(copy, tmp_path / "home", env=env)
    try:
        yield srv
    finally:
        code = srv.stop()
    assert code == 0, srv.log()


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parse a text/event-stream into ``{"event", "id", "data"}`` dicts (``data`` JSON-decoded)."""
    event: dict[str, Any] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or event:
                event["data"] = json.loads("\n".join(data)) if data else None
                yield event
            event, data = {}, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                data.append(value)
            elif field in ("event", "id"):
                event[field] = value


def wait_run(client: Any, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll GET /api/runs/{id} until the run has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] != "running":
            return run  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise TimeoutError(f"run {run_id} still running after {timeout}s")
