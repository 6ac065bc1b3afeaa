"""A dataset's lineage, every page fetched, over a graph larger than one page; and its evaluation."""

from __future__ import annotations

import pytest

from conftest import unique
from provenance_client import NotFound, Verdict, pb

SHARDS = 60  # more than the server's default page of 50


@pytest.fixture(scope="module")
def graph(vendor):
    """SHARDS raw shards -> one cleaned dataset per 10 shards -> a mix of the cleaned ones -> an SFT set."""
    shards = [vendor.register(unique("shard")) for _ in range(SHARDS)]
    cleaned = [vendor.register(unique("cleaned"), [s.id for s in shards[i : i + 10]]) for i in range(0, SHARDS, 10)]
    mix = vendor.register(unique("mix"), [c.id for c in cleaned])
    sft = vendor.register(unique("sft"), [mix.id])
    return shards, cleaned, mix, sft


def test_upstream_lineage_pages_through_the_whole_graph(vendor, buyer, graph):
    shards, cleaned, mix, sft = graph
    whole = vendor.registry.lineage(sft.id)
    paged = vendor.registry.lineage(sft.id, page_size=7)  # 10 pages of 7 for 69 nodes
    assert len(whole) == len(paged) == 1 + 1 + len(cleaned) + SHARDS == whole.total_count
    assert paged.dataset_ids == whole.dataset_ids
    assert len(set(paged.dataset_ids)) == len(paged)  # no node twice across page boundaries
    assert whole.hidden_count == 0

    depths = [node.depth for node in paged]
    assert depths == sorted(depths)
    assert paged.nodes[0].dataset.id == sft.id and paged.nodes[0].depth == 0
    by_id = {node.dataset.id: node for node in paged}
    assert by_id[mix.id].depth == 1 and sorted(by_id[mix.id].next_ids) == sorted(c.id for c in cleaned)
    assert {by_id[s.id].depth for s in shards} == {3}
    assert by_id[cleaned[0].id].dataset.parent_ids == [s.id for s in shards[:10]]
    assert by_id[shards[0].id].dataset.name == shards[0].name

    # The same walk as the server's stream.
    request = pb.lineage_pb2.GetLineageRequest(dataset_id=sft.id)
    streamed = list(vendor.registry.stubs.lineage.StreamLineage(request, metadata=vendor.registry.metadata))
    assert [n.dataset.id for n in streamed] == paged.dataset_ids


def test_depth_and_direction(vendor, graph):
    shards, cleaned, mix, sft = graph
    shallow = vendor.registry.lineage(sft.id, max_depth=2, page_size=3)
    assert [n.depth for n in shallow] == [0, 1] + [2] * len(cleaned)
    assert shallow.total_count == len(shallow)

    down = vendor.registry.lineage(shards[0].id, direction="downstream", page_size=1)
    assert down.dataset_ids == [shards[0].id, cleaned[0].id, mix.id, sft.id]
    with pytest.raises(ValueError):
        vendor.registry.lineage(sft.id, direction="sideways")  # type: ignore[arg-type]


def test_the_buyer_sees_public_datasets_and_only_counts_private_ones(vendor, buyer, graph):
    *_, sft = graph
    with pytest.raises(NotFound):
        buyer.lineage(sft.id)  # private to the vendor: exactly as if it did not exist
    release = vendor.register(unique("release"), [sft.id], public=True)
    seen = buyer.lineage(release.id, page_size=1)
    assert seen.dataset_ids == [release.id]
    assert seen.total_count == 1 and seen.hidden_count == 1 + 1 + SHARDS // 10 + SHARDS  # sft, mix, cleaned, shards
    assert seen.nodes[0].hidden_next_count == 1 and seen.nodes[0].next_ids == []
    [source] = buyer.dataset(release.id).sources
    assert source.parent_hidden and source.dataset_id == ""


def test_evaluation_of_the_lineage(vendor, graph):
    shards, cleaned, *_ = graph
    incomplete = vendor.registry.evaluate(cleaned[0].id)
    assert incomplete.verdict is Verdict.INCOMPLETE
    assert incomplete.missing_attestation_count == 11 and incomplete.closure_size == 11
    for dataset in [cleaned[0], *shards[:10]]:
        vendor.attest(dataset.id)
    clean = vendor.registry.evaluate(cleaned[0].id)
    assert clean.verdict is Verdict.CLEAN and len(clean.attestation_ids) == 11

    traces = vendor.register(
        unique("traces"),
        sources=[
            pb.dataset_pb2.Source(
                kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED,
                model=pb.dataset_pb2.ModelRef(model_id="deepseek-ai/DeepSeek-R1"),
            )
        ],
    )
    blend = vendor.register(unique("blend"), [cleaned[0].id, traces.id])
    contaminated = vendor.registry.evaluate(blend.id)
    assert contaminated.verdict is Verdict.CONTAMINATED
    [offender] = contaminated.offenders
    assert offender.kind == "RESTRICTED_MODEL_OUTPUT" and offender.model_id == "deepseek-ai/DeepSeek-R1"
    assert [step.dataset_id for step in offender.path] == [blend.id, traces.id]
    assert vendor.registry.evaluate(blend.id, target_model="DeepSeek-R1-Distill-Qwen-7B").verdict is Verdict.EXEMPT
