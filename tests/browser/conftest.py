"""Fixtures: the real server and provctl binaries, a certified lineage made with provctl, and
headless Chromium driven through Debian's chromedriver.

Nothing here imports the server's code: the browser sees only what a buyer's browser sees.
Screenshots and printed PDFs go to target/browser-artifacts/ (BROWSER_ARTIFACTS overrides it).

Without Chromium the suite skips with a message, except under CI (`CI` set), where it fails:
a CI run that silently skipped the browser tests would prove nothing.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from server_process import serve, stop  # noqa: E402

TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
SERVER_BIN = pathlib.Path(os.environ.get("PROVENANCE_BIN", TARGET / "debug" / "provenance-registry"))
PROVCTL_BIN = pathlib.Path(os.environ.get("PROVCTL_BIN", TARGET / "debug" / "provctl"))
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
ARTIFACTS = pathlib.Path(os.environ.get("BROWSER_ARTIFACTS", REPO / "target" / "browser-artifacts"))

# A dataset name that would run script if the page did not escape it.
HOSTILE_NAME = "sft-mix <script>alert(\"x\")</script>'"

# The address the registry publishes (`--public-url`): certificates name it, never the address
# the test's client used.
PUBLIC_URL = "https://registry.example"


def require_chromium():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.exists(p) or shutil.which(p))]
    if not missing:
        return
    message = (
        f"Chromium is not installed ({', '.join(missing)} missing): "
        "apt-get install -y chromium chromium-driver"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def digest(seed):
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


class Server:
    """A `provenance-registry serve` process on a free port with its own data directory."""

    def __init__(self):
        for binary in (SERVER_BIN, PROVCTL_BIN):
            if not binary.exists():
                subprocess.run(["cargo", "build", "--bin", binary.name], cwd=REPO, check=True)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="provenance-browser-"))
        out = subprocess.run(
            [str(SERVER_BIN), "--data-dir", str(self.dir), "admin", "create-org", "Acme", "--init"],
            capture_output=True, text=True, check=True,
        ).stdout
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        self.admin_token = fields["admin_token"]
        self.process, self.address = serve(SERVER_BIN, self.dir, ["--public-url", PUBLIC_URL])
        self.url = f"http://{self.address}"

    def provctl(self, *args, check=True):
        env = dict(os.environ, PROVENANCE_URL=self.url, PROVENANCE_TOKEN=self.admin_token)
        result = subprocess.run([str(PROVCTL_BIN), *args], capture_output=True, text=True, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"provctl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def register(self, name, *extra, version="1"):
        return self.provctl(
            "dataset", "register", "-q", "--name", name, "--version", version, "--digest", digest(name), *extra
        ).stdout.strip()

    def attest(self, dataset_id):
        self.provctl(
            "attest", "record", "-q", dataset_id, "--method", "manual-review",
            "--statement", "Reviewed: no model outputs.",
            "--evidence", f"https://example.org/review.pdf={digest('review')}",
        )

    def issue(self, dataset_id, path, *extra):
        out = self.provctl(
            "cert", "issue", dataset_id, "--contract", "MSA-2027-001", "--out", str(path), *extra
        ).stdout
        return next(line.split()[-1] for line in out.splitlines() if line.startswith("id:"))

    def stop(self):
        stop(self.process, self.dir)


@pytest.fixture(scope="session")
def server():
    require_chromium()
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def certified(server):
    """A public crawl, a private cleaned crawl, and a private mix with a hostile name made from it,
    all attested; a certificate of the mix as a token file. Returns (dataset ids, cert id, file)."""
    crawl = server.register("web-crawl", "--public", "--source", "web-crawl=https://example.org/crawl")
    clean = server.register("secret-cleaned-crawl", "--parent", crawl)
    mix = server.register(HOSTILE_NAME, "--parent", clean, "--source", "human")
    for dataset in (crawl, clean, mix):
        server.attest(dataset)
    path = server.dir / "mix.cert.jws"
    certificate = server.issue(mix, path)
    return {"crawl": crawl, "clean": clean, "mix": mix}, certificate, path


def make_driver(javascript):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--disable-gpu", "--window-size=1100,1500", "--hide-scrollbars"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        # Chromium's sandbox refuses to start as root (CI containers); the pages run no script.
        options.add_argument("--no-sandbox")
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # After a form is submitted, look for what the answer shows until it has loaded.
    driver.implicitly_wait(5)
    return driver


@pytest.fixture(scope="session")
def browser(server):
    driver = make_driver(javascript=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def browser_without_javascript(server):
    driver = make_driver(javascript=False)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
