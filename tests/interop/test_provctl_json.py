"""`provctl --output json` prints each answer as protobuf's own JSON printer does.

For the same answer, fetched with the stubs generated from proto/, `google.protobuf.json_format`
(the proto3 canonical JSON mapping as protobuf implements it) and provctl must print the same
object: lowerCamelCase names, enums by name, 64-bit integers as strings, RFC 3339 times, default
values left out. The fields provctl adds of its own (README, "JSON output") are taken off first and
checked on their own; they are lowerCamelCase too.
"""

import base64
import json
import os
import subprocess
import tempfile

import pytest
from google.protobuf import json_format

from conftest import PROVCTL, REPO, auth, digest

POLICY = "deepseek-r1-anti-distillation"


@pytest.fixture(scope="module", autouse=True)
def provctl_binary():
    if not PROVCTL.exists():
        subprocess.run(["cargo", "build", "-p", "provctl"], cwd=REPO, check=True)


def provctl(server, *args, token=None, code=0):
    """The JSON `provctl --output json ARGS` prints (a list of objects for a stream)."""
    with tempfile.TemporaryDirectory() as config_home:
        # No config file of the machine's user, and the token only when given.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
        env.update(XDG_CONFIG_HOME=config_home, PROVENANCE_URL=f"http://{server.address}")
        if token:
            env["PROVENANCE_TOKEN"] = token
        run = subprocess.run(
            [str(PROVCTL), "--output", "json", *args], capture_output=True, text=True, env=env, timeout=120
        )
    assert run.returncode == code, f"provctl {' '.join(args)}: {run.returncode}\n{run.stderr}"
    try:
        return json.loads(run.stdout)
    except ValueError:
        return [json.loads(line) for line in run.stdout.splitlines()]


def canonical(message):
    """The message as protobuf's JSON printer writes it, by default."""
    return json_format.MessageToDict(message)


