"""HTTP: gunicorn with production settings (DEBUG=0) on loopback, loaded by wrk.

Pages: the inbox (the portal's task page, else the REST task list), a case page (else the case list) and the start
page, each as a logged-in user (a real session cookie). For each page the number of connections is raised step by
step; reported is the highest request rate at which wrk's p95 stays below 200 ms, and the CPU seconds the load
generator itself used per second of load (it shares the cores with the server).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import ROOT, log

P95_LIMIT_MS = 200.0
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("P95_US %d\\nREQS %d\\nERRS %d\\n", latency:percentile(95.0), summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lenient_storage(location: str):
    """The production static storage, except that a CSS reference to a missing file keeps its unhashed name.

    viewflow's bundled roboto-fontface.css references font files it does not ship, so a strict ``collectstatic``
    with the production storage fails (reported in docs/benchmarks.md). The manifest written here is the one the
    production storage reads at run time.
    """
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

    # without the gzip/brotli pass (minutes on two cores); whitenoise serves the uncompressed files then
    class Lenient(ManifestStaticFilesStorage):
        def hashed_name(self, name, content=None, filename=None):
            try:
                return super().hashed_name(name, content, filename)
            except ValueError:
                return name

    return Lenient(location=location)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_for_inbox() -> Any:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    for name in ("bench.dkz", "bench.clerk.large", "bench.engine"):
        user = user_model.objects.filter(username=name).first()
        if user is not None:
            return user
    raise RuntimeError("no benchmark user")


def _case_for(user) -> int | None:
    """A case the user can open; captured with the product's service if the user sees none."""
    try:
        from bench import world
        from projects.models import Institution, Membership, Municipality
        from projects.roles import Role
        from projects.selectors import case_list_for_user
        from projects.services.cases import case_capture, county_anchor

        case = case_list_for_user(user=user).order_by("pk").first()
        if case is None:
            # the DKZ of the user's county captures it: the user manages cases on the county as a member
            member = Municipality.objects.filter(
                pk__in=world.municipality_ids_of(user), kind__in=["gemeinde", "stadt"]
            ).first()
            if member is None:
                raise RuntimeError("the benchmark user belongs to no municipality")
            # the user works for the DKZ of that county (a membership, as the product's selectors read it) and
            # holds the DKZ capability on the county as a member
            dkz, _ = Institution.objects.get_or_create(
                slug=f"bench-dkz-{member.county.slug}",
                defaults={"kind": Institution.Kind.DKZ, "name": f"DKZ {member.county.name}"},
            )
            dkz.counties.add(member.county)
            Membership.objects.get_or_create(user=user, role=Role.PROJECT_MANAGER, institution=dkz)
            anchor = county_anchor(member.county)
            world.make_user(user.username, [anchor.pk], ["manage_case"])
            case = case_capture(county=member.county, title="Benchmark-Vorgang", by=user, task_area="Datenschutz")
        return case.pk
    except Exception as exc:  # the page list below falls back to the case list
        log(f"http: no case page ({exc!r}); using the case list")
        return None


def _pick(client, candidates: list[str], headers: dict[str, str]) -> str | None:
    for path in candidates:
        response = client.get(path, follow=True, **headers)
        if response.status_code == 200:
            return response.request["PATH_INFO"] if response.redirect_chain else path
    return None


def _pages(user) -> tuple[dict[str, dict[str, Any]], str, str | None]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    token = None
    try:
        from rest_framework.authtoken.models import Token

        token = Token.objects.get_or_create(user=user)[0].key
    except Exception:
        token = None
    pages: dict[str, dict[str, Any]] = {}
    inbox = _pick(client, ["/portal/aufgaben/"], {})
    if inbox:
        pages["inbox"] = {"path": inbox, "auth": "session"}
    elif token and _pick(Client(HTTP_HOST="127.0.0.1"), ["/api/v1/tasks/"], {"HTTP_AUTHORIZATION": f"Token {token}"}):
        pages["inbox"] = {"path": "/api/v1/tasks/", "auth": "token"}
    case_pk = _case_for(user)
    case_candidates = ([f"/portal/vorgaenge/{case_pk}/"] if case_pk else []) + ["/portal/vorgaenge/"]
    case = _pick(client, case_candidates, {})
    if case:
        pages["case"] = {"path": case, "auth": "session"}
    start = _pick(client, ["/", "/portal/"], {})
    if start:
        pages["start"] = {"path": start, "auth": "session"}
    return pages, cookie, token


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (Linux /proc); processes that are gone are left out."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


