"""Certificates as in-toto Statements in DSSE envelopes, checked with the ecosystem's own libraries:
securesystemslib verifies the envelope's signature with the key from the published JWKS, the in-toto
attestation library validates the Statement, and jsonschema validates the predicate against the
schema the repository publishes. Tampered envelopes are refused by securesystemslib and by the
registry's VerifyCertificate alike."""

import base64
import copy
import hashlib
import json
import pathlib
import urllib.request

import jsonschema
import pytest
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

from conftest import REPO, auth, digest

PREDICATE_TYPE = "https://provenance-registry.dev/attestation/lineage-certificate/v1"
SCHEMA = REPO / "docs" / "in-toto" / "lineage-certificate" / "v1" / "schema.json"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def issued(server, pb):
    """A certificate for a clean, attested dataset, issued for the organisation itself."""
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)
    request = pb.dataset_pb2.RegisterDatasetRequest(
        name="corpus", version="2", content_digest=digest("corpus"), license="cc-by-4.0 OR mit"
    )
    dataset = datasets.RegisterDataset(request, metadata=admin).dataset
    attestations.RecordAttestation(
        pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=dataset.id,
            policy_id="deepseek-r1-anti-distillation",
            method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
            statement="reviewed",
            evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))],
        ),
        metadata=admin,
    )
    certificate = certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(
            dataset_id=dataset.id, policy_id="deepseek-r1-anti-distillation", audience_organization_id=server.org_id
        ),
        metadata=admin,
    )
    return dataset, certificate


def published_keys(server):
    """The registry's certificate keys as securesystemslib keys, from the JWKS over plain HTTP."""
    with urllib.request.urlopen(f"http://{server.address}/.well-known/jwks.json", timeout=10) as response:
        jwks = json.load(response)
    return [
        SSlibKey(jwk["kid"], "ed25519", "ed25519", {"public": b64url_decode(jwk["x"]).hex()})
        for jwk in jwks["keys"]
        if jwk.get("use") == "sig"
    ]


def verify_with_registry(server, pb, presented):
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    return certificates.VerifyCertificate(pb.certificate_pb2.VerifyCertificateRequest(token=presented))


def test_the_envelope_verifies_with_securesystemslib_and_the_statement_with_the_in_toto_rules(server, pb, issued):
    dataset, certificate = issued
    envelope = Envelope.from_dict(json.loads(certificate.dsse_envelope))
    assert envelope.payload_type == "application/vnd.in-toto+json"
    accepted = envelope.verify(published_keys(server), 1)
    assert list(accepted) == [certificate.kid]

    # The Statement, read by the in-toto attestation library's own message type and rules.
    statement_pb = json_format.Parse(envelope.payload, statement_pb2.Statement())
    Statement.copy_from_pb(statement_pb).validate()
    assert statement_pb.type == "https://in-toto.io/Statement/v1"
    assert statement_pb.predicate_type == PREDICATE_TYPE
    assert len(statement_pb.subject) == 1
    subject = statement_pb.subject[0]
    assert subject.name == "Acme/corpus@2"
    assert dict(subject.digest) == {"sha256": dataset.content_digest.removeprefix("sha256:")}

    # The predicate validates against the schema published in the repository, and states the
    # JWS's claims with the log index and the token's SHA-256.
    statement = json.loads(envelope.payload)
    predicate = statement["predicate"]
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(predicate)
    claims = json.loads(b64url_decode(certificate.token.split(".")[1]))
    assert predicate["log_index"] == certificate.log_index
    assert predicate["token_sha256"] == hashlib.sha256(certificate.token.encode()).hexdigest()
    assert {k: v for k, v in predicate.items() if k not in ("log_index", "token_sha256")} == claims
    assert predicate["jti"] == certificate.id and predicate["aud"] == server.org_id

    # And the registry verifies the same envelope, by the same checks as the token.
    by_envelope = verify_with_registry(server, pb, certificate.dsse_envelope)
    by_token = verify_with_registry(server, pb, certificate.token)
    assert by_envelope.valid, by_envelope.checks
    assert [c.name for c in by_envelope.checks] == [c.name for c in by_token.checks]
    assert by_envelope.certificate_id == certificate.id


def test_the_schema_takes_a_predicate_covering_several_policies_and_refuses_what_no_certificate_states(issued):
    """A predicate as a multi-policy certificate's envelope carries it validates; the shapes the
    offline `policies` check refuses, where the schema can say so, do not."""
    _, certificate = issued
    predicate = json.loads(base64.b64decode(json.loads(certificate.dsse_envelope)["payload"]))["predicate"]
    policy = predicate["policy"]
    several = dict(
        predicate,
        verdict="CLEAN",
        target_model="Llama-3.1-Acme-8B",
        purpose="NON_COMPETING",
        policies=[
            dict(policy, kind="PROHIBITION", verdict="CLEAN"),
            {"id": "llama-2-community", "version": "2023-07-18", "clause_sha256": "12" * 32, "kind": "PROHIBITION", "verdict": "EXEMPT"},
            {
                "id": "llama-3.1-community",
                "version": "2024-07-23",
                "clause_sha256": "34" * 32,
                "kind": "NAMING_OBLIGATION",
                "verdict": "CLEAN",
                "obligations": [
                    {"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"},
                    {"kind": "INHERITED_TERMS", "status": "APPLIES"},
                ],
            },
            {
                "id": "openai-terms",
                "version": "2024-10-23",
                "clause_sha256": "56" * 32,
                "kind": "COMPETING_USE_PROHIBITION",
                "verdict": "CLEAN",
                "obligations": [{"kind": "NO_COMPETING_USE", "status": "MET"}],
            },
        ],
    )
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    validator.validate(several)
    validator.validate({k: v for k, v in several.items() if k not in ("policies", "purpose")})

    def edited(edit):
        altered = copy.deepcopy(several)
        edit(altered)
        return altered

    refused = {
        "no policy listed": edited(lambda p: p.update(policies=[])),
        "17 policies": edited(lambda p: p.update(policies=p["policies"] * 4 + p["policies"][:1])),
        "a CONTAMINATED verdict": edited(lambda p: p["policies"][1].update(verdict="CONTAMINATED")),
        "an upper-case digest": edited(lambda p: p["policies"][1].update(clause_sha256="AB" * 32)),
        "an unknown kind": edited(lambda p: p["policies"][1].update(kind="LICENCE")),
        "an UNMET obligation": edited(lambda p: p["policies"][2]["obligations"][0].update(status="UNMET")),
        "an obligation without a status": edited(lambda p: p["policies"][3]["obligations"][0].pop("status")),
        "an entry without a verdict": edited(lambda p: p["policies"][3].pop("verdict")),
        "an unknown purpose": edited(lambda p: p.update(purpose="RESEARCH")),
    }
    for what, predicate in refused.items():
        assert not validator.is_valid(predicate), what


