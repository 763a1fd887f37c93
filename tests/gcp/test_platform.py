"""The platform as a whole: `protect: false` lets every stateful resource go."""

from __future__ import annotations

from tests.gcp.helpers import BUCKET, REDIS, REPOSITORY, SQL, run_gcp
from tests.helpers import set_path


def test_protect_false_lets_everything_go(config: dict) -> None:
    set_path(config, "protect", False)
    run = run_gcp(config)
    for typ, name in ((SQL, None), (REDIS, None), (BUCKET, None)):
        assert not run.one(typ, name).protect, typ
    assert not run.one(REPOSITORY, "platform-registry-docker").protect
    assert run.one(SQL).inputs["deletionProtection"] is False
    assert run.one("gcp:container/cluster:Cluster").inputs["deletionProtection"] is False
