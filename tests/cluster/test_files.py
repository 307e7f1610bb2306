"""The file source: single objects, lists, multi-doc, directories, cluster-info dumps, logs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.cluster.files import load_snapshot
from kubesage.cluster.snapshot import secret_keys
from kubesage.errors import SourceError


def _pod(name: str, ns: str = "shop", kind: bool = True) -> dict[str, object]:
    obj: dict[str, object] = {
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]},
        "status": {"phase": "Running"},
    }
    return {"apiVersion": "v1", "kind": "Pod", **obj} if kind else obj


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_single_object(tmp_path: Path) -> None:
    f = _write(tmp_path / "pod.yaml", yaml.safe_dump(_pod("web-1")))
    snap = load_snapshot([f])
    assert snap.count() == 1
    assert snap.get("Pod", "shop", "web-1") is not None
    assert snap.sources == [str(f)]


def test_single_json_object(tmp_path: Path) -> None:
    f = _write(tmp_path / "pod.json", json.dumps(_pod("web-1")))
    assert load_snapshot([f]).get("Pod", "shop", "web-1") is not None


def test_kind_list(tmp_path: Path) -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            _pod("a"),
            _pod("b"),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}},
        ],
    }
    snap = load_snapshot([_write(tmp_path / "all.yaml", yaml.safe_dump(doc))])
    assert sorted(o["metadata"]["name"] for o in snap.objects("Pod")) == ["a", "b"]
    assert snap.get("Service", "shop", "web") is not None


def test_typed_list_gives_items_their_kind_and_marks_empty_lists(tmp_path: Path) -> None:
    doc = {"apiVersion": "v1", "kind": "PodList", "items": [_pod("a", kind=False)]}
    _write(tmp_path / "pods.json", json.dumps(doc))
    _write(tmp_path / "jobs.yaml", yaml.safe_dump({"apiVersion": "batch/v1", "kind": "JobList", "items": []}))
    snap = load_snapshot([tmp_path])
    pod = snap.get("Pod", "shop", "a")
    assert pod is not None and pod["kind"] == "Pod"
    assert snap.has_kind("Job") and snap.objects("Job") == []
    assert not snap.has_kind("Service")


def test_multi_document_yaml(tmp_path: Path) -> None:
    text = yaml.safe_dump_all(
        [_pod("a"), None, _pod("b"), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]
    )
    snap = load_snapshot([_write(tmp_path / "multi.yaml", text)])
    assert len(snap.objects("Pod")) == 2
    assert snap.get("Namespace", "", "shop") is not None


def test_documents_that_are_not_objects_warn(tmp_path: Path) -> None:
    f = _write(tmp_path / "odd.yaml", "---\n- 1\n- 2\n---\nmetadata: {name: x}\n---\n" + yaml.safe_dump(_pod("a")))
    snap = load_snapshot([f])
    assert snap.count() == 1
    assert snap.warnings == [
        f"{f}: document 1 is not a Kubernetes object; skipped",
        f"{f}: document 2 has no kind; skipped",
    ]


def test_directory_recursion_skips_hidden_dirs_and_other_files(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "pod-a.yaml", yaml.safe_dump(_pod("a")))
    _write(tmp_path / "a" / "b" / "c" / "pod-c.yml", yaml.safe_dump(_pod("c")))
    _write(tmp_path / "a" / "pod-j.json", json.dumps(_pod("j")))
    _write(tmp_path / ".git" / "pod-hidden.yaml", yaml.safe_dump(_pod("hidden")))
    _write(tmp_path / "README.md", "# not: [yaml")
    snap = load_snapshot([tmp_path])
    assert sorted(o["metadata"]["name"] for o in snap.objects("Pod")) == ["a", "c", "j"]
    assert snap.warnings == []


def test_several_paths(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.yaml", yaml.safe_dump(_pod("a")))
    b = _write(tmp_path / "sub" / "b.yaml", yaml.safe_dump(_pod("b")))
    snap = load_snapshot([a, b.parent])
    assert len(snap.objects("Pod")) == 2 and snap.sources == [str(a), str(b.parent)]


def test_cluster_info_dump_layout(tmp_path: Path) -> None:
    """`kubectl cluster-info dump --output-directory`: typed JSON lists without item kinds, logs.txt."""
    _write(
        tmp_path / "nodes.json",
        json.dumps(
            {
                "kind": "NodeList",
                "apiVersion": "v1",
                "metadata": {},
                "items": [{"metadata": {"name": "node-1"}, "status": {}}],
            }
        ),
    )
    _write(
        tmp_path / "shop" / "pods.json",
        json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [_pod("web-1", kind=False)]}),
    )
    _write(
        tmp_path / "shop" / "events.json",
        json.dumps(
            {
                "kind": "EventList",
                "apiVersion": "v1",
                "items": [
                    {
                        "metadata": {"name": "e1", "namespace": "shop"},
                        "type": "Warning",
                        "reason": "BackOff",
                        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-1"},
                    }
                ],
            }
        ),
    )
    # Some dumps write lists with no kind at all: the file name says what they hold.
    _write(
        tmp_path / "shop" / "services.json",
        json.dumps({"items": [{"metadata": {"name": "web", "namespace": "shop"}, "spec": {}}]}),
    )
    _write(
        tmp_path / "shop" / "web-1" / "logs.txt",
        (
            "==== START logs for container app of pod shop/web-1 ====\n"
            "line one\nline two\n"
            "==== END logs for container app of pod shop/web-1 ====\n"
            "==== START logs for container sidecar of pod shop/web-1 ====\n"
            "proxy up\n"
            "==== END logs for container sidecar of pod shop/web-1 ====\n"
        ),
    )
    snap = load_snapshot([tmp_path])
    assert snap.get("Node", "", "node-1") is not None
    assert snap.get("Pod", "shop", "web-1") is not None
    assert snap.get("Service", "shop", "web") is not None
    assert [e["reason"] for e in snap.events_for("Pod", "shop", "web-1")] == ["BackOff"]
    assert snap.logs("shop", "web-1", "app") == "line one\nline two"
    assert snap.logs("shop", "web-1", "sidecar") == "proxy up"


def test_logs_layout(tmp_path: Path) -> None:
    _write(tmp_path / "logs" / "shop" / "web-1" / "app.log", "current\n")
    _write(tmp_path / "logs" / "shop" / "web-1" / "app.previous.log", "before the restart\n")
    _write(
        tmp_path / "shop" / "pods.yaml", yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [_pod("web-1")]})
    )
    snap = load_snapshot([tmp_path])
    assert snap.logs("shop", "web-1", "app") == "current\n"
    assert snap.logs("shop", "web-1", "app", previous=True) == "before the restart\n"
    assert snap.log_keys() == [("shop", "web-1", "app", False), ("shop", "web-1", "app", True)]
    assert len(snap.objects("Pod")) == 1


def test_secret_values_are_dropped_on_load(tmp_path: Path) -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "plain"},
    }
    snap = load_snapshot([_write(tmp_path / "s.yaml", yaml.safe_dump(doc))])
    secret = snap.get("Secret", "shop", "db")
    assert secret is not None and "data" not in secret and "stringData" not in secret
    assert secret_keys(secret) == ["password", "token"]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
    with pytest.raises(SourceError) as info:
        load_snapshot([f])
    message = str(info.value)
    assert message.startswith(f"{f}:") and "invalid YAML" in message and "\n" not in message
    line = int(message[len(str(f)) + 1 :].split(":", 1)[0])
    assert line in (4, 5)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "bad.json", '{\n  "kind": "Pod",\n  "metadata": {"name": }\n}\n')
    with pytest.raises(SourceError, match=r"bad\.json:3: invalid JSON: Expecting value$"):
        load_snapshot([f])


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope: no such file or directory$"):
        load_snapshot([tmp_path / "nope"])


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"kind: Pod\n\xff\xfe\n")
    with pytest.raises(SourceError, match=r"bin\.yaml: not UTF-8 text \(byte 10\)$"):
        load_snapshot([f])


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "kind: Pod\nmetadata: {name: x\n", "invalid YAML"),
        ("bad.json", '{"kind": "Pod",,}', "bad.json:1: invalid JSON"),
    ],
)
def test_cli_malformed_file_exits_1_without_traceback(tmp_path: Path, name: str, text: str, expected: str) -> None:
    f = _write(tmp_path / name, text)
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(f)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: {f}") and expected in lines[0]
    assert "Traceback" not in result.output


def _kubectl_json(doc: object) -> str:
    """kubectl's JSON printer: 4-space indent, a newline after each object."""
    return json.dumps(doc, indent=4) + "\n"


