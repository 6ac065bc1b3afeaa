"""`provctl dataset import --croissant`: Croissant metadata made with `mlcroissant` (MLCommons' own
library), validated by it, then imported; the registered digest is the one `provctl digest` gives
for a directory holding the same files. Files that Croissant or the registry refuses are refused
naming the field, and nothing is stored.
"""

import copy
import hashlib
import json
import os
import pathlib
import subprocess
import tempfile

import mlcroissant as mlc
import pytest
from conftest import PROVCTL, REPO, auth


@pytest.fixture(scope="module", autouse=True)
def provctl_binary():
    if not PROVCTL.exists():
        subprocess.run(["cargo", "build", "-p", "provctl"], cwd=REPO, check=True)


def provctl(server, *args, token=None):
    with tempfile.TemporaryDirectory() as config_home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
        env.update(XDG_CONFIG_HOME=config_home, PROVENANCE_URL=f"http://{server.address}")
        if token:
            env["PROVENANCE_TOKEN"] = token
        return subprocess.run([str(PROVCTL), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def files(tmp_path):
    """A dataset directory of two files, one in a subdirectory."""
    root = tmp_path / "reviews"
    (root / "data").mkdir(parents=True)
    (root / "data" / "train.csv").write_bytes(b"text,label\ngood,1\n")
    (root / "README.txt").write_bytes(b"reviews\n")
    return root


def metadata(files):
    """Croissant 1.0 metadata written by mlcroissant, with isBasedOn added (a schema.org property
    mlcroissant's model does not carry)."""
    distribution = []
    for path in sorted(p for p in files.rglob("*") if p.is_file()):
        data = path.read_bytes()
        relative = path.relative_to(files).as_posix()
        distribution.append(
            mlc.FileObject(
                id=relative,
                name=relative,
                content_url=relative,
                encoding_formats=["text/plain"],
                sha256=hashlib.sha256(data).hexdigest(),
                content_size=f"{len(data)} B",
            )
        )
    document = mlc.Metadata(
        name="reviews",
        description="Product reviews.",
        url="https://example.org/reviews",
        version="1.0.0",
        license=["https://creativecommons.org/licenses/by/4.0/"],
        data_collection="Collected from shop pages.",
        data_biases=["English only"],
        distribution=distribution,
    ).to_json()
    document["isBasedOn"] = ["https://example.org/raw-reviews"]
    return document


def write_validated(document, directory):
    path = directory / "metadata.json"
    path.write_text(json.dumps(document))
    mlc.Dataset(jsonld=str(path))  # raises on metadata that does not validate
    return path


def count_datasets(server, pb):
    stub = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    request = pb.dataset_pb2.ListDatasetsRequest(page_size=1000)
    return len(stub.ListDatasets(request, metadata=auth(server.admin_token)).datasets)


def test_a_croissant_file_registers_its_name_version_digest_licence_sources_and_rai_fields(server, pb, files, tmp_path):
    path = write_validated(metadata(files), tmp_path)
    run = provctl(server, "dataset", "import", "--croissant", str(path), "-q", token=server.admin_token)
    assert run.returncode == 0, run.stderr
    dataset_id = run.stdout.strip()
    stub = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    dataset = stub.GetDataset(pb.dataset_pb2.GetDatasetRequest(id=dataset_id), metadata=auth(server.admin_token))
    digest = provctl(server, "digest", "-q", str(files))
    assert digest.returncode == 0, digest.stderr
    assert dataset.content_digest == digest.stdout.strip()
    assert (dataset.name, dataset.version, dataset.license) == ("reviews", "1.0.0", "CC-BY-4.0")
    assert dataset.size_bytes == sum(p.stat().st_size for p in files.rglob("*") if p.is_file())
    assert [(s.kind, s.uri) for s in dataset.sources] == [
        (pb.dataset_pb2.SOURCE_KIND_EXTERNAL_DATASET, "https://example.org/raw-reviews")
    ]
    assert dataset.description.startswith("Product reviews.")
    assert "rai:dataCollection: Collected from shop pages." in dataset.description
    assert "rai:dataBiases: English only" in dataset.description

    again = provctl(server, "dataset", "import", "--croissant", str(path), "-q", token=server.admin_token)
    assert again.returncode == 0 and again.stdout.strip() == dataset_id


def spoiled(document, change):
    document = copy.deepcopy(document)
    change(document)
    return document


def test_files_that_do_not_validate_are_refused_naming_the_field_and_nothing_is_stored(server, pb, files, tmp_path):
    good = metadata(files)
    cases = {
        "conformsTo": lambda d: d.update(conformsTo="http://mlcommons.org/croissant/0.8"),
        "distribution[0].sha256": lambda d: d["distribution"][0].update(sha256="not-hex"),
        "distribution[0].contentSize": lambda d: d["distribution"][0].update(contentSize="1.5 MB"),
        "distribution[1].encodingFormat": lambda d: d["distribution"][1].pop("encodingFormat"),
        "version": lambda d: d.pop("version"),
        "isBasedOn[0]": lambda d: d.update(isBasedOn=["not a url"]),
    }
    before = count_datasets(server, pb)
    for field, change in cases.items():
        path = tmp_path / f"bad-{len(field)}.json"
        path.write_text(json.dumps(spoiled(good, change)))
        run = provctl(server, "dataset", "import", "--croissant", str(path), token=server.admin_token)
        assert run.returncode == 2, (field, run.stderr)
        assert f"{field}:" in run.stderr, (field, run.stderr)
    missing_checksum = spoiled(good, lambda d: d["distribution"][0].pop("sha256"))
    path = tmp_path / "no-checksum.json"
    path.write_text(json.dumps(missing_checksum))
    with pytest.raises(mlc.ValidationError):
        mlc.Dataset(jsonld=str(path))
    run = provctl(server, "dataset", "import", "--croissant", str(path), token=server.admin_token)
    assert run.returncode == 2 and "distribution[0].sha256:" in run.stderr, run.stderr
    assert count_datasets(server, pb) == before
