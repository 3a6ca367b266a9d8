"""
The web-service example under load: 2 uvicorn workers, one Redis-shared upstream quota.

Real processes on free ports: redis-server, the sandbox served over TCP with a small
quota, and ``examples/web_service.py --workers 2`` in front of it. More concurrent
requests than the quota allows go through the service; with the service's retries off,
any 429 from the sandbox would reach the caller, so none reaching it shows the two workers
together stayed within the quota.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time

import anyio
import httpx
import pytest

from tests._support.processes import ROOT, running
from tests._support.redis_server import free_port, running_redis_server

QUOTA = (20, 1.0)
#: The service's own setting: the same count over a longer window, so that delays between
#: leaving the service and arriving at the sandbox (a loaded machine) cannot crowd more
#: than the sandbox's quota into its window.
SERVICE_QUOTA = (20, 1.5)
REQUESTS = 50
EMAIL, PASSWORD, PHRASE = "web@example.com", "web-password-1", "web phrase"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLYONCE_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _sandbox_output(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The sandbox's base URL and the seeded user's profile id, read from its start-up lines."""
    assert process.stdout is not None
    profile_id = None
    for line in process.stdout:
        if match := re.search(r"profile_id=(\S+)", line):
            profile_id = match.group(1)
        if line.startswith("http://"):
            assert profile_id is not None
            return line.strip(), profile_id
    pytest.fail(f"the sandbox exited at start-up ({process.wait()})")


def _wait_until_healthy(url: str, process: subprocess.Popen[str]) -> None:
    """Wait until both workers have answered ``/health`` (each check a new connection)."""
    workers: set[str] = set()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the web service exited: {output}")
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                workers.add(response.headers["X-Worker-Pid"])
                if len(workers) == 2:
                    return
        time.sleep(0.05)
    pytest.fail(f"both web service workers did not become healthy (saw {len(workers)})")


async def _drive(service: str, token: str, profile_id: str) -> list[httpx.Response]:
    """Send REQUESTS concurrent profile requests, each on its own connection."""
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=0)
    responses: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=service, limits=limits, timeout=60) as http:

        async def one() -> None:
            responses.append(
                await http.get(
                    f"/profiles/{profile_id}", headers={"Authorization": f"Bearer {token}"}
                )
            )

        async with anyio.create_task_group() as tg:
            for _ in range(REQUESTS):
                tg.start_soon(one)
    return responses


def test_two_workers_share_the_upstream_quota() -> None:
    """Every answer is right, none is a 429, and both workers served under one quota."""
    limit, period = QUOTA
    with (
        running_redis_server() as redis,
        running(
            [
                sys.executable,
                "-m",
                "onlyonce_async.testing",
                "--port",
                "0",
                "--rate-limit",
                f"{limit}/{period:g}",
            ],
            _env(ONLYONCE_SANDBOX_USERS=f"{EMAIL}:{PASSWORD}:{PHRASE}"),
        ) as sandbox,
    ):
        base_url, profile_id = _sandbox_output(sandbox)
        sign_in = httpx.post(f"{base_url}signIn", json={"username": EMAIL, "password": PASSWORD})
        token = sign_in.headers["Authorization"].removeprefix("Bearer ")
        port = free_port()
        service_env = _env(
            ONLYONCE_BASE_URL=base_url,
            REDIS_URL=redis.url,
            ONLYONCE_RATE_LIMIT="{}/{:g}".format(*SERVICE_QUOTA),
            ONLYONCE_MAX_RETRIES="0",
        )
        command = [sys.executable, "examples/web_service.py", "--workers", "2", "--port", str(port)]
        with running(command, service_env) as service:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(f"{url}/health", service)
            started = time.monotonic()
            responses = anyio.run(_drive, url, token, profile_id)
            elapsed = time.monotonic() - started

    statuses = [r.status_code for r in responses]
    assert statuses.count(429) == 0, [r.text for r in responses if r.status_code != 200][:3]
    assert statuses == [200] * REQUESTS
    assert all(
        r.json() == {"id": profile_id, "name": "Test User", "type": "PERSONAL"} for r in responses
    )
    assert len({r.headers["X-Worker-Pid"] for r in responses}) == 2
    # The quota was enforced, not merely unreached: 50 requests at 20 per 1.5 s need 3 s.
    service_limit, service_period = SERVICE_QUOTA
    assert elapsed >= (REQUESTS - 1) // service_limit * service_period * 0.9


def test_demo_mode_prints_where_it_listens_and_a_working_curl_line() -> None:
    """Without ONLYONCE_BASE_URL the service says where it listens, and the curl line it
    prints (the real address, no placeholder) answers with the demo user's profile."""
    port = free_port()
    command = [sys.executable, "examples/web_service.py", "--port", str(port)]
    with running(command, _env()) as service:
        assert service.stdout is not None
        lines = [service.stdout.readline().strip() for _ in range(3)]
        assert lines[0] == f"listening on http://127.0.0.1:{port} (1 worker); Ctrl-C stops"
        match = re.fullmatch(r"curl -H 'Authorization: Bearer (\S+)' (\S+)", lines[2])
        assert match is not None, lines
        token, url = match.groups()
        assert url.startswith(f"http://127.0.0.1:{port}/profiles/")
        _wait_until_up(url, token, service)


def _wait_until_up(url: str, token: str, process: subprocess.Popen[str]) -> None:
    """GET ``url`` with ``token`` until the service answers (40 s hang guard); check it."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the web service exited")
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            assert response.status_code == 200, response.text
            assert response.json()["name"]
            return
        time.sleep(0.05)
    pytest.fail("the web service did not answer")