def _dump_stream() -> str:
    nodes = {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [{"metadata": {"name": "node-1"}}]}
    pods = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [_pod("web-1", kind=False)]}
    events = {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": []}
    return (
        _kubectl_json(nodes)
        + _kubectl_json(events)
        + _kubectl_json(pods)
        + "==== START logs for container app of pod shop/web-1 ====\n"
        + "starting\nerror: cannot connect to db"  # no trailing newline: END follows on the same line
        + "==== END logs for container app of pod shop/web-1 ====\n"
        + "==== START logs for container sidecar of pod shop/web-1 ====\n"
        + "Request log error: the server rejected our request (get pods web-1)\n"
        + "==== END logs for container sidecar of pod shop/web-1 ====\n"
    )


@pytest.mark.parametrize("name", ["dump.txt", "dump.json", "dump"])
def test_cluster_info_dump_stdout_stream(tmp_path: Path, name: str) -> None:
    """`kubectl cluster-info dump > FILE`: concatenated JSON lists and log sections."""
    f = _write(tmp_path / name, _dump_stream())
    snap = load_snapshot([f])
    assert snap.get("Node", "", "node-1") is not None and snap.get("Pod", "shop", "web-1") is not None
    assert snap.has_kind("Event")
    assert snap.logs("shop", "web-1", "app") == "starting\nerror: cannot connect to db"
    # kubectl's placeholder for logs it could not fetch is not a log.
    assert snap.logs("shop", "web-1", "sidecar") is None
    assert any("could not fetch the logs of 1 container(s) (shop/web-1/sidecar)" in w for w in snap.warnings)


def test_cluster_info_dump_stream_inside_a_directory(tmp_path: Path) -> None:
    _write(tmp_path / "shared" / "dump.txt", _dump_stream())
    _write(tmp_path / "shared" / "notes.txt", "not a dump\n")
    snap = load_snapshot([tmp_path])
    assert snap.get("Pod", "shop", "web-1") is not None


def test_garbage_between_dump_values_names_the_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "dump.txt", '{"kind": "PodList", "items": []}\nhello\n')
    with pytest.raises(SourceError, match=r"dump\.txt:2: invalid JSON: unexpected text between JSON values$"):
        load_snapshot([f])


