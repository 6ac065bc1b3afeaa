"""Lineage exports read back by each standard's own library, on lineages that cross organisations.

- SPDX 3.0.1: the SPDX project's Python bindings (`spdx-python-model`, generated from the SPDX 3.0.1
  SHACL model) read the JSON-LD and write it again, which checks every class, property, type and
  cardinality; the SPDX 3.0.1 JSON Schema (as `lib4sbom` ships it) validates the document; and
  `spdx3-validate` runs too where it can fetch the SPDX model files from spdx.org (set
  SPDX3_VALIDATE_ONLINE=1; this build machine has no route there, and no package registry it can
  reach carries the SHACL model or the JSON-LD context).
- CycloneDX 1.6: `cyclonedx-python-lib`'s strict JSON validator for 1.6.
- PROV-JSON: the `prov` package reads the document and its relations back.

Nothing of another organisation's private datasets may appear in any export.
"""

import importlib.resources
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema
import pytest
from conftest import REPO, auth, digest, run_admin
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from prov.model import ProvAgent, ProvAssociation, ProvDerivation, ProvDocument, ProvEntity, ProvGeneration
from spdx_python_model import v3_0_1 as spdx

FORMATS = {"spdx3": 1, "cyclonedx": 2, "prov": 3}


def register(server, pb, token, name, *, public=False, parents=(), sources=(), license="", description=""):
    request = pb.dataset_pb2.RegisterDatasetRequest(
        name=name,
        version="1",
        content_digest=digest(name),
        license=license,
        description=description,
        visibility=pb.common_pb2.VISIBILITY_PUBLIC if public else pb.common_pb2.VISIBILITY_PRIVATE,
        sources=[pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_DATASET, dataset_id=p.id) for p in parents]
        + list(sources),
    )
    stub = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    return stub.RegisterDataset(request, metadata=auth(token)).dataset


def export(server, pb, token, dataset, fmt, downstream=False):
    stub = pb.lineage_pb2_grpc.LineageServiceStub(server.channel)
    direction = pb.lineage_pb2.LINEAGE_DIRECTION_DOWNSTREAM if downstream else pb.lineage_pb2.LINEAGE_DIRECTION_UPSTREAM
    request = pb.lineage_pb2.ExportLineageRequest(dataset_id=dataset.id, direction=direction, format=FORMATS[fmt])
    answer = stub.ExportLineage(request, metadata=auth(token))
    return answer.media_type, answer.content.decode("utf-8")


@pytest.fixture
def lineage(server, pb):
    """Org B: a private dataset with secrets and a public one made from it; org A (the server's
    first organisation) makes a dataset from the public one with a model's output and a crawl; org
    B makes a private dataset from the public one too."""
    out = run_admin(server.dir, "create-org", "Other")
    other = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)["admin_token"]
    crawl = pb.dataset_pb2.Source(
        kind=pb.dataset_pb2.SOURCE_KIND_WEB_CRAWL, uri="https://crawl.example/2024", license="CC-BY-4.0"
    )
    secret_crawl = pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_WEB_CRAWL, uri="https://secret.example/x")
    model = pb.dataset_pb2.Source(
        kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED,
        model=pb.dataset_pb2.ModelRef(model_id="example/teacher-7b", version="v2", provider="Example"),
    )
    secret = register(server, pb, other, "secret-parent", sources=[secret_crawl], description="secret-description")
    middle = register(server, pb, other, "public-middle", public=True, parents=[secret], license="MIT")
    secret_child = register(server, pb, other, "secret-child", parents=[middle])
    mine = register(server, pb, server.admin_token, "mine", parents=[middle], sources=[model, crawl], license="Apache-2.0")
    return {"mine": mine, "middle": middle, "hidden": [secret, secret_child], "token": server.admin_token}


def walks(server, pb, lineage, fmt):
    yield export(server, pb, lineage["token"], lineage["mine"], fmt)
    yield export(server, pb, lineage["token"], lineage["middle"], fmt, downstream=True)


def assert_nothing_private(text, lineage):
    for hidden in lineage["hidden"]:
        for leak in (hidden.name, hidden.id, hidden.content_digest.removeprefix("sha256:")):
            assert leak not in text
    assert "secret-description" not in text and "https://secret.example/x" not in text
    assert "1 dataset not visible to you" in text


def test_spdx3_exports_are_read_by_the_spdx_bindings(server, pb, lineage):
    for media_type, text in walks(server, pb, lineage, "spdx3"):
        assert media_type == "application/spdx3+json; version=3.0.1"
        objects = spdx.SHACLObjectSet()
        spdx.JSONLDDeserializer().deserialize_data(json.loads(text), objects)
        # Writing checks every required property and cardinality of the model.
        spdx.JSONLDSerializer().write(objects, io.BytesIO())
        packages = {o.name: o for o in objects.foreach_type(spdx.dataset_DatasetPackage)}
        assert "public-middle" in packages and "mine" in packages
        middle = packages["public-middle"]
        assert middle.verifiedUsing[0].hashValue == lineage["middle"].content_digest.removeprefix("sha256:")
        declared = [
            r
            for r in objects.foreach_type(spdx.Relationship)
            if r.relationshipType == spdx.RelationshipType.hasDeclaredLicense and r.from_ is middle
        ]
        assert [r.to[0].simplelicensing_licenseExpression for r in declared] == ["MIT"]
        models = list(objects.foreach_type(spdx.ai_AIPackage))
        assert [m.name for m in models] == ["example/teacher-7b"]
        generates = [r for r in objects.foreach_type(spdx.Relationship) if r.relationshipType == spdx.RelationshipType.generates]
        assert [r.to[0].name for r in generates] == ["mine"]
        assert_nothing_private(text, lineage)