def names(value, skip=("claims", "payload")):
    """Every member name in `value`, at any depth, except inside `skip` (JSON that is not the API's)."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield key
            if key not in skip:
                yield from names(member, skip)
    elif isinstance(value, list):
        for item in value:
            yield from names(item, skip)


def without(value, *keys):
    return {k: v for k, v in value.items() if k not in keys}


@pytest.fixture
def certified(server, pb):
    """A chain raw -> mix (mix public, attested, certified) by the stubs; returns the messages."""
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)
    raw = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(
            name="raw", version="1", content_digest=digest("raw"), size_bytes=0,
            sources=[pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_WEB_CRAWL, uri="https://example.org/c")],
        ),
        metadata=admin,
    ).dataset
    mix = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(
            name="mix", version="1", content_digest=digest("mix"), size_bytes=5_000_000_000,
            visibility=pb.common_pb2.VISIBILITY_PUBLIC,
            sources=[
                pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_DATASET, dataset_id=raw.id),
                pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_HUMAN_AUTHORED),
            ],
        ),
        metadata=admin,
    ).dataset
    evidence = [pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))]
    attested = [
        attestations.RecordAttestation(
            pb.attestation_pb2.RecordAttestationRequest(
                dataset_id=d.id, policy_id=POLICY, method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
                evidence=evidence, statement="reviewed",
            ),
            metadata=admin,
        )
        for d in (raw, mix)
    ]
    certificate = certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(dataset_id=mix.id, policy_id=POLICY, contract_reference="MSA-1"),
        metadata=admin,
    )
    certificates.RevokeCertificate(
        pb.certificate_pb2.RevokeCertificateRequest(id=certificate.id, reason="replaced"), metadata=admin
    )
    return raw, mix, attested, certificate


def test_answers_print_as_protobufs_json_printer_prints_them(server, pb, certified):
    raw, mix, attested, certificate = certified
    admin = auth(server.admin_token)
    token = server.admin_token
    orgs = pb.organization_pb2_grpc.OrganizationServiceStub(server.channel)
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    lineage = pb.lineage_pb2_grpc.LineageServiceStub(server.channel)
    policies = pb.policy_pb2_grpc.PolicyServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)

    printed = provctl(server, "org", "get", token=token)
    assert printed == canonical(orgs.GetOrganization(pb.organization_pb2.GetOrganizationRequest(), metadata=admin))

    operator = auth(server.operator_token)
    listed = orgs.ListOrganizations(pb.organization_pb2.ListOrganizationsRequest(), metadata=operator)
    assert listed.organizations, listed
    assert provctl(server, "org", "list", token=server.operator_token) == canonical(listed)
    named = orgs.ListOrganizations(
        pb.organization_pb2.ListOrganizationsRequest(name=listed.organizations[0].name), metadata=operator
    )
    printed = provctl(server, "org", "list", "--name", listed.organizations[0].name, token=server.operator_token)
    assert printed == canonical(named) and len(printed["organizations"]) == 1

    printed = provctl(server, "dataset", "get", mix.id, token=token)
    assert printed == canonical(mix)
    # 64-bit integers as strings, an optional field set to 0 printed, enums by name, no defaults.
    assert printed["sizeBytes"] == "5000000000" and printed["visibility"] == "VISIBILITY_PUBLIC"
    assert provctl(server, "dataset", "get", raw.id, token=token)["sizeBytes"] == "0"
    assert "contaminated" not in printed and "warnings" not in printed
    listed = datasets.ListDatasets(pb.dataset_pb2.ListDatasetsRequest(page_size=100), metadata=admin)
    assert provctl(server, "dataset", "list", "--all", token=token) == canonical(listed)

    walk = lineage.GetLineage(pb.lineage_pb2.GetLineageRequest(dataset_id=mix.id), metadata=admin)
    printed = provctl(server, "lineage", "list", mix.id, token=token)
    assert printed["datasetId"] == mix.id and printed["direction"] == "LINEAGE_DIRECTION_UPSTREAM"
    assert without(printed, "datasetId", "direction") == canonical(walk)
    streamed = provctl(server, "lineage", "stream", mix.id, token=token)
    assert streamed == [canonical(node) for node in walk.nodes]
    assert "depth" not in streamed[0] and streamed[1]["depth"] == 1

    policy = policies.GetPolicy(pb.policy_pb2.GetPolicyRequest(id=POLICY), metadata=admin)
    assert provctl(server, "policy", "get", POLICY, token=token) == canonical(policy)
    every = policies.ListPolicies(pb.policy_pb2.ListPoliciesRequest(), metadata=admin)
    assert provctl(server, "policy", "list", token=token) == canonical(every)
    evaluation = policies.EvaluateDataset(
        pb.policy_pb2.EvaluateDatasetRequest(dataset_id=mix.id, policy_id=POLICY), metadata=admin
    )
    printed = provctl(server, "policy", "evaluate", mix.id, token=token)
    # Each evaluation is stamped with its own time.
    assert printed["evaluateTime"].endswith("Z")
    assert without(printed, "evaluateTime") == without(canonical(evaluation), "evaluateTime")
    assert printed["verdict"] == "VERDICT_CLEAN" and printed["attestationIds"]

    for attestation in attested:
        assert provctl(server, "attest", "get", attestation.id, token=token) == canonical(attestation)
    page = attestations.ListAttestations(
        pb.attestation_pb2.ListAttestationsRequest(dataset_id=mix.id, page_size=100), metadata=admin
    )
    assert provctl(server, "attest", "list", "--dataset", mix.id, "--all", token=token) == canonical(page)

    record = certificates.GetCertificate(pb.certificate_pb2.GetCertificateRequest(id=certificate.id), metadata=admin)
    printed = provctl(server, "cert", "get", certificate.id, token=token)
    assert without(printed, "claims") == canonical(record)
    assert printed["logIndex"] == str(record.log_index)
    assert printed["statusHistory"][-1]["status"] == "CERTIFICATE_STATUS_REVOKED"
    # The claims, decoded, exactly as signed: the token's own names.
    payload = record.token.split(".")[1]
    assert printed["claims"] == json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert printed["claims"]["contract_reference"] == "MSA-1"

    # provctl's own object, whose members named after VerifyCertificateResponse's carry the same
    # names and values as its canonical JSON.
    answer = certificates.VerifyCertificate(pb.certificate_pb2.VerifyCertificateRequest(token=record.token))
    report = provctl(server, "cert", "verify", record.token, code=9)
    for name, value in canonical(answer).items():
        if name == "checks":
            # The report's checks keep `passed` when false, as offline verification prints them.
            assert report[name] == [{"passed": False, **check} for check in value]
        elif name != "claimsJson":
            assert report[name] == value, name
    assert report["valid"] is False and report["status"] == "CERTIFICATE_STATUS_REVOKED"
    assert report["claims"] == json.loads(answer.claims_json)
    assert report["revocationChecked"] is True and report["notChecked"] == []


def test_events_and_the_log_print_as_protobufs_json_printer_prints_them(server, pb, certified):
    admin = auth(server.admin_token)
    token = server.admin_token
    events = pb.event_pb2_grpc.EventServiceStub(server.channel)
    log = pb.log_pb2_grpc.TransparencyLogServiceStub(server.channel)

    page = events.ListEvents(pb.event_pb2.ListEventsRequest(page_size=3), metadata=admin)
    printed = provctl(server, "events", "list", "--page-size", "3", token=token)
    assert printed["nextPageToken"] == page.next_page_token
    for shown, event in zip(printed["events"], page.events, strict=True):
        # `payload`, provctl's own: the payload parsed.
        assert shown.pop("payload") == json.loads(event.payload_json)
        assert shown == canonical(event)
    assert printed["events"][0]["sequence"] == "1" and "prevHash" in printed["events"][0]

    checkpoint = log.GetCheckpoint(pb.log_pb2.GetCheckpointRequest())
    printed = provctl(server, "log", "checkpoint")
    assert printed.pop("rootHashHex") == checkpoint.root_hash.hex()
    assert printed == canonical(checkpoint)
    assert printed["treeSize"] == str(checkpoint.tree_size)

    leaves = log.GetLeaves(pb.log_pb2.GetLeavesRequest(start=0, count=2))
    printed = provctl(server, "log", "leaves", "--start", "0", "--count", "2")
    assert printed.pop("start") == "0"
    for shown, leaf in zip(printed["leaves"], leaves.leaves, strict=True):
        assert shown.pop("eventSequence") == str(leaf.index + 1)
        assert shown.pop("dataHex") == leaf.data.hex()
        assert len(shown.pop("leafHashHex")) == 64
    assert printed == canonical(leaves)
    # Leaf 0's index is a default value: left out, as protobuf's printer leaves it out.
    assert "index" not in printed["leaves"][0] and printed["leaves"][1]["index"] == "1"


def test_every_name_provctl_prints_is_lower_camel_case(server, certified, tmp_path):
    raw, mix, attested, certificate = certified
    token = server.admin_token
    bundle = tmp_path / "mix.bundle.json"
    key = tmp_path / "log.vkey"
    proof = tmp_path / "proof.json"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    issued = provctl(server, "cert", "issue", mix.id, token=token)
    runs = [
        issued,
        provctl(server, "cert", "bundle", issued["id"], "--out", str(bundle), token=token),
        provctl(server, "token", "create", "--role", "auditor", "--subject", "ci", token=token),
        provctl(server, "dataset", "register", "--name", "d", "--version", "1", "--path", str(tmp_path / "data"),
                token=token),
        # The owner's report revokes the certificates resting on the dataset.
        provctl(server, "dataset", "report", raw.id, "--statement", "traces", token=token),
        provctl(server, "cert", "verify", str(bundle), code=9),
        provctl(server, "cert", "verify", str(bundle), "--offline"),
        provctl(server, "lineage", "show", mix.id, token=token),
        provctl(server, "lineage", "show", mix.id, "--format", "dot", token=token),
        provctl(server, "log", "key", "--out", str(key)),
        provctl(server, "log", "monitor", "--key", str(key), "--once"),
        provctl(server, "digest", str(tmp_path / "data"), "--manifest"),
    ]
    # The proof file is a format of its own (snake_case, like bundles): not checked here.
    provctl(server, "log", "prove", "--leaf", "1", "--out", str(proof))
    runs.append(provctl(server, "log", "verify", "--key", str(key), "--inclusion", str(proof)))
    for printed in runs:
        for name in names(printed):
            assert "_" not in name, (name, printed)
