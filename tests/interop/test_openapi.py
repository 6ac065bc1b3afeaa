"""The HTTP/JSON API from its OpenAPI document, checked by the ecosystem's tools: the document by
`openapi-spec-validator`, the live server against it by `schemathesis` (a bounded number of examples
per operation, a fixed seed), and the README's first walkthrough by a client that
`openapi-python-client` generates from it."""

import importlib
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import pytest
from conftest import REPO, digest
from openapi_spec_validator import validate

DOCUMENT = REPO / "docs" / "openapi.json"
VENV_BIN = pathlib.Path(sys.executable).parent


def served(server):
    with urllib.request.urlopen(f"http://{server.address}/openapi.json", timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/json"
        return json.load(answer)


def test_the_served_document_is_valid_openapi_3_1_and_the_committed_one(server):
    document = served(server)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document == json.loads(DOCUMENT.read_text())
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_schemathesis_finds_no_server_error_and_every_answer_conforms(server):
    # WatchEvents never ends by design: a generic fuzzer cannot wait for it (its NDJSON is tested in
    # tests/api/gateway.rs).
    command = [
        str(VENV_BIN / "schemathesis"),
        "run",
        f"http://{server.address}/openapi.json",
        "--header",
        f"Authorization: Bearer {server.admin_token}",
        "--max-examples",
        "25",
        "--seed",
        "20261205",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
        "--exclude-operation-id",
        "EventService_WatchEvents",
        "--request-timeout",
        "20",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "generated" in result.stdout


@pytest.fixture(scope="module")
def generated_client():
    """The Python client openapi-python-client generates from the committed document."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="openapi-client-"))
    package = out / "provenance_http"
    command = [
        str(VENV_BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(DOCUMENT),
        "--output-path",
        str(package),
        "--meta",
        "none",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    yield importlib.import_module("provenance_http")
    sys.path.remove(str(out))
    shutil.rmtree(out, ignore_errors=True)


def test_the_first_walkthrough_runs_on_a_generated_client(server, generated_client):
    client_module = importlib.import_module("provenance_http.client")
    models = importlib.import_module("provenance_http.models")
    api = "provenance_http.api."

    def call(module, **kwargs):
        answer = importlib.import_module(api + module).sync_detailed(**kwargs)
        assert answer.status_code == 200, (module, answer.status_code, answer.content)
        return answer.parsed

    base = f"http://{server.address}"
    admin = client_module.AuthenticatedClient(base_url=base, token=server.admin_token)

    # 1. The organisation, as its admin sees it.
    organization = call("organization_service.organization_service_get_organization", id=server.org_id, client=admin)
    assert organization.name == "Acme"

    # 2. A registrar token for the pipeline.
    created = call(
        "organization_service.organization_service_create_access_token",
        client=admin,
        body=models.ProvenanceV1CreateAccessTokenRequest(role=models.ProvenanceV1Role.ROLE_REGISTRAR, subject="data-pipeline"),
    )
    registrar = client_module.AuthenticatedClient(base_url=base, token=created.token)

    # 3. Three datasets in a chain.
    def register(name, version, sources, visibility=None):
        body = models.ProvenanceV1RegisterDatasetRequest(name=name, version=version, content_digest=digest(name), sources=sources)
        if visibility is not None:
            body.visibility = visibility
        return call("dataset_service.dataset_service_register_dataset", client=registrar, body=body).dataset

    source = models.ProvenanceV1Source
    kind = models.ProvenanceV1SourceKind
    raw = register("web-crawl", "2026-11", [source(kind=kind.SOURCE_KIND_WEB_CRAWL, uri="https://example.org/crawl")])
    clean = register("web-clean", "1", [source(kind=kind.SOURCE_KIND_DATASET, dataset_id=raw.id)])
    mix = register(
        "sft-mix",
        "1",
        [source(kind=kind.SOURCE_KIND_DATASET, dataset_id=clean.id), source(kind=kind.SOURCE_KIND_HUMAN_AUTHORED)],
        visibility=models.ProvenanceV1Visibility.VISIBILITY_PUBLIC,
    )

    # 4. The lineage both ways, the dataset, and the events.
    direction = models.ProvenanceV1LineageDirection
    upstream = call(
        "lineage_service.lineage_service_get_lineage", client=registrar, dataset_id=mix.id, direction=direction.LINEAGE_DIRECTION_UPSTREAM
    )
    assert {node.dataset.name for node in upstream.nodes} == {"sft-mix", "web-clean", "web-crawl"}
    downstream = call(
        "lineage_service.lineage_service_get_lineage", client=registrar, dataset_id=raw.id, direction=direction.LINEAGE_DIRECTION_DOWNSTREAM
    )
    assert {node.dataset.name for node in downstream.nodes} == {"sft-mix", "web-clean", "web-crawl"}
    read = call("dataset_service.dataset_service_get_dataset", client=registrar, id=mix.id)
    assert read.visibility == models.ProvenanceV1Visibility.VISIBILITY_PUBLIC
    assert [s.dataset_id for s in read.sources if s.dataset_id] == [clean.id]
    events = call("event_service.event_service_list_events", client=registrar)
    assert [e.type_ for e in events.events if e.type_ == "dataset.registered"] == ["dataset.registered"] * 3

    # An error is a google.rpc.Status the client reads as such.
    missing = importlib.import_module(api + "dataset_service.dataset_service_get_dataset").sync_detailed(client=registrar, id="not-an-id")
    assert missing.status_code == 400
    assert missing.parsed.code == 3 and "id" in missing.parsed.message
