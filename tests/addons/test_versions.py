"""Every image the program pins exists upstream: each pin names the upstream file that lists
its tag, and every image the example stacks run with a tag the program chose is such a pin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.addons import versions
from plan.simulator import run_program
from tests.conftest import stack_file


def test_every_pinned_image_names_the_upstream_file_that_lists_its_tag() -> None:
    missing = [image for image in versions.pinned_images() if image not in versions.IMAGE_SOURCES]
    assert not missing, f"pins without an upstream source: {missing}"
    for image, source in versions.IMAGE_SOURCES.items():
        assert source.startswith("https://github.com/"), (image, source)


def test_no_source_is_left_for_an_image_nobody_pins() -> None:
    # A source outliving its pin would claim a check nobody made for what runs.
    assert set(versions.IMAGE_SOURCES) == set(versions.pinned_images())


def test_the_distribution_registry_is_the_newest_tag_upstream_lists() -> None:
    # docker-library/official-images library/registry: `Tags: 3.1.1, 3.1, 3, latest`;
    # distribution's release tags stop at v3.1.1 (there is no 3.1.2).
    assert versions.IMAGES["registry"] == "docker.io/library/registry:3.1.1"


def _images(value: Any) -> Iterator[str]:
    """Full image references with a tag anywhere in a resource's inputs."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("image", "imageName") and isinstance(item, str) and ":" in item:
                yield item
            else:
                yield from _images(item)
    elif isinstance(value, list):
        for item in value:
            yield from _images(item)


def test_every_image_the_in_cluster_services_run_is_a_recorded_pin() -> None:
    run = run_program(stack_file("local"), stack="local")
    images = {i for r in run.resources for i in _images(r.inputs)}
    assert images, "the stack runs no pinned image: the walk finds nothing"
    unrecorded = sorted(images - set(versions.IMAGE_SOURCES))
    assert not unrecorded, f"images run without a recorded upstream source: {unrecorded}"
