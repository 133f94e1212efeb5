"""The notebooks' setup cell never hangs: where d2lmini is missing (or older than the book)
and the repository cannot be reached, it stops within a minute with a message saying how to
install d2lmini.

The cell is taken from a notebook as it is stored and run in an IPython shell in a separate
process, with everything that could make this test depend on the machine taken away:

- the course repository is redirected (git's ``url.<base>.insteadOf``, given in the
  environment) to a local HTTP server that answers every request with 401, as GitHub does
  for a private or missing repository; nothing leaves the machine, and pip may not use an
  index either;
- the process gets a terminal of its own (a pseudo-terminal as its controlling terminal),
  as Colab's ``%pip`` has: there git asks for a user name and waits for ever unless told
  not to. ``test_the_harness_catches_a_password_prompt`` checks that it does;
- d2lmini is hidden from the import system ("missing") or replaced by a stub that says it
  is version 0.1.0 ("older").
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from test_notebook_conventions import NOTEBOOKS, _repository_url, _source, _version

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60  # "within a minute": the cell's own git timeout; in practice it takes a second

DRIVER = textwrap.dedent('''
    import importlib.machinery, sys

    class FakeD2lmini:
        """Makes "import d2lmini" fail (missing) or give a stub of an older version (older)."""
        def __init__(self, mode, stub):
            self.mode, self.stub = mode, stub
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] != "d2lmini" or self.mode == "installed":
                return None
            if self.mode == "older" and name == "d2lmini":
                return importlib.machinery.ModuleSpec(
                    name, importlib.machinery.SourceFileLoader(name, self.stub), origin=self.stub)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    mode, cell, stub = sys.argv[1:4]
    sys.meta_path.insert(0, FakeD2lmini(mode, stub))
    from IPython.core.interactiveshell import InteractiveShell
    result = InteractiveShell.instance(colors="nocolor").run_cell(open(cell, encoding="utf-8").read())
    sys.exit(0 if result.success else 3)
''')


class _Unauthorized(http.server.BaseHTTPRequestHandler):
    """Answers everything as GitHub answers for a private repository: 401, asking for a password."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.requests.append(self.path)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):  # noqa: N802
        self.do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Unauthorized.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.requests = _Unauthorized.requests
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _environment(port: int, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PIP_", "SSH_ASKPASS", "PYTHONPATH"))}
    env.update({
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,  # no credential helpers
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.http://127.0.0.1:{port}/.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/",
        "PIP_NO_INDEX": "1",  # if pip ran after all, it would download nothing
        "HOME": str(tmp_path),
    })
    return env


def _run_with_a_terminal(args, env, cwd, timeout):
    """Run args with a pseudo-terminal as controlling terminal; (returncode, output, seconds)."""
    kwargs = {}
    if os.name == "posix":
        import pty

        leader, follower = pty.openpty()
        name = os.ttyname(follower)

        def take_the_terminal():
            os.setsid()
            os.close(os.open(name, os.O_RDWR))  # the first terminal a session leader opens is its own

        kwargs["preexec_fn"] = take_the_terminal
    start = time.monotonic()
    try:
        done = subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, **kwargs)
        return done.returncode, done.stdout + done.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired as hung:
        output = "".join(part.decode(errors="replace") if isinstance(part, bytes) else part
                         for part in (hung.stdout or "", hung.stderr or ""))
        return None, output, time.monotonic() - start
    finally:
        if kwargs:
            os.close(leader)
            os.close(follower)


def _setup_cell() -> str:
    nb = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    return _source(next(c for c in nb["cells"] if c["cell_type"] == "code"))


def _run_cell(mode: str, server, tmp_path: Path):
    (tmp_path / "cell.ipy").write_text(_setup_cell(), encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    (tmp_path / "stub.py").write_text('__version__ = "0.1.0"\n', encoding="utf-8")
    env = _environment(server.server_address[1], tmp_path)
    return _run_with_a_terminal([sys.executable, "driver.py", mode, "cell.ipy", "stub.py"],
                                env, tmp_path, timeout=LIMIT_S + 30)


@pytest.mark.parametrize("mode", ["missing", "older"])
def test_unreachable_repository_gives_a_message_within_a_minute(mode, server, tmp_path):
    returncode, output, seconds = _run_cell(mode, server, tmp_path)
    assert returncode is not None, f"the setup cell was still running after {seconds:.0f} s:\n{output}"
    print(f"setup cell, d2lmini {mode}, repository answering 401: failed after {seconds:.2f} s")
    assert seconds < LIMIT_S
    assert returncode != 0, f"the setup cell should fail without d2lmini:\n{output}"
    version = _version()
    assert f"Could not download d2lmini {version}" in output, output
    assert f'pip install "d2lmini[notebooks] @ git+{_repository_url()}@v{version}"' in output, output
    assert 'pip install -e ".[notebooks]"' in output, output
    assert "Username" not in output, output
    if shutil.which("git"):
        # The cell did ask the (local) repository, for the tag of this version.
        assert any(path.endswith("info/refs?service=git-upload-pack") for path in server.requests), (
            f"git did not reach the local server: {server.requests}\n{output}")


@pytest.mark.skipif(os.name != "posix", reason="needs a shell script on PATH")
@pytest.mark.parametrize("mode", ["missing", "older"])
def test_a_failed_pip_install_is_reported(mode, server, tmp_path, monkeypatch):
    """The repository has the version's tag, but pip cannot install it (here git, replaced by
    a script, answers ls-remote and then fails to clone): the cell says so instead of going
    on with an older d2lmini, or none."""
    fake_git = tmp_path / "bin" / "git"
    fake_git.parent.mkdir()
    fake_git.write_text('#!/bin/sh\ncase "$1" in\n  ls-remote) exit 0 ;;\n'
                        '  version|--version) echo "git version 2.39.0" ;;\n'
                        '  *) echo "fatal: unable to clone" >&2; exit 128 ;;\nesac\n')
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_git.parent}{os.pathsep}{os.environ['PATH']}")
    returncode, output, seconds = _run_cell(mode, server, tmp_path)
    assert returncode not in (None, 0), output
    assert f"pip could not install d2lmini {_version()}" in output, output
    assert len(output.strip().splitlines()) <= 25, output


def test_an_up_to_date_d2lmini_is_left_alone(server, tmp_path):
    returncode, output, seconds = _run_cell("installed", server, tmp_path)
    assert returncode == 0, output
    assert "Installing" not in output, f"the setup cell tried to install d2lmini:\n{output}"
    assert server.requests == [], "the setup cell went online although d2lmini is up to date"


@pytest.mark.skipif(os.name != "posix" or not shutil.which("git"), reason="needs git and a pty")
def test_the_harness_catches_a_password_prompt(server, tmp_path):
    """Without GIT_TERMINAL_PROMPT=0, git waits for a user name on this terminal: the old,
    hanging setup cell would fail the tests above instead of passing by luck."""
    env = _environment(server.server_address[1], tmp_path)
    returncode, output, seconds = _run_with_a_terminal(
        ["git", "ls-remote", _repository_url()], env, tmp_path, timeout=3)
    assert returncode is None, f"git ended after {seconds:.1f} s (rc {returncode}): {output}"
