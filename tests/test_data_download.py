"""Downloads and data folders that go wrong, and the validation split, on small fake files.

Nothing leaves the machine: the mirrors point at servers on 127.0.0.1 (a closed port unless
a test starts one), and the md5 table is patched to match the fake files.
"""

import gzip
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error

import pytest
import torch

import d2lmini as d2l
from d2lmini import data as D

N_TRAIN, N_TEST = 100, 20


def _idx(t: torch.Tensor) -> bytes:
    """``t`` (uint8) in the idx format of the MNIST files."""
    return bytes([0, 0, 8, t.dim()]) + b"".join(n.to_bytes(4, "big") for n in t.shape) \
        + t.numpy().tobytes()


def _fake_files() -> dict[str, bytes]:
    """Small MNIST-like files; training image i has the value i in its top-left pixel."""
    def images(n):
        x = torch.zeros(n, 28, 28, dtype=torch.uint8)
        x[:, 0, 0] = torch.arange(n)
        return x

    tensors = [images(N_TRAIN), torch.arange(N_TRAIN, dtype=torch.uint8) % 10,
               images(N_TEST) + 1, torch.arange(N_TEST, dtype=torch.uint8) % 10]
    return dict(zip(D._FILES, map(_idx, tensors)))


REAL_MIRRORS = {name: list(urls) for name, urls in D._MIRRORS.items()}  # before any patching
FAKE = _fake_files()
FAKE_MD5 = {f: hashlib.md5(b).hexdigest() for f, b in FAKE.items()}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """MNIST is the fake one, its mirrors are local, and no cached arrays leak between tests."""
    monkeypatch.setitem(D._MD5, "MNIST", FAKE_MD5)
    monkeypatch.setitem(D._MIRRORS, "MNIST", [f"http://127.0.0.1:{_closed_port()}/"])
    monkeypatch.setitem(D._MIRRORS, "FashionMNIST", [f"http://127.0.0.1:{_closed_port()}/"])
    D._load.cache_clear()
    yield
    D._load.cache_clear()


class _Server(http.server.ThreadingHTTPServer):
    """Serves FAKE's files gzipped, slowly if asked; counts the requests per path."""

    def __init__(self, delay: float = 0.0):
        self.delay, self.requests = delay, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):  # noqa: N805
                self.requests.append(handler.path)
                name = handler.path.rsplit("/", 1)[-1].removesuffix(".gz")
                if name not in FAKE:
                    return handler.send_error(404)
                body = gzip.compress(FAKE[name])
                handler.send_response(200)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                for i in range(0, len(body), 64):
                    time.sleep(self.delay)
                    handler.wfile.write(body[i:i + 64])

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/mnist/"


@pytest.fixture
def server(monkeypatch):
    srv = _Server()
    monkeypatch.setitem(D._MIRRORS, "MNIST", [srv.url])
    yield srv
    srv.shutdown()
    srv.server_close()


def _write_fake(root, files=FAKE):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f, b in files.items():
        (raw / f).write_bytes(b)
    return raw


def _construct_within(seconds: float, **kwargs):
    """MNIST(**kwargs) in a thread: (the module or the exception, seconds taken); never hangs."""
    result = {}

    def target():
        try:
            result["value"] = d2l.MNIST(**kwargs)
        except Exception as exc:
            result["value"] = exc

    start = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"MNIST() still running after {seconds} s: it hangs"
    return result["value"], time.perf_counter() - start


# ---- the validation split ----------------------------------------------------------------

def test_default_val_is_the_test_split(tmp_path):
    _write_fake(tmp_path)
    data = d2l.MNIST(root=tmp_path, batch_size=8)
    assert data.val is data.test and len(data.train) == N_TRAIN and len(data.test) == N_TEST
    assert repr(data).startswith(f"MNIST(train={N_TRAIN}, val=test={N_TEST}, 28x28, batch_size=8")
    assert torch.equal(next(iter(data.get_dataloader(train=False)))[1], data.test.labels[:8])