def _server_pids(master: int) -> set[int]:
    """The gunicorn master and its workers."""
    pids = {master}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _db_pids() -> set[int]:
    """The PostgreSQL backends of the benchmark database other than this process's own (only if the server is local)."""
    from django.db import connection

    if (connection.settings_dict.get("HOST") or "localhost") not in ("localhost", "127.0.0.1", "::1", ""):
        return set()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        )
        return {row[0] for row in cur.fetchall()}


class _CpuMeter:
    """CPU seconds used by the server's processes and the database backends between start() and stop()."""

    def __init__(self, master: int):
        self.master = master

    def start(self) -> None:
        self.server = _cpu_seconds(_server_pids(self.master))
        self.db = _cpu_seconds(_db_pids())

    def stop(self) -> tuple[float | None, float | None]:
        if not Path("/proc/self/stat").exists():
            return None, None
        server = _cpu_seconds(_server_pids(self.master))
        db_pids = _db_pids()
        db = _cpu_seconds(db_pids)
        used_server = sum(v - self.server.get(pid, 0.0) for pid, v in server.items())
        used_db = sum(v - self.db.get(pid, 0.0) for pid, v in db.items()) if db_pids else None
        return used_server, used_db


def _wrk(
    url: str, header: str, connections: int, duration: int, script: str, meter: _CpuMeter | None = None
) -> dict[str, Any]:
    if meter is not None:
        meter.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-H", header, "-s", script, url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu, db_cpu = meter.stop() if meter is not None else (None, None)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    p95 = re.search(r"P95_US (\d+)", out.stdout)
    reqs = re.search(r"REQS (\d+)", out.stdout)
    errs = re.search(r"ERRS (\d+)", out.stdout)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out.stdout)
    if not (p95 and rps):
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    requests = int(reqs.group(1)) if reqs else 0

    def per_request(seconds: float | None) -> float | None:
        return round(1000.0 * seconds / requests, 2) if seconds is not None and requests else None

    return {
        "connections": connections,
        "rps": float(rps.group(1)),
        "p95_ms": int(p95.group(1)) / 1000.0,
        "requests": requests or None,
        "errors": int(errs.group(1)) if errs else 0,
        "generator_cpu": cpu / duration,
        "server_cpu_ms_per_request": per_request(server_cpu),
        "db_cpu_ms_per_request": per_request(db_cpu),
    }


def measure(env: dict[str, str], *, duration: int, connections: list[int]) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.staticfiles.management.commands import collectstatic
    from django.core.management import call_command

    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (Debian package wrk; `make bench` installs it)")
    user = _user_for_inbox()
    static_root = str(ROOT / "var" / "bench-static")
    settings.STATIC_ROOT = static_root
    shutil.rmtree(static_root, ignore_errors=True)
    collect = collectstatic.Command()
    collect.storage = _lenient_storage(static_root)
    call_command(collect, interactive=False, verbosity=0)
    pages, cookie, token = _pages(user)
    workers = 2 * (os.cpu_count() or 1) + 1
    port = _free_port()
    server_env = dict(os.environ, **env, STATIC_ROOT=static_root)
    server = subprocess.Popen(
        [
            str(Path(os.sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    out: dict[str, Any] = {
        "server": f"gunicorn, {workers} sync workers, DEBUG=0",
        "generator": "wrk -t1 (one thread), closed loop, connections raised step by step",
        "user": user.username,
        "pages": {},
    }
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except Exception:
                time.sleep(0.5)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA)
            script = fh.name
        for name, page in pages.items():
            header = f"Authorization: Token {token}" if page["auth"] == "token" else f"Cookie: sessionid={cookie}"
            url = base + page["path"]
            _wrk(url, header, 2, 1, script)  # warm-up
            steps = []
            for c in connections:
                r = _wrk(url, header, c, duration, script, _CpuMeter(server.pid))
                steps.append(r)
                log(
                    f"http {name} c={c}: {r['rps']:.0f} req/s, p95 {r['p95_ms']:.1f} ms, errors {r['errors']}, CPU per"
                    f" request {r['server_cpu_ms_per_request']} ms server + {r['db_cpu_ms_per_request']} ms database"
                )
                if r["p95_ms"] >= P95_LIMIT_MS:
                    break
            ok = [s for s in steps if s["p95_ms"] < P95_LIMIT_MS and s["errors"] == 0]
            out["pages"][name] = {
                "path": page["path"].replace(str(cookie), ""),
                "auth": page["auth"],
                "steps": steps,
                "best": max(ok, key=lambda s: s["rps"]) if ok else None,
                "errors": sum(s["errors"] for s in steps),
            }
        os.unlink(script)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    missing = {"inbox", "case", "start"} - set(out["pages"])
    if missing:
        out["missing_pages"] = sorted(missing)
    return out