def spdx_3_0_1_json_schema():
    """The SPDX 3.0.1 JSON Schema as `lib4sbom` ships it (generated from the 3.0.1 model by the SPDX
    project's shacl2code, like the one spdx3-validate fetches from spdx.org)."""
    schema = json.loads(importlib.resources.files("lib4sbom").joinpath("schemas/spdx/3.0-schema.json").read_text("utf-8"))
    # The file's name says 3.0; its context says which release it is.
    assert schema["properties"]["@context"]["const"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    return schema


def test_spdx3_exports_validate_against_the_spdx_3_0_1_json_schema(server, pb, lineage):
    validator = jsonschema.Draft202012Validator(spdx_3_0_1_json_schema())
    for _, text in walks(server, pb, lineage, "spdx3"):
        document = json.loads(text)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []
        # The check can fail: a package without its creation information is refused.
        broken = json.loads(text)
        package = next(e for e in broken["@graph"] if e["type"] == "dataset_DatasetPackage")
        del package["creationInfo"]
        assert not validator.is_valid(broken)


@pytest.mark.skipif(
    os.environ.get("SPDX3_VALIDATE_ONLINE") != "1",
    reason="spdx3-validate downloads the SPDX 3.0.1 context, SHACL model and JSON Schema from spdx.org",
)
def test_spdx3_exports_pass_spdx3_validate(server, pb, lineage):
    for _, text in walks(server, pb, lineage, "spdx3"):
        with tempfile.NamedTemporaryFile("w", suffix=".spdx.json", delete=False) as f:
            f.write(text)
        run = subprocess.run(
            [str(pathlib.Path(sys.executable).parent / "spdx3-validate"), "-q", "-j", f.name],
            capture_output=True,
            text=True,
        )
        os.unlink(f.name)
        assert run.returncode == 0, run.stdout + run.stderr


def test_cyclonedx_exports_validate_against_the_1_6_schema(server, pb, lineage):
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for media_type, text in walks(server, pb, lineage, "cyclonedx"):
        assert media_type == "application/vnd.cyclonedx+json; version=1.6"
        error = validator.validate_str(text)
        assert error is None, str(error)
        bom = json.loads(text)
        components = [bom["metadata"]["component"], *bom["components"]]
        kinds = {c["name"]: c["type"] for c in components}
        assert kinds["public-middle"] == "data"
        if "mine" in kinds and kinds.get("example/teacher-7b"):
            assert kinds["example/teacher-7b"] == "machine-learning-model"
        refs = {c["bom-ref"] for c in components}
        for dependency in bom["dependencies"]:
            assert dependency["ref"] in refs and set(dependency["dependsOn"]) <= refs
        assert_nothing_private(text, lineage)
    _, upstream = next(walks(server, pb, lineage, "cyclonedx"))
    root = json.loads(upstream)["metadata"]["component"]
    ancestors = {a["name"]: a for a in root["pedigree"]["ancestors"]}
    assert ancestors["public-middle"]["hashes"][0] == {
        "alg": "SHA-256",
        "content": lineage["middle"].content_digest.removeprefix("sha256:"),
    }
    assert ancestors["example/teacher-7b"]["type"] == "machine-learning-model"


def test_prov_exports_are_read_back_by_the_prov_package(server, pb, lineage):
    for media_type, text in walks(server, pb, lineage, "prov"):
        assert media_type == "application/json"
        document = ProvDocument.deserialize(content=text, format="json")
        entities = {str(e.get_attribute("prov:label").pop()): e for e in document.get_records(ProvEntity) if e.get_attribute("prov:label")}
        assert "public-middle" in entities and "mine" in entities
        derivations = {(str(d.args[0]), str(d.args[1])) for d in document.get_records(ProvDerivation)}
        mine, middle = entities["mine"].identifier, entities["public-middle"].identifier
        assert (str(mine), str(middle)) in derivations
        assert_nothing_private(text, lineage)
    _, upstream = next(walks(server, pb, lineage, "prov"))
    document = ProvDocument.deserialize(content=upstream, format="json")
    agents = list(document.get_records(ProvAgent))
    assert [str(a.get_attribute("prov:label").pop()) for a in agents] == ["example/teacher-7b"]
    assert len(list(document.get_records(ProvGeneration))) == 1
    association = next(iter(document.get_records(ProvAssociation)))
    assert association.args[1] == agents[0].identifier
    # The document survives the library's own round trip.
    assert ProvDocument.deserialize(content=document.serialize(format="json"), format="json") == document


def test_provctl_writes_the_export_byte_for_byte(server, pb, lineage, tmp_path):
    from test_croissant import provctl

    for fmt in FORMATS:
        _, expected = export(server, pb, lineage["token"], lineage["mine"], fmt)
        out = tmp_path / f"lineage.{fmt}.json"
        run = provctl(server, "lineage", "export", lineage["mine"].id, "--format", fmt, "--out", str(out), token=lineage["token"])
        assert run.returncode == 0, run.stderr
        assert out.read_text() == expected
        printed = provctl(server, "lineage", "export", lineage["mine"].id, "--format", fmt, token=lineage["token"])
        assert printed.stdout == expected
    refused = provctl(server, "lineage", "export", lineage["hidden"][0].id, "--format", "prov", token=lineage["token"])
    assert refused.returncode == 3 and lineage["hidden"][0].name not in refused.stdout + refused.stderr
