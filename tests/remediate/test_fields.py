from __future__ import annotations

import pytest

from kubesage.remediate import fields
from kubesage.remediate.fields import MISSING

OBJ = {
    "metadata": {"resourceVersion": "7", "annotations": {"a.b/c": "x"}},
    "spec": {"template": {"spec": {"containers": [{"name": "side"}, {"name": "app", "image": "i:1"}]}}},
}


def test_get_follows_keyed_list_items_and_escaped_dots() -> None:
    assert fields.get(OBJ, "spec.template.spec.containers[name=app].image") == "i:1"
    assert fields.get(OBJ, "metadata.annotations.a\\.b/c") == "x"
    assert fields.get(OBJ, "spec.template.spec.containers[name=nope].image") is MISSING
    assert fields.get(OBJ, "spec.replicas") is MISSING


def test_pointer_resolves_list_index_and_escapes() -> None:
    assert (
        fields.pointer(OBJ, "spec.template.spec.containers[name=app].image") == "/spec/template/spec/containers/1/image"
    )
    assert fields.pointer(OBJ, "metadata.annotations.a\\.b/c") == "/metadata/annotations/a.b~1c"
    with pytest.raises(fields.PathError):
        fields.pointer(OBJ, "spec.template.spec.containers[name=nope].image")


def test_json_patch_is_guarded_by_resource_version_and_old_values() -> None:
    ops = fields.json_patch(OBJ, [("spec.template.spec.containers[name=app].image", "i:1", "i:0")], "7")
    assert ops == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
        {"op": "test", "path": "/spec/template/spec/containers/1/image", "value": "i:1"},
        {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "i:0"},
    ]


def test_json_patch_adds_missing_branches_and_removes_absent_originals() -> None:
    path = "spec.template.spec.containers[name=app].resources.limits.memory"
    add = fields.json_patch(OBJ, [(path, MISSING, "1Gi")], "7")
    assert add[1] == {
        "op": "add",
        "path": "/spec/template/spec/containers/1/resources",
        "value": {"limits": {"memory": "1Gi"}},
    }
    after = {
        "metadata": {"resourceVersion": "8"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "1Gi"}}}]}}},
    }
    remove = fields.json_patch(after, [(path, "1Gi", MISSING)], "8")
    assert remove[1:] == [
        {"op": "test", "path": "/spec/template/spec/containers/0/resources/limits/memory", "value": "1Gi"},
        {"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits/memory"},
    ]


def test_apply_body_holds_only_head_and_changed_fields() -> None:
    body = fields.apply_body(
        {"kind": "Deployment"}, [("spec.template.spec.containers[name=app].resources.limits.memory", "1Gi")]
    )
    assert body == {
        "kind": "Deployment",
        "spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "1Gi"}}}]}}},
    }


def test_covered_matches_declared_fields_only() -> None:
    declared = ("spec.template.spec.containers[name=*].resources.limits.memory",)
    assert fields.covered("spec.template.spec.containers[name=app].resources.limits.memory", declared)
    assert not fields.covered("spec.template.spec.containers[name=app].image", declared)
    assert not fields.covered("spec.replicas", declared)
    assert fields.covered("spec.template.spec", ("spec.template",))
    assert not fields.covered("spec", ("spec.template",))


def test_put_removes_and_creates() -> None:
    obj: dict = {"spec": {}}
    fields.put(obj, "spec.template.metadata.annotations.x\\.y", "1")
    assert obj == {"spec": {"template": {"metadata": {"annotations": {"x.y": "1"}}}}}
    fields.put(obj, "spec.template.metadata.annotations.x\\.y", MISSING)
    assert obj == {"spec": {"template": {"metadata": {"annotations": {}}}}}