def test_an_issued_certificate_of_two_policies_has_a_predicate_the_schema_takes(server, pb):
    """Llama 3.1 outputs certified under the Llama 3.1 and Llama 2 licences: the envelope's
    predicate lists both policies, the naming obligation met, and validates against the schema."""
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)
    llama_outputs = pb.dataset_pb2.Source(
        kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED,
        model=pb.dataset_pb2.ModelRef(model_id="meta-llama/Llama-3.1-8B-Instruct"),
    )
    request = pb.dataset_pb2.RegisterDatasetRequest(
        name="dialogues", version="1", content_digest=digest("dialogues"), sources=[llama_outputs]
    )
    dataset = datasets.RegisterDataset(request, metadata=admin).dataset
    policies = ["llama-3.1-community-license", "llama-2-community-license"]
    for policy in policies:
        attestations.RecordAttestation(
            pb.attestation_pb2.RecordAttestationRequest(
                dataset_id=dataset.id,
                policy_id=policy,
                method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
                statement="reviewed",
                evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))],
            ),
            metadata=admin,
        )
    certificate = certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(
            dataset_id=dataset.id,
            policies=[pb.policy_pb2.PolicyRef(id=policy) for policy in policies],
            target_model="Llama-3.1-Acme-8B",
        ),
        metadata=admin,
    )
    predicate = json.loads(base64.b64decode(json.loads(certificate.dsse_envelope)["payload"]))["predicate"]
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(predicate)
    assert [(p["id"], p["kind"], p["verdict"]) for p in predicate["policies"]] == [
        (policies[0], "NAMING_OBLIGATION", "CLEAN"),
        (policies[1], "PROHIBITION", "CLEAN"),
    ]
    assert predicate["policies"][0]["obligations"] == [{"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"}]
    assert predicate["policy"]["id"] == policies[0] and predicate["target_model"] == "Llama-3.1-Acme-8B"
    assert verify_with_registry(server, pb, certificate.dsse_envelope).valid


def tampered_envelopes(envelope_json):
    original = json.loads(envelope_json)
    statement = json.loads(base64.b64decode(original["payload"]))

    def with_statement(edit):
        altered_statement = copy.deepcopy(statement)
        edit(altered_statement)
        altered = copy.deepcopy(original)
        altered["payload"] = base64.b64encode(json.dumps(altered_statement).encode()).decode()
        return altered

    def with_envelope(edit):
        altered = copy.deepcopy(original)
        edit(altered)
        return altered

    def flip_signature(e):
        sig = bytearray(base64.b64decode(e["signatures"][0]["sig"]))
        sig[0] ^= 1
        e["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()

    yield "a changed verdict", with_statement(lambda s: s["predicate"].update(verdict="EXEMPT")), "signature"
    yield "another subject digest", with_statement(lambda s: s["subject"][0]["digest"].update(sha256="0" * 64)), "signature"
    yield "a later expiry", with_statement(lambda s: s["predicate"].update(exp=s["predicate"]["exp"] + 86400)), "signature"
    yield "a flipped signature bit", with_envelope(flip_signature), "signature"
    yield "another payload type", with_envelope(lambda e: e.update(payloadType="application/json")), "type"
    yield "an unknown key id", with_envelope(lambda e: e["signatures"][0].update(keyid="someone-else")), "key"


@pytest.mark.parametrize("case", range(6))
def test_tampered_envelopes_are_refused_by_securesystemslib_and_by_verify_certificate(server, pb, issued, case):
    _, certificate = issued
    what, altered, failing_check = list(tampered_envelopes(certificate.dsse_envelope))[case]
    with pytest.raises(VerificationError):
        Envelope.from_dict(copy.deepcopy(altered)).verify(published_keys(server), 1)
    answer = verify_with_registry(server, pb, json.dumps(altered))
    assert not answer.valid, what
    first_failed = next(c for c in answer.checks if not c.passed)
    assert first_failed.name == failing_check, (what, first_failed)
    assert answer.claims_json == "", what


def test_the_licence_is_stored_as_a_normalised_spdx_expression(server, pb, issued):
    dataset, _ = issued
    assert dataset.license == "CC-BY-4.0 OR MIT"
    assert not dataset.license_unparsed
