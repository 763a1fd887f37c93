"""The framework image tags the server resolves by default, derived from what the registry holds.

A create request without `inference_framework_image_tag` carries "latest"
(common/dtos/llms/model_endpoints.py, CreateLLMModelEndpointArgs), which the server swaps for
the framework's entry in the ConfigMap model-engine-inference-framework-latest-config
(llm_model_endpoint_use_cases.py, `_get_latest_tag`; batch completions read `vllm_batch` and
`vllm_batch_v2` the same way) and then checks in the registry. The chart's pre-install hook
writes that ConfigMap from `inferenceFramework` and puts "latest" in every key it is not given,
a tag no registry here holds: the create is refused with DockerImageNotFound.

So each key is derived from the tags the stack provides: the ones the platform warms before
the chart installs (contract Registry.warmed_tags, e.g. aws.registry.upstream.warm) and the
ones the operator has put there (inferenceImageTags); the first tag listed per repository is
the default. vLLM is the framework a create defaults to (CreateVLLMModelEndpointRequest), so a
stack with GPU pools and no vLLM tag is refused; any other framework without a tag keeps the
chart's "latest" and the capability table says it is unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from components.contract import PlatformFacts
from components.model_engine import chart_facts as cf
from components.settings import StackSettings

# inferenceFramework key -> the chart launch key of the repository its tag must be in.
FRAMEWORK_REPOSITORIES: Mapping[str, str] = {
    "vllm": "vllm_repository",
    "text_generation_inference": "tgi_repository",
    "lightllm": "lightllm_repository",
    "tensorrt_llm": "tensorrt_llm_repository",
    # Batch completions v1 and v2 run the batch vLLM image.
    "vllm_batch": cf.CACHER_LATEST_TAG_REPOSITORY,
    "vllm_batch_v2": cf.CACHER_LATEST_TAG_REPOSITORY,
}
# Not derived: `deepspeed` reads a repository (instant-llm) the chart has no key for, and
# SGLang has no key in the ConfigMap at all, so an SGLang create must name its tag.

# The framework a create request defaults to.
DEFAULT_FRAMEWORK = "vllm"
# The stack key for tags the operator put in the registry.
OPERATOR_TAGS_KEY = "inferenceImageTags"


def provided_tags(facts: PlatformFacts, settings: StackSettings) -> dict[str, tuple[str, ...]]:
    """Chart repository key -> the tags the registry holds before the chart installs: the
    platform's warmed tags first, then the operator's, each once."""
    merged: dict[str, tuple[str, ...]] = {}
    sources: Sequence[Mapping[str, Sequence[str]]] = (
        facts.registry.warmed_tags,
        settings.inference_image_tags,
    )
    for source in sources:
        for repository, tags in source.items():
            known = merged.get(repository, ())
            merged[repository] = known + tuple(t for t in tags if t not in known)
    return merged


def inference_framework(provided: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The chart's `inferenceFramework`: for each framework whose repository holds a tag, the
    first one. Frameworks without one are left out (the chart writes "latest" for them)."""
    return {
        framework: provided[repository][0]
        for framework, repository in FRAMEWORK_REPOSITORIES.items()
        if provided.get(repository)
    }


def tag_keys(facts: PlatformFacts, repository: str) -> str:
    """The stack keys that can list a tag of `repository`."""
    keys = [f"{OPERATOR_TAGS_KEY}.{repository}"]
    if facts.registry.warmed_tags_key:
        keys.insert(0, f"{facts.registry.warmed_tags_key}.{repository}")
    return " or ".join(keys)


def problems(facts: PlatformFacts, settings: StackSettings, has_gpu_pools: bool) -> list[str]:
    """A stack whose default framework resolves to a tag nothing provides."""
    if not has_gpu_pools:
        return []  # no LLM endpoint can be created: no tier, no tag to resolve
    repository = FRAMEWORK_REPOSITORIES[DEFAULT_FRAMEWORK]
    if provided_tags(facts, settings).get(repository):
        return []
    return [
        f"{tag_keys(facts, repository)}: no tag of {repository} is in the registry, so a "
        f"{DEFAULT_FRAMEWORK} endpoint created without inference_framework_image_tag resolves "
        "to the chart's 'latest', which the registry does not hold, and is refused; list the "
        "tag(s) your registry holds (or warms), e.g. "
        f'{OPERATOR_TAGS_KEY}: {{{repository}: ["0.10.1"]}}'
    ]
