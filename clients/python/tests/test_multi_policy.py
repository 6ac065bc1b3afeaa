"""One evaluation under several policies at once: one verdict per policy, the worst on top."""

from __future__ import annotations

import pytest

from conftest import unique
from provenance_client import DEFAULT_POLICY, Verdict, pb
from provenance_client.errors import InvalidArgument, NotFound

LLAMA_2 = "llama-2-community-license"


def llama_2_outputs() -> pb.dataset_pb2.Source:
    return pb.dataset_pb2.Source(
        kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED,
        model=pb.dataset_pb2.ModelRef(model_id="meta-llama/Llama-2-70b-chat-hf"),
    )


def test_several_policies_answer_one_evaluation_each_under_the_worst_verdict(vendor):
    raw = vendor.register(unique("llama2-traces"), sources=[llama_2_outputs()])
    mix = vendor.register(unique("qwen-sft"), [raw.id])
    for dataset in (raw, mix):
        vendor.attest(dataset.id)

    both = vendor.registry.evaluate(mix.id, policies=[DEFAULT_POLICY, LLAMA_2], target_model="Qwen2.5-7B")
    assert [e.policy_id for e in both.policy_evaluations] == [DEFAULT_POLICY, LLAMA_2]
    assert both.verdict is Verdict.CONTAMINATED
    assert both.closure_size == 2
    deepseek, llama = both.policy_evaluations
    assert deepseek.verdict is Verdict.CLEAN and deepseek.attestation_count == 2
    assert llama.verdict is Verdict.CONTAMINATED
    assert [s.name for s in llama.offenders[0].path] == [mix.name, raw.name]

    every = vendor.registry.evaluate(mix.id, all_policies=True)
    assert DEFAULT_POLICY in [e.policy_id for e in every.policy_evaluations]
    assert len(every.policy_evaluations) >= 8
    # By one policy, the answer is as it always was.
    one = vendor.registry.evaluate(mix.id)
    assert one.verdict is Verdict.CLEAN and one.policy_evaluations == []


def test_bad_policy_lists_name_the_field(vendor):
    dataset = vendor.register(unique("plain"))
    with pytest.raises(InvalidArgument, match=r"policies: must name at most 16"):
        vendor.registry.evaluate(dataset.id, policies=[DEFAULT_POLICY] * 17)
    with pytest.raises(NotFound, match=r"policies\[1\]"):
        vendor.registry.evaluate(dataset.id, policies=[DEFAULT_POLICY, "no-such-policy"])
    with pytest.raises(InvalidArgument, match=r"policies\[1\]: names policy"):
        vendor.registry.evaluate(dataset.id, policies=[LLAMA_2, LLAMA_2])
    with pytest.raises(ValueError):
        vendor.registry.evaluate(dataset.id, policies=[LLAMA_2], all_policies=True)
