"""Starting the real server from the Python suites (tests/interop, tests/browser and the Python
client's tests): a `provenance-registry serve` process on a free port, its address read from its
JSON log."""

import json
import shutil
import subprocess
import threading


def serve(binary, data_dir, extra_args=()):
    """Starts the server on 127.0.0.1 and a free port with `data_dir` (and `extra_args` for
    `serve`); returns the process and the address it listens on, once it has logged it."""
    process, fields = serve_logged(binary, data_dir, extra_args)
    return process, fields["address"]


def serve_logged(binary, data_dir, extra_args=()):
    """`serve`, returning the process and the fields of the line it logged when it began serving
    (`address`, `metrics`, `traces`, ...)."""
    process = subprocess.Popen(
        [
            str(binary), "serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--data-dir", str(data_dir),
            *extra_args,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    fields = {}
    for line in process.stderr:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", {})
        if fields.get("address"):
            break
    if not fields.get("address"):
        process.wait(timeout=10)
        raise AssertionError(f"the server exited ({process.returncode}) before logging its address")
    # Keep draining the log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
    return process, fields


def stop(process, data_dir, timeout=20):
    """SIGTERM (the server ends open streams and finishes calls in flight), then removes `data_dir`,
    which holds the server's keys. A server still running `timeout` seconds later is killed and
    reported: not stopping on SIGTERM is a bug of the server's."""
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError(f"the server did not stop within {timeout} s of SIGTERM") from None
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
