"""OpenLineage ingestion, driven by the real `openlineage-python` client over its HTTP transport.

The registry's custom facets are declared the way the OpenLineage spec prescribes for custom
facets (subclasses of the client's DatasetFacet with their own schema URL), and checked against the
JSON Schemas the registry serves, with the `jsonschema` library.
"""

import json
import urllib.request
import uuid

import attr
import jsonschema
import pytest
import requests
from conftest import auth, digest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import dataset_version_dataset, symlinks_dataset
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

PRODUCER = "https://example.org/provenance-registry/tests"
POLICY = "deepseek-r1-anti-distillation"
# Any base works: the registry matches the schema URL by its path, which names the version.
SCHEMAS = "https://registry.example/openlineage/facets/1-0-0/"


@attr.define
class ProvenanceDigestDatasetFacet(DatasetFacet):
    digest: str
    sizeBytes: int | None = attr.field(default=None)  # noqa: N815
    license: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMAS + "ProvenanceDigestDatasetFacet.json#/$defs/ProvenanceDigestDatasetFacet"


@attr.define
class ProvenanceModelGeneratedDatasetFacet(DatasetFacet):
    modelId: str  # noqa: N815
    modelVersion: str | None = attr.field(default=None)  # noqa: N815
    provider: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMAS + "ProvenanceModelGeneratedDatasetFacet.json#/$defs/ProvenanceModelGeneratedDatasetFacet"


def client_for(server, token, retries=0):
    config = HttpConfig(
        url=f"http://{server.address}",
        auth=ApiKeyTokenProvider({"apiKey": token}),
        retry={"total": retries, "read": retries, "connect": retries, "status_forcelist": [], "allowed_methods": ["POST"]},
    )
    return OpenLineageClient(transport=HttpTransport(config))


def output(namespace, name, seed, **facets):
    return OutputDataset(
        namespace=namespace,
        name=name,
        facets={"provenance_digest": ProvenanceDigestDatasetFacet(digest=digest(seed), sizeBytes=len(seed), license="CC-BY-4.0"), **facets},
    )


def r1_output(namespace, name):
    return InputDataset(
        namespace=namespace,
        name=name,
        facets={"provenance_modelGenerated": ProvenanceModelGeneratedDatasetFacet(modelId="deepseek-ai/DeepSeek-R1", provider="DeepSeek API")},
    )


def run_event(job, inputs, outputs, state=RunState.COMPLETE, run_id=None):
    return RunEvent(
        eventType=state,
        eventTime="2026-12-05T10:00:00.000Z",
        run=Run(runId=run_id or str(uuid.uuid4())),
        job=Job(namespace="pipelines", name=job),
        producer=PRODUCER,
        inputs=inputs,
        outputs=outputs,
    )


def pipeline():
    """Three jobs: a crawl cleaned, R1 outputs filtered, both mixed into a training set."""
    clean = run_event("clean", [InputDataset(namespace="https://crawl.example", name="dump-2026-11")], [output("s3://lake", "clean", "clean")])
    synth = run_event("filter", [r1_output("s3://vendor", "r1-answers")], [output("s3://lake", "synthetic", "synthetic")])
    mix = run_event(
        "mix",
        [InputDataset(namespace="s3://lake", name="clean"), InputDataset(namespace="s3://lake", name="synthetic")],
        [output("s3://lake", "train", "train")],
    )
    return clean, synth, mix


def datasets_named(server, pb, name):
    stub = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    answer = stub.ListDatasets(pb.dataset_pb2.ListDatasetsRequest(name=name), metadata=auth(server.admin_token))
    return list(answer.datasets)


def only(server, pb, name):
    found = datasets_named(server, pb, name)
    assert len(found) == 1, found
    return found[0]


def verdict(server, pb, dataset):
    stub = pb.policy_pb2_grpc.PolicyServiceStub(server.channel)
    request = pb.policy_pb2.EvaluateDatasetRequest(dataset_id=dataset.id, policy_id=POLICY)
    return stub.EvaluateDataset(request, metadata=auth(server.admin_token)).verdict


def event_count(server, pb):
    stub = pb.event_pb2_grpc.EventServiceStub(server.channel)
    answer = stub.ListEvents(pb.event_pb2.ListEventsRequest(page_size=1000), metadata=auth(server.operator_token))
    return len(answer.events)


