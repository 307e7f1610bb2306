"""Every typed action on a broken workload of the real cluster: plan, dry-run, apply, verify.

The controller-manager and kwok really roll the pods; the finding must clear (or, for the
scenario built to fail, the rollback must restore the spec exactly); no healthy object of
the whole cluster may change.
"""

from __future__ import annotations

import pytest
from tests.remediate.conftest import Env
from tests.remediate.realcheck import run_scenario
from tests.remediate.scenarios import SCENARIOS, Scenario

pytestmark = pytest.mark.real


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: s.name)
def test_action_fixes_a_broken_workload(env: Env, sc: Scenario) -> None:
    run = run_scenario(env, sc)
    assert run.problems == []
    assert run.outcome is not None and run.outcome.phase == sc.outcome
    assert run.healthy_changes == []
    assert env.faults.errors == []