def test_output_directory_placeholder_logs_are_not_logs(tmp_path: Path) -> None:
    _write(
        tmp_path / "shop" / "pods.json",
        json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [_pod("web-1", kind=False)]}),
    )
    _write(
        tmp_path / "shop" / "web-1" / "logs.txt",
        "==== START logs for container app of pod shop/web-1 ====\n"
        'Create log request error: pods "web-1" not found\n'
        "==== END logs for container app of pod shop/web-1 ====\n",
    )
    snap = load_snapshot([tmp_path])
    assert not snap.has_logs()
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(tmp_path), "-f", "Log", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["problems"] == 0


def test_events_k8s_io_v1_read_like_core_events(tmp_path: Path) -> None:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web-1.1", "namespace": "shop"},
        "regarding": {"kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "uid-web-1"},
        "reason": "FailedScheduling",
        "note": "0/3 nodes are available: 3 Insufficient cpu.",
        "type": "Warning",
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "series": {"count": 7, "lastObservedTime": "2026-01-01T00:05:00.000000Z"},
        "reportingController": "default-scheduler",
    }
    snap = load_snapshot([_write(tmp_path / "ev.yaml", yaml.safe_dump(event))])
    [e] = snap.events_for("Pod", "shop", "web-1")
    assert e["message"] == event["note"] and e["involvedObject"] == event["regarding"]
    assert e["count"] == 7 and e["lastTimestamp"] == "2026-01-01T00:05:00.000000Z"
    assert e["reportingComponent"] == "default-scheduler" and e["note"] == event["note"]