def test_a_pipeline_that_read_r1_output_registers_a_contaminated_training_set(server, pb):
    client = client_for(server, server.admin_token)
    for event in pipeline():
        client.emit(event)

    train = only(server, pb, "s3://lake/train")
    clean = only(server, pb, "s3://lake/clean")
    synthetic = only(server, pb, "s3://lake/synthetic")
    assert train.content_digest == digest("train")
    assert train.license == "CC-BY-4.0" and train.size_bytes == len("train")
    assert [s.dataset_id for s in train.sources] == [clean.id, synthetic.id]
    crawl = clean.sources[0]
    assert crawl.kind == pb.dataset_pb2.SOURCE_KIND_EXTERNAL_DATASET
    assert crawl.uri == "https://crawl.example/dump-2026-11"
    model = synthetic.sources[0]
    assert model.kind == pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED
    assert model.model.model_id == "deepseek-ai/DeepSeek-R1" and model.uri == "s3://vendor/r1-answers"

    assert verdict(server, pb, train) == pb.policy_pb2.VERDICT_CONTAMINATED
    assert verdict(server, pb, synthetic) == pb.policy_pb2.VERDICT_CONTAMINATED
    assert verdict(server, pb, clean) != pb.policy_pb2.VERDICT_CONTAMINATED


def test_a_retried_event_changes_nothing_and_other_states_store_nothing(server, pb):
    client = client_for(server, server.admin_token)
    clean, _, _ = pipeline()
    client.emit(clean)
    before = event_count(server, pb)
    first = only(server, pb, "s3://lake/clean")
    client.emit(clean)
    assert event_count(server, pb) == before
    assert only(server, pb, "s3://lake/clean") == first

    # The same run and output with other bytes is a conflict, refused and stored nowhere.
    changed = run_event("clean", [], [output("s3://lake", "clean", "other bytes")], run_id=clean.run.runId)
    with pytest.raises(requests.HTTPError) as refused:
        client.emit(changed)
    assert refused.value.response.status_code == 409
    assert "outputs[0]" in refused.value.response.json()["message"]

    for state in [RunState.START, RunState.RUNNING, RunState.FAIL, RunState.ABORT, RunState.OTHER]:
        client.emit(run_event("clean", [], [output("s3://lake", f"never-{state.value}", "x")], state=state))
    assert event_count(server, pb) == before
    assert datasets_named(server, pb, "s3://lake/never-START") == []