def test_num_val_holds_out_the_same_training_images_every_time(tmp_path):
    _write_fake(tmp_path)
    state = torch.random.get_rng_state()
    data = d2l.MNIST(root=tmp_path, batch_size=8, num_val=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    ids = lambda split: split.images[:, 0, 0].tolist()  # noqa: E731
    assert ids(data.val) == [19, 44, 71, 90, 93]  # fixed for every run and machine
    assert len(data.train) == N_TRAIN - 5 and not set(ids(data.train)) & set(ids(data.val))
    assert sorted(ids(data.train) + ids(data.val)) == list(range(N_TRAIN))
    assert data.test.images[0, 0, 0] == 1 and data.val is not data.test
    assert f"train={N_TRAIN - 5}, val=5, test={N_TEST}" in repr(data)
    assert torch.equal(next(iter(data.val_dataloader()))[1], data.val.labels)
    assert torch.equal(next(iter(data.test_dataloader()))[1], data.test.labels[:8])
    torch.manual_seed(123)  # another global seed changes nothing
    assert ids(d2l.MNIST(root=tmp_path, num_val=5).val) == ids(data.val)


def test_num_train_keeps_a_fixed_nested_subset(tmp_path):
    _write_fake(tmp_path)
    ids = lambda data: set(data.train.images[:, 0, 0].tolist())  # noqa: E731
    ten, thirty = (d2l.MNIST(root=tmp_path, num_val=5, num_train=n) for n in (10, 30))
    assert ids(ten) == {37, 42, 53, 69, 74, 80, 81, 85, 91, 95}
    assert len(ids(thirty)) == 30 and ids(ten) < ids(thirty)
    assert not ids(thirty) & set(ten.val.images[:, 0, 0].tolist())
    assert len(d2l.MNIST(root=tmp_path, num_train=7).train) == 7


@pytest.mark.parametrize("kwargs", [{"num_val": N_TRAIN}, {"num_val": -1}, {"num_train": 0},
                                    {"num_val": 50, "num_train": 51}])
def test_impossible_split_sizes(tmp_path, kwargs):
    _write_fake(tmp_path)
    with pytest.raises(ValueError, match=f"has {N_TRAIN} training images"):
        d2l.MNIST(root=tmp_path, **kwargs)


def test_modules_do_not_share_tensors(tmp_path):
    _write_fake(tmp_path)
    first = d2l.MNIST(root=tmp_path)
    first.train.images += 7   # in place, as a student might
    first.test.labels[:] = 0
    later = d2l.MNIST(root=tmp_path)
    assert later.train.images[:, 0, 0].tolist() == list(range(N_TRAIN))
    assert later.test.labels[:3].tolist() == [0, 1, 2]


# ---- downloads -------------------------------------------------------------------------

def test_download_shows_progress_and_checks(tmp_path, server, capsys):
    data = d2l.MNIST(root=tmp_path)
    assert len(data.train) == N_TRAIN
    out = capsys.readouterr().out
    assert f"Downloading MNIST into {tmp_path / 'MNIST' / 'raw'}" in out and " bytes" in out
    assert sorted(server.requests) == sorted(f"/mnist/{f}.gz" for f in D._FILES)
    assert not [p for p in (tmp_path / "MNIST" / "raw").iterdir() if p.suffix == ".tmp"]
    D._load.cache_clear()
    d2l.MNIST(root=tmp_path)  # all there: nothing downloaded again
    assert len(server.requests) == 4


def test_gz_copies_are_used_without_network(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f, b in FAKE.items():
        (raw / f"{f}.gz").write_bytes(gzip.compress(b))
    assert len(d2l.MNIST(root=tmp_path).train) == N_TRAIN


def test_a_server_that_never_answers_times_out(tmp_path, monkeypatch, capsys):
    """A server that accepts connections and never answers: each mirror is given up in time."""
    assert D.DOWNLOAD_TIMEOUT == 30
    monkeypatch.setattr(D, "DOWNLOAD_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel accepts; nobody ever answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setitem(D._MIRRORS, "MNIST", [f"{url}/a/", f"{url}/b/"])
        error, seconds = _construct_within(20, root=tmp_path)
    assert isinstance(error, d2l.DataError) and seconds < 10
    message = str(error)
    assert message.count("no answer within 0.5 s") == 2, message
    assert f"{url}/a/train-images-idx3-ubyte.gz" in message and "internet" in message
    out = capsys.readouterr().out
    assert "Downloading MNIST" in out and f"{url}/b/train-images-idx3-ubyte.gz" in out


def test_a_silent_mirror_is_waited_on_once(tmp_path, server, monkeypatch, capsys):
    """The first mirror never answers, the second works: only the first file waits."""
    monkeypatch.setattr(D, "DOWNLOAD_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        monkeypatch.setitem(D._MIRRORS, "MNIST", [url, server.url])
        assert len(d2l.MNIST(root=tmp_path).train) == N_TRAIN
    assert capsys.readouterr().out.count("no answer within 0.5 s") == 1
    assert len(server.requests) == 4 and D._MIRRORS["MNIST"][0] == url   # the setting is unchanged


def test_the_error_keeps_every_cause(tmp_path, server, monkeypatch):
    closed = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setitem(D._MIRRORS, "MNIST", [server.url + "missing/x", closed])
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST(root=tmp_path)
    message = str(info.value)
    assert "HTTPError: HTTP Error 404" in message            # the first mirror's reason
    assert "ConnectionRefusedError" in message               # and the second's
    assert "D2LMINI_DATA" in message and str(tmp_path / "MNIST" / "raw") in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert len(message.splitlines()) <= 7


def test_the_manual_download_hint_names_working_mirrors(tmp_path, monkeypatch):
    """yann.lecun.com answers 403: the hint gives the mirrors torchvision and others use."""
    def refuse(url, *args, **kwargs):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(D.urllib.request, "urlopen", refuse)  # nothing leaves the machine
    monkeypatch.setitem(D._MIRRORS, "MNIST", REAL_MIRRORS["MNIST"])
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST(root=tmp_path)
    message = str(info.value)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert "lecun" not in message and "lecun" not in str(REAL_MIRRORS)
    assert message.count("ConnectionRefusedError: [Errno 111] Connection refused") == 2


def test_a_download_with_the_wrong_checksum_is_not_kept(tmp_path, server, monkeypatch):
    monkeypatch.setitem(D._MD5, "MNIST", {**FAKE_MD5, "t10k-labels-idx1-ubyte": "0" * 32})
    with pytest.raises(d2l.DataError, match="wrong md5 checksum"):
        d2l.MNIST(root=tmp_path)
    assert not (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").exists()


def test_damaged_file_advice_deletes_only_that_file(tmp_path, server):
    raw = _write_fake(tmp_path)
    damaged = raw / "t10k-images-idx3-ubyte"
    damaged.write_bytes(FAKE[damaged.name][:-10])
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST(root=tmp_path)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte" in message and "train-images" not in message
    assert "rmtree" not in message and "delete only the damaged" in message
    exec(textwrap.dedent(message[message.index("    import os"):]))   # do what it says
    assert sorted(p.name for p in raw.iterdir() if not p.name.startswith(".")) == \
        sorted(set(D._FILES) - {damaged.name})
    assert len(d2l.MNIST(root=tmp_path).test) == N_TEST
    assert server.requests == ["/mnist/t10k-images-idx3-ubyte.gz"]  # only that one again


# ---- data folders ------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["root", "MNIST"])
def test_a_file_where_the_data_folder_should_be(tmp_path, where):
    in_the_way = tmp_path / "data" if where == "root" else tmp_path / "data" / "MNIST"
    in_the_way.parent.mkdir(exist_ok=True)
    in_the_way.write_text("not a folder")
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST(root=tmp_path / "data")
    message = str(info.value)
    assert f"{in_the_way} is a file, not a folder" in message and "internet" not in message
    assert "To fix it: move that file away" in message and info.value.__cause__ is None


def test_a_folder_that_is_not_writable(tmp_path, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(D.Path, "mkdir", refuse)  # as for a folder of another user
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST(root=tmp_path / "data")
    message = str(info.value)
    assert "Permission denied" in message and "a folder you can write to" in message
    assert "internet" not in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(d2l.DataError, match="Permission denied") as info:
            d2l.MNIST(root=tmp_path)
        assert "internet" not in str(info.value)
    finally:
        tmp_path.chmod(0o755)


def test_a_read_only_folder_with_all_files_is_fine(tmp_path, monkeypatch):
    _write_fake(tmp_path)
    monkeypatch.setattr(D.Path, "mkdir", lambda *a, **k: pytest.fail("nothing to write"))
    assert len(d2l.MNIST(root=tmp_path).train) == N_TRAIN


# ---- two processes, one folder -----------------------------------------------------------

WORKER = textwrap.dedent("""
    import json, os, sys, time
    from d2lmini import data as D
    D._MD5["MNIST"], D._MIRRORS["MNIST"] = json.loads(os.environ["FAKE_MD5"]), [sys.argv[2]]
    print("ready", flush=True)
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.01)
    data = D.MNIST(root=sys.argv[1])
    print(len(data.train), len(data.test), int(data.train.images.sum()))
""")


def test_two_processes_download_into_one_folder(tmp_path):
    server = _Server(delay=0.02)  # slow enough for the two to overlap
    go = tmp_path / "go"
    env = {**os.environ, "FAKE_MD5": json.dumps(FAKE_MD5)}
    try:
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "data"),
                                     server.url, str(go)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env)
                   for _ in range(2)]
        assert all(w.stdout.readline().strip() == "ready" for w in workers)
        go.touch()   # both start at once
        results = [w.communicate(timeout=120) for w in workers]
    finally:
        server.shutdown()
        server.server_close()
    expected = f"{N_TRAIN} {N_TEST} {sum(range(N_TRAIN))}"
    for (out, err), w in zip(results, workers):
        assert w.returncode == 0, err[-2000:]
        assert out.strip().splitlines()[-1] == expected
    if D.fcntl is not None:  # with the lock, the second waits and finds the files there
        assert sorted(server.requests) == sorted(f"/mnist/{f}.gz" for f in D._FILES)
        assert sum("Downloading MNIST" in out for out, _ in results) == 1


# ---- what a student sees in a script -----------------------------------------------------

SCRIPT = textwrap.dedent("""
    import json, os, sys
    import d2lmini as d2l
    from d2lmini import data as D
    D._MD5["MNIST"], D._MIRRORS["MNIST"] = json.loads(os.environ["FAKE_MD5"]), [sys.argv[2]]
    D.DOWNLOAD_TIMEOUT = 0.5
    data = d2l.MNIST(root=sys.argv[1])
""")


@pytest.mark.parametrize("case", ["no answer", "file in the way", "damaged"])
def test_a_script_ends_in_a_short_message(tmp_path, case):
    root = tmp_path / "data"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        if case == "file in the way":
            root.write_text("")
        elif case == "damaged":
            (_write_fake(root) / "train-labels-idx1-ubyte").write_bytes(b"\0" * 8)
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(root), url],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "FAKE_MD5": json.dumps(FAKE_MD5)})
    print(result.stderr)  # shown by pytest -s: the messages quoted in the course notes
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert any(line.startswith("d2lmini.data.DataError:") for line in lines)
    assert len(lines) <= 15, result.stderr
    assert "During handling" not in result.stderr and "torchvision" not in result.stderr
