"""`/metrics` (`--metrics-listen`) read by the Prometheus project's own Python parser while provbench
loads the server: the calls provbench reports are counted, by service, method and status, with their
durations; and no organisation's name or id appears."""

import json
import os
import pathlib
import subprocess
import threading
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from conftest import REPO, Server

PROVBENCH = pathlib.Path(os.environ.get("PROVBENCH_BIN", REPO / "target" / "debug" / "provbench"))


OPENMETRICS = "application/openmetrics-text"


def scrape(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        wanted = OPENMETRICS if accept else "text/plain; version=0.0.4"
        assert answer.headers["Content-Type"].startswith(wanted), answer.headers["Content-Type"]
        return answer.read().decode()


def families(text):
    """The families the parser reads, by name."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def calls(parsed, service, method, status):
    """The `provenance_calls_total` sample of one method and status (gRPC); 0 when not yet counted
    (a family without samples is left out)."""
    family = parsed.get("provenance_calls")
    found = [
        s.value
        for s in (family.samples if family else [])
        if s.name == "provenance_calls_total"
        and s.labels == {"protocol": "grpc", "service": service, "method": method, "status": status}
    ]
    return found[0] if found else 0.0


def test_scraped_during_a_provbench_run_the_calls_are_counted():
    if not PROVBENCH.exists():
        subprocess.run(["cargo", "build", "-p", "provbench"], cwd=REPO, check=True)
    server = Server(extra_args=["--metrics-listen", "127.0.0.1:0"])
    try:
        url = server.fields["metrics"]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics"), url
        bench = subprocess.Popen(
            [
                str(PROVBENCH), "--target", f"http://{server.address}", "--scenarios", "health,register",
                "--duration", "2", "--concurrency", "4", "--output", "json",
            ],
            env={**os.environ, "PROVENANCE_TOKEN": server.admin_token},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Scraped while the load runs: every scrape parses.
        during = []
        stop = threading.Event()

        def keep_scraping():
            while not stop.is_set() and bench.poll() is None:
                during.append(families(scrape(url)))
                stop.wait(0.2)

        scraper = threading.Thread(target=keep_scraping)
        scraper.start()
        out, err = bench.communicate(timeout=300)
        stop.set()
        scraper.join()
        assert bench.returncode == 0, err
        assert during, "no scrape while provbench ran"
        report = {s["scenario"]: s for s in json.loads(out)["scenarios"]}

        text = scrape(url)
        parsed = families(text)
        assert parsed["provenance_calls"].type == "counter"
        health = calls(parsed, "grpc.health.v1.Health", "Check", "OK")
        registered = calls(parsed, "provenance.v1.DatasetService", "RegisterDataset", "OK")
        # provbench counts the calls answered within its window; the server every call.
        assert health >= report["health"]["calls"] > 0, (health, report["health"])
        assert registered >= report["register"]["calls"] > 0, (registered, report["register"])
        # Counters only grow: each scrape during the run saw at most the final count.
        for earlier in during:
            assert calls(earlier, "grpc.health.v1.Health", "Check", "OK") <= health

        durations = parsed["provenance_call_duration_seconds"]
        assert durations.type == "histogram"
        counted = {
            s.labels["method"]: s.value
            for s in durations.samples
            if s.name == "provenance_call_duration_seconds_count" and s.labels["protocol"] == "grpc"
        }
        assert counted["Check"] >= health
        batches = parsed["provenance_group_commit_batch_size"]
        committed = sum(
            s.value for s in batches.samples
            if s.name == "provenance_group_commit_batch_size_sum" and s.labels == {"kind": "registration"}
        )
        assert committed >= registered
        for gauge in ["provenance_event_log_events", "provenance_transparency_log_leaves"]:
            assert parsed[gauge].type == "gauge"
            assert parsed[gauge].samples[0].value >= registered
        assert "provenance_database_pool_connections" in parsed
        assert parsed["provenance_watchers_open"].samples[0].value == 0

        # No organisation's name or id, no token.
        for secret in [server.org_id, "Acme", server.admin_token]:
            assert secret not in text

        # OpenMetrics, to a scraper that asks for it, read by the OpenMetrics parser (which refuses
        # anything out of the standard): the same counts.
        text = scrape(url, accept=f"{OPENMETRICS}; version=1.0.0")
        parsed = {family.name: family for family in openmetrics_families(text)}
        assert calls(parsed, "provenance.v1.DatasetService", "RegisterDataset", "OK") == registered
        assert parsed["provenance_call_duration_seconds"].unit == "seconds"
    finally:
        server.stop()
