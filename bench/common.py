"""Shared by the bench scripts: paths, free ports, and starting/stopping one server process on loopback."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_DATA_DIR = BENCH_DIR / ".data"
DEFAULT_TOKENS = DEFAULT_DATA_DIR / "tokens.json"
HOST = "127.0.0.1"  # every bench server listens on, and every load goes to, loopback only


def batches(rows, size: int):
    """`rows` in lists of `size` (the last one shorter), for bulk inserts that never hold a whole history."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def code_snapshot(ref: str) -> tuple[str, Path | None]:
    """The app code the bench runs: `worktree` = the editable install as it is now (src/ may be mid-edit);
    anything else is a git ref whose src/ is exported once to bench/.data/code-<sha>/ and put first on PYTHONPATH
    of every server (and of in-process scripts via `use_code`). Returns (description, src path or None)."""
    if ref == "worktree":
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO_DIR, capture_output=True,
                               text=True).stdout.strip()
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_DIR, capture_output=True,
                              text=True).stdout.strip()
        return f"worktree (HEAD {head}{', src/ modified' if dirty else ''})", None
    sha = subprocess.run(["git", "rev-parse", "--short=12", ref], cwd=REPO_DIR, capture_output=True, text=True,
                         check=True).stdout.strip()
    target = DEFAULT_DATA_DIR / f"code-{sha}"
    if not (target / "src" / "pluralspace").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "src"], cwd=REPO_DIR, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return f"git {sha}", target / "src"


def code_env(src: Path | None) -> dict[str, str]:
    return {"PYTHONPATH": str(src)} if src is not None else {}


def use_code(ref: str) -> str:
    """For a script that imports pluralspace itself: re-executes it with the snapshot first on PYTHONPATH."""
    description, src = code_snapshot(ref)
    if src is not None and os.environ.get("PYTHONPATH") != str(src):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONPATH": str(src)})
    return description


def exit_on_sigterm() -> None:
    """SIGTERM becomes SystemExit, so `finally` blocks (and Server.__exit__) still stop the servers."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def python() -> str:
    return sys.executable


def pluralspace_cli() -> str:
    candidate = Path(sys.executable).with_name("pluralspace")
    return str(candidate) if candidate.exists() else "pluralspace"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def load_tokens(path: Path) -> dict:
    return json.loads(Path(path).read_text())


class Server:
    """One server process (one uvicorn worker) on 127.0.0.1:<port>; always stopped by `stop()` or on exit."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, cpus: str | None = None,
                 log_path: Path | None = None) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"
        if cpus:
            argv = ["taskset", "-c", cpus, *argv]
        self.log_path = log_path
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
        # Nothing from the caller's environment may change the configuration under test.
        base = {key: value for key, value in os.environ.items() if not key.startswith(("PLURALSPACE_", "BENCH_"))}
        self.process = subprocess.Popen(argv, env={**base, **env}, cwd=REPO_DIR, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, path: str = "/api/v1/health", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status < 500:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout}s")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully (lifespan runs)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def real_server(data_dir: Path, port: int, *, rate_limit: bool, cpus: str | None = None,
                log_path: Path | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """The real app exactly as a user runs it: `pluralspace serve` (migrations, then one uvicorn worker)."""
    env = {"PLURALSPACE_DATA_DIR": str(data_dir)}
    if not rate_limit:
        env["PLURALSPACE_RATE_LIMIT_ENABLED"] = "false"
    env.update(extra_env or {})
    return Server("real", [pluralspace_cli(), "serve", "--host", HOST, "--port", str(port)], env, port, cpus,
                  log_path)


def uvicorn_server(name: str, factory: str, data_dir: Path, port: int, *, cpus: str | None = None,
                   log_path: Path | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """A comparison app under the same uvicorn settings `pluralspace serve` uses (httptools + uvloop, no access
    log, one worker)."""
    env = {"BENCH_DATA_DIR": str(data_dir), **(extra_env or {})}
    argv = [python(), "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port),
            "--workers", "1", "--no-access-log", "--log-level", "warning", "--proxy-headers"]
    return Server(name, argv, env, port, cpus, log_path)