def test_a_new_run_is_a_new_version_and_a_dataset_version_facet_names_it(server, pb):
    client = client_for(server, server.admin_token)
    client.emit(run_event("clean", [], [output("s3://lake", "clean", "monday")]))
    client.emit(run_event("clean", [], [output("s3://lake", "clean", "tuesday")]))
    versioned = output("s3://lake", "clean", "wednesday", version=dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="w49"))
    client.emit(run_event("clean", [], [versioned]))
    versions = datasets_named(server, pb, "s3://lake/clean")
    assert len(versions) == 3 and versions[2].version == "w49"

    # An input without a version facet is the newest version; with one, exactly that version.
    client.emit(run_event("read-latest", [InputDataset(namespace="s3://lake", name="clean")], [output("s3://lake", "a", "a")]))
    pinned = InputDataset(
        namespace="s3://lake", name="clean", facets={"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=versions[0].version)}
    )
    client.emit(run_event("read-pinned", [pinned], [output("s3://lake", "b", "b")]))
    assert only(server, pb, "s3://lake/a").sources[0].dataset_id == versions[2].id
    assert only(server, pb, "s3://lake/b").sources[0].dataset_id == versions[0].id


def test_a_dataset_known_by_a_table_and_a_file_location_is_one_dataset(server, pb):
    client = client_for(server, server.admin_token)
    table = symlinks_dataset.Identifier(namespace="hive://metastore", name="lake.clean", type="TABLE")
    located = output("s3://lake", "warehouse/clean", "clean", symlinks=symlinks_dataset.SymlinksDatasetFacet(identifiers=[table]))
    client.emit(run_event("clean", [], [located]))
    stored = only(server, pb, "s3://lake/warehouse/clean")

    # A reader that knows only the table name finds the same dataset.
    client.emit(run_event("train", [InputDataset(namespace="hive://metastore", name="lake.clean")], [output("s3://lake", "train", "t")]))
    assert only(server, pb, "s3://lake/train").sources[0].dataset_id == stored.id
    # A writer that names the table first writes a new version of the same registry dataset.
    by_table = OutputDataset(
        namespace="hive://metastore",
        name="lake.clean",
        facets={"provenance_digest": ProvenanceDigestDatasetFacet(digest=digest("clean v2"))},
    )
    client.emit(run_event("clean", [], [by_table]))
    assert len(datasets_named(server, pb, "s3://lake/warehouse/clean")) == 2
    assert datasets_named(server, pb, "hive://metastore/lake.clean") == []


def test_events_out_of_order_converge_in_new_versions(server, pb):
    """An input not registered when its reader's event arrives is an external source naming its URI
    (a stored dataset never changes); when the input's own event registers it, the reader gets a
    new version linking it, and so do the datasets made from the reader."""
    client = client_for(server, server.admin_token)
    clean, synth, mix = pipeline()
    client.emit(mix)
    first = only(server, pb, "s3://lake/train")
    assert [(s.kind, s.uri) for s in first.sources] == [
        (pb.dataset_pb2.SOURCE_KIND_EXTERNAL_DATASET, "s3://lake/clean"),
        (pb.dataset_pb2.SOURCE_KIND_EXTERNAL_DATASET, "s3://lake/synthetic"),
    ]
    client.emit(synth)
    client.emit(clean)
    versions = datasets_named(server, pb, "s3://lake/train")
    assert [v.version for v in versions] == [mix.run.runId, f"{mix.run.runId}+linked.1", f"{mix.run.runId}+linked.2"]
    newest = versions[-1]
    assert [s.dataset_id for s in newest.sources] == [only(server, pb, "s3://lake/clean").id, only(server, pb, "s3://lake/synthetic").id]
    assert newest.content_digest == first.content_digest
    assert verdict(server, pb, newest) == pb.policy_pb2.VERDICT_CONTAMINATED
    assert verdict(server, pb, first) != pb.policy_pb2.VERDICT_CONTAMINATED, "the stored record never changes"

    # Retried events change nothing more.
    before = event_count(server, pb)
    for event in (mix, synth, clean):
        client.emit(event)
    assert event_count(server, pb) == before


def test_a_chain_sent_backwards_links_every_step(server, pb):
    client = client_for(server, server.admin_token)
    a = run_event("a", [r1_output("s3://vendor", "r1")], [output("s3://lake", "a", "a")])
    b = run_event("b", [InputDataset(namespace="s3://lake", name="a")], [output("s3://lake", "b", "b")])
    c = run_event("c", [InputDataset(namespace="s3://lake", name="b")], [output("s3://lake", "c", "c")])
    for event in (c, b, a):
        client.emit(event)
    newest = {name: datasets_named(server, pb, f"s3://lake/{name}")[-1] for name in "abc"}
    assert newest["c"].sources[0].dataset_id == newest["b"].id
    assert newest["b"].sources[0].dataset_id == newest["a"].id
    assert verdict(server, pb, newest["c"]) == pb.policy_pb2.VERDICT_CONTAMINATED


def post(server, body, token=None, content_type="application/json", extra=None):
    headers = {"Content-Type": content_type, **(extra or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(f"http://{server.address}/api/v1/lineage", data=data, headers=headers, timeout=10)


def raw_event(outputs):
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-05T10:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "pipelines", "name": "raw"},
        "inputs": [],
        "outputs": outputs,
    }


def digest_facet(seed, schema=SCHEMAS + "ProvenanceDigestDatasetFacet.json", **extra):
    return {"_producer": PRODUCER, "_schemaURL": schema, "digest": digest(seed), **extra}


def test_bad_events_get_a_4xx_naming_the_problem_and_store_nothing(server, pb):
    stub = pb.organization_pb2_grpc.OrganizationServiceStub(server.channel)
    auditor = stub.CreateAccessToken(
        pb.organization_pb2.CreateAccessTokenRequest(role=pb.organization_pb2.ROLE_AUDITOR, subject="reader"),
        metadata=auth(server.admin_token),
    ).token
    before = event_count(server, pb)
    good = raw_event([{"namespace": "s3://lake", "name": "x", "facets": {"provenance_digest": digest_facet("x")}}])
    cases = [
        ("no token", post(server, good), 401, "missing access token"),
        ("a forged token", post(server, good, token="x.y.z"), 401, ""),
        ("an auditor", post(server, good, token=auditor), 403, ""),
        ("not JSON", post(server, b"{nope", token=server.admin_token), 400, "not valid JSON"),
        ("a wrong content type", post(server, good, token=server.admin_token, content_type="text/plain"), 415, "application/json"),
        ("gzip", post(server, good, token=server.admin_token, extra={"Content-Encoding": "gzip"}), 415, "uncompressed"),
        ("too large", post(server, b"[" + b"0," * 3_000_000 + b"0]", token=server.admin_token), 413, "larger than"),
        ("not an object", post(server, [], token=server.admin_token), 400, "must be a JSON object"),
        ("no eventTime", post(server, {k: v for k, v in good.items() if k != "eventTime"}, token=server.admin_token), 400, "eventTime: is required"),
        ("a bad runId", post(server, {**good, "run": {"runId": "7"}}, token=server.admin_token), 400, "run.runId: must be a UUID"),
        ("a bad eventType", post(server, {**good, "eventType": "DONE"}, token=server.admin_token), 400, "eventType: must be one of"),
        ("outputs not a list", post(server, {**good, "outputs": {}}, token=server.admin_token), 400, "outputs: must be an array"),
        (
            "no digest facet",
            post(server, raw_event([{"namespace": "s3://lake", "name": "x"}]), token=server.admin_token),
            400,
            "outputs[0].facets.provenance_digest: is required",
        ),
        (
            "a malformed digest",
            post(server, raw_event([{"namespace": "s3://lake", "name": "x", "facets": {"provenance_digest": {**digest_facet("x"), "digest": "md5:1"}}}]), token=server.admin_token),
            400,
            "outputs[0].facets.provenance_digest.digest",
        ),
        (
            "an unknown facet version",
            post(
                server,
                raw_event([{"namespace": "s3://lake", "name": "x", "facets": {"provenance_digest": digest_facet("x", schema="https://r.example/openlineage/facets/2-0-0/ProvenanceDigestDatasetFacet.json")}}]),
                token=server.admin_token,
            ),
            400,
            'names version "2-0-0"',
        ),
        (
            "an unknown field in the registry's facet",
            post(server, raw_event([{"namespace": "s3://lake", "name": "x", "facets": {"provenance_digest": digest_facet("x", sha1="abc")}}]), token=server.admin_token),
            400,
            "outputs[0].facets.provenance_digest.sha1: is not a field",
        ),
        (
            "a second output without a digest refuses the first too",
            post(
                server,
                raw_event([{"namespace": "s3://lake", "name": "ok", "facets": {"provenance_digest": digest_facet("ok")}}, {"namespace": "s3://lake", "name": "bad"}]),
                token=server.admin_token,
            ),
            400,
            "outputs[1].facets.provenance_digest",
        ),
    ]
    for case, answer, status, needle in cases:
        assert answer.status_code == status, (case, answer.status_code, answer.text)
        assert answer.headers["Content-Type"].startswith("application/json"), case
        error = answer.json()  # google.rpc.Status
        assert isinstance(error["code"], int), (case, answer.text)
        assert needle in error["message"], (case, answer.text)
    assert event_count(server, pb) == before
    assert datasets_named(server, pb, "s3://lake/ok") == []

    # A wrong path or method is answered as such, not taken for success.
    assert requests.get(f"http://{server.address}/api/v1/lineage", timeout=10).status_code == 405
    assert requests.post(f"http://{server.address}/api/v1/lineages", json=good, timeout=10).status_code == 404
    # The valid event goes in.
    assert post(server, good, token=server.admin_token).status_code == 200


def test_the_served_facet_schemas_accept_what_the_registry_accepts(server):
    for facet, name, valid, invalid in [
        ("ProvenanceDigestDatasetFacet", "provenance_digest", {"digest": digest("x"), "sizeBytes": 1, "license": "MIT"}, {"digest": "md5:1"}),
        ("ProvenanceModelGeneratedDatasetFacet", "provenance_modelGenerated", {"modelId": "deepseek-ai/DeepSeek-R1"}, {"modelVersion": "1"}),
    ]:
        with urllib.request.urlopen(f"http://{server.address}/openlineage/facets/1-0-0/{facet}.json", timeout=10) as answer:
            assert answer.headers["Content-Type"] == "application/schema+json"
            schema = json.load(answer)
        jsonschema.Draft202012Validator.check_schema(schema)
        # The base facet's schema lives at openlineage.io; its fields are checked by the client.
        own = schema["$defs"][facet]["allOf"][1]
        base = {"_producer": PRODUCER, "_schemaURL": SCHEMAS + f"{facet}.json"}
        jsonschema.validate({**base, **valid}, own)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**base, **invalid}, own)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**base, **valid, "unknown": 1}, own)
        assert name in schema["properties"]
