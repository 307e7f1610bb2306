"""Deterministic generator of a large synthetic cluster snapshot (one JSON `kind: List`).

Each "app" is a Deployment with its current and previous ReplicaSet, three Pods, a
Service with its Endpoints, two ConfigMaps and the events a real rollout leaves behind.
About 2% of pods are broken (CrashLoopBackOff, ImagePullBackOff, Unschedulable), about 1%
of Services select no pod, and a few nodes are NotReady, so analyzers have work to do.

    python benchmarks/gen_snapshot.py [--objects 100000] [--seed 42] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

GENERATOR_VERSION = 1
OUT_DIR = Path(__file__).resolve().parent / "out"
# Objects per app: 1 Deployment, 2 ReplicaSets, 3 Pods, 1 Service, 1 Endpoints, 2 ConfigMaps, 5+ Events.
_PER_APP = 15
_PODS_PER_APP = 3
_NAMESPACES = 50
_NODES = 60
_NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
_HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_WORDS = (
    "api", "cart", "checkout", "search", "catalog", "billing", "ledger", "auth", "session", "gateway",
    "worker", "indexer", "notifier", "mailer", "ranker", "pricing", "orders", "inventory", "shipping",
    "tracker", "profile", "avatar", "feed", "export", "import", "scheduler", "report", "audit", "metrics",
    "recommender", "cache", "thumbnailer",
)


def default_path(objects: int = 100_000, seed: int = 42) -> Path:
    return OUT_DIR / f"snapshot-{objects}-s{seed}-v{GENERATOR_VERSION}.json"


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rv = 1000

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hash(self, n: int) -> str:
        return "".join(self.rng.choice(_HASH_CHARS) for _ in range(n))

    def resource_version(self) -> str:
        self.rv += self.rng.randint(1, 40)
        return str(self.rv)

    def ts(self, minutes_ago: float) -> str:
        return (_NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def meta(self, name: str, ns: str, minutes_ago: float, labels: dict[str, str] | None = None) -> Obj:
        m: Obj = {
            "creationTimestamp": self.ts(minutes_ago),
            "name": name,
            "namespace": ns,
            "resourceVersion": self.resource_version(),
            "uid": self.uid(),
        }
        if labels:
            m["labels"] = labels
        return m


def _owner(kind: str, api: str, obj: Obj) -> Obj:
    return {
        "apiVersion": api,
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
    }


def _node(g: _Gen, i: int, ready: bool) -> Obj:
    name = f"ip-10-0-{i // 250}-{i % 250 + 4}.ec2.internal"
    beat = g.ts(0.5)
    pressure = [
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ]
    conds: list[Obj] = [
        {"lastHeartbeatTime": beat, "lastTransitionTime": g.ts(9000), "message": msg, "reason": reason,
         "status": "False", "type": t}
        for t, reason, msg in pressure
    ]
    if ready:
        conds.append({"lastHeartbeatTime": beat, "lastTransitionTime": g.ts(8990),
                      "message": "kubelet is posting ready status", "reason": "KubeletReady",
                      "status": "True", "type": "Ready"})
    else:
        conds.append({"lastHeartbeatTime": g.ts(14), "lastTransitionTime": g.ts(13),
                      "message": "Kubelet stopped posting node status.", "reason": "NodeStatusUnknown",
                      "status": "Unknown", "type": "Ready"})
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.kubernetes.io/zone": f"us-east-1{'abc'[i % 3]}",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"creationTimestamp": g.ts(9000), "labels": labels, "name": name,
                     "resourceVersion": g.resource_version(), "uid": g.uid()},
        "spec": {"providerID": f"aws:///us-east-1a/i-0{g.hash(16)}"},
        "status": {
            "addresses": [{"address": f"10.0.{i // 250}.{i % 250 + 4}", "type": "InternalIP"},
                          {"address": name, "type": "Hostname"}],
            "allocatable": {"cpu": "7910m", "ephemeral-storage": "95551679124", "memory": "31482280Ki", "pods": "58"},
            "capacity": {"cpu": "8", "ephemeral-storage": "104845292Ki", "memory": "32496104Ki", "pods": "58"},
            "conditions": conds,
            "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.22",
                         "kernelVersion": "6.1.112-122.189.amzn2023.x86_64", "kubeletVersion": "v1.31.2",
                         "operatingSystem": "linux", "osImage": "Amazon Linux 2023.6.20241031"},
        },
    }


def _container(image: str, cm: str, port: int) -> Obj:
    return {
        "envFrom": [{"configMapRef": {"name": cm}}],
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
                          "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
        "name": "app",
        "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"}],
        "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
                           "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 1},
        "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [{"mountPath": "/etc/app", "name": "config", "readOnly": True}],
    }


def _template(labels: dict[str, str], image: str, cm: str, files_cm: str, port: int) -> Obj:
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [_container(image, cm, port)],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
            "volumes": [{"configMap": {"defaultMode": 420, "name": files_cm}, "name": "config"}],
        },
    }


def _event(g: _Gen, obj: Obj, etype: str, reason: str, message: str, source: str, count: int, age: float) -> Obj:
    m = obj["metadata"]
    first, last = g.ts(age + count * 2), g.ts(age)
    ref: Obj = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": m["name"],
                "namespace": m["namespace"], "resourceVersion": m["resourceVersion"], "uid": m["uid"]}
    if obj["kind"] == "Pod":
        ref["fieldPath"] = "spec.containers{app}"
    return {
        "apiVersion": "v1",
        "count": count,
        "eventTime": None,
        "firstTimestamp": first,
        "involvedObject": ref,
        "kind": "Event",
        "lastTimestamp": last,
        "message": message,
        "metadata": {"creationTimestamp": first, "name": f"{m['name']}.{g.rng.getrandbits(64):x}",
                     "namespace": m["namespace"], "resourceVersion": g.resource_version(), "uid": g.uid()},
        "reason": reason,
        "reportingComponent": source,
        "reportingInstance": "",
        "source": {"component": source},
        "type": etype,
    }


def _app(g: _Gen, ns: str, idx: int, nodes: list[Obj], broken: bool, orphan_service: bool) -> list[Obj]:
    word = _WORDS[idx % len(_WORDS)]
    name = f"{word}-{idx:05d}"
    age = g.rng.uniform(600, 40000)
    port = g.rng.choice((8080, 8000, 9090, 3000))
    labels = {"app": name, "app.kubernetes.io/part-of": ns}
    cm, files_cm = f"{name}-env", f"{name}-files"
    image = f"registry.example.com/{ns}/{word}:v1.{g.rng.randint(0, 30)}.{g.rng.randint(0, 9)}"
    out: list[Obj] = []

    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": g.meta(name, ns, age, dict(labels)) | {"generation": 4,
                                                            "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"progressDeadlineSeconds": 600, "replicas": _PODS_PER_APP, "revisionHistoryLimit": 10,
                 "selector": {"matchLabels": {"app": name}},
                 "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                 "template": _template(dict(labels), image, cm, files_cm, port)},
    }
    out.append(dep)
    rs_list = []
    for rev, (hash_len, replicas) in enumerate(((10, 0), (10, _PODS_PER_APP)), start=1):
        h = g.hash(hash_len)
        rs_labels = {"app": name, "pod-template-hash": h}
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": g.meta(f"{name}-{h}", ns, age - rev * 30, dict(rs_labels)) | {
                "annotations": {"deployment.kubernetes.io/desired-replicas": str(_PODS_PER_APP),
                                "deployment.kubernetes.io/max-replicas": str(_PODS_PER_APP + 1),
                                "deployment.kubernetes.io/revision": str(rev)},
                "generation": 2, "ownerReferences": [_owner("Deployment", "apps/v1", dep)]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels},
                     "template": _template(rs_labels | {"app.kubernetes.io/part-of": ns}, image, cm, files_cm, port)},
            "status": {"observedGeneration": 2, "replicas": replicas},
        }
        rs_list.append(rs)
    out.extend(rs_list)
    rs = rs_list[-1]
    h = rs["metadata"]["labels"]["pod-template-hash"]
    ready_pods = 0
    addresses, not_ready = [], []
    broken_mode = g.rng.choice(("crash", "image", "pending")) if broken else ""
    for p in range(_PODS_PER_APP):
        pod_name = f"{name}-{h}-{g.hash(5)}"
        node = nodes[g.rng.randrange(len(nodes))]
        node_name = node["metadata"]["name"]
        pod_age = age - 60 - p
        pod_labels = {"app": name, "app.kubernetes.io/part-of": ns, "pod-template-hash": h}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": g.meta(pod_name, ns, pod_age, pod_labels) | {
                "generateName": f"{name}-{h}-", "ownerReferences": [_owner("ReplicaSet", "apps/v1", rs)]},
            "spec": _template(pod_labels, image, cm, files_cm, port)["spec"] | {
                "nodeName": node_name, "serviceAccountName": "default", "serviceAccount": "default",
                "tolerations": [
                    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                     "tolerationSeconds": 300},
                    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
                     "tolerationSeconds": 300}]},
        }
        ip = f"10.{g.rng.randint(1, 250)}.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}"
        started = g.ts(pod_age - 0.5)
        sick = bool(broken_mode) and p == 0
        cid = f"containerd://{g.rng.getrandbits(256):064x}"
        if sick and broken_mode == "pending":
            del pod["spec"]["nodeName"]
            pod["status"] = {
                "conditions": [{"lastProbeTime": None, "lastTransitionTime": g.ts(pod_age),
                                "message": f"0/{_NODES} nodes are available: {_NODES} Insufficient memory. "
                                           f"preemption: 0/{_NODES} nodes are available: {_NODES} No preemption "
                                           "victims found for incoming pod.",
                                "reason": "Unschedulable", "status": "False", "type": "PodScheduled"}],
                "phase": "Pending", "qosClass": "Burstable"}
            out.append(pod)
            out.append(_event(g, pod, "Warning", "FailedScheduling",
                              pod["status"]["conditions"][0]["message"], "default-scheduler", 40, 1))
            continue
        if sick:
            restarts = g.rng.randint(5, 200) if broken_mode == "crash" else 0
            if broken_mode == "crash":
                state: Obj = {"waiting": {"message": f"back-off 5m0s restarting failed container=app pod={pod_name}"
                                                     f"_{ns}({pod['metadata']['uid']})",
                                          "reason": "CrashLoopBackOff"}}
                last: Obj = {"terminated": {"containerID": cid, "exitCode": 1, "finishedAt": g.ts(3),
                                            "reason": "Error", "startedAt": g.ts(3.1)}}
                warn = _event(g, pod, "Warning", "BackOff",
                              f"Back-off restarting failed container app in pod {pod_name}_{ns}"
                              f"({pod['metadata']['uid']})", "kubelet", restarts * 4, 2)
            else:
                state = {"waiting": {"message": f'Back-off pulling image "{image}"', "reason": "ImagePullBackOff"}}
                last = {}
                warn = _event(g, pod, "Warning", "Failed",
                              f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull '
                              f'and unpack image "{image}": failed to resolve reference "{image}": '
                              f"{image}: not found", "kubelet", 30, 2)
            cstatus: Obj = {"containerID": cid, "image": image, "imageID": "", "lastState": last, "name": "app",
                            "ready": False, "restartCount": restarts, "started": False, "state": state}
            ready = "False"
            not_ready.append((ip, pod))
        else:
            cstatus = {"containerID": cid, "image": image,
                       "imageID": f"{image.split(':')[0]}@sha256:{g.rng.getrandbits(256):064x}",
                       "lastState": {}, "name": "app", "ready": True, "restartCount": 0, "started": True,
                       "state": {"running": {"startedAt": started}}}
            ready = "True"
            ready_pods += 1
            addresses.append((ip, pod))
            warn = None
        pod["status"] = {
            "conditions": [
                {"lastProbeTime": None, "lastTransitionTime": g.ts(pod_age), "status": "True",
                 "type": "PodReadyToStartContainers"},
                {"lastProbeTime": None, "lastTransitionTime": g.ts(pod_age), "status": "True",
                 "type": "Initialized"},
                {"lastProbeTime": None, "lastTransitionTime": started, "status": ready, "type": "Ready"},
                {"lastProbeTime": None, "lastTransitionTime": started, "status": ready, "type": "ContainersReady"},
                {"lastProbeTime": None, "lastTransitionTime": g.ts(pod_age), "status": "True",
                 "type": "PodScheduled"}],
            "containerStatuses": [cstatus],
            "hostIP": node["status"]["addresses"][0]["address"],
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": g.ts(pod_age),
        }
        out.append(pod)
        out.append(_event(g, pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{pod_name} to {node_name}",
                          "default-scheduler", 1, pod_age))
        if warn is not None:
            out.append(warn)
    dep["status"] = {
        "availableReplicas": ready_pods, "observedGeneration": 4, "readyReplicas": ready_pods,
        "replicas": _PODS_PER_APP, "updatedReplicas": _PODS_PER_APP,
        "conditions": [
            {"lastTransitionTime": g.ts(age), "lastUpdateTime": g.ts(age - 1),
             "message": f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
             "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"},
            {"lastTransitionTime": g.ts(age), "lastUpdateTime": g.ts(age),
             "message": "Deployment has minimum availability." if ready_pods >= 2
             else "Deployment does not have minimum availability.",
             "reason": "MinimumReplicasAvailable" if ready_pods >= 2 else "MinimumReplicasUnavailable",
             "status": "True" if ready_pods >= 2 else "False", "type": "Available"}],
    }
    if ready_pods == 0:
        dep["status"].pop("readyReplicas")
    rs["status"] |= {"availableReplicas": ready_pods, "fullyLabeledReplicas": _PODS_PER_APP,
                     "readyReplicas": ready_pods}
    out.append(_event(g, dep, "Normal", "ScalingReplicaSet",
                      f"Scaled up replica set {rs['metadata']['name']} from 0 to {_PODS_PER_APP}",
                      "deployment-controller", 1, age - 60))
    out.append(_event(g, rs, "Normal", "SuccessfulCreate", f"Created pod: {pod_name}", "replicaset-controller",
                      1, age - 60))

    selector = {"app": name + "-svc"} if orphan_service else {"app": name}
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": g.meta(name, ns, age, dict(labels)),
        "spec": {"clusterIP": f"172.20.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}",
                 "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
                 "selector": selector, "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}},
    }
    svc["spec"]["clusterIPs"] = [svc["spec"]["clusterIP"]]
    ep: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": g.meta(name, ns, age, dict(labels))}
    if not orphan_service and (addresses or not_ready):
        def addr(ip: str, pod: Obj) -> Obj:
            return {"ip": ip, "nodeName": pod["spec"].get("nodeName", ""),
                    "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": ns,
                                  "uid": pod["metadata"]["uid"]}}
        subset: Obj = {"ports": [{"name": "http", "port": port, "protocol": "TCP"}]}
        if addresses:
            subset["addresses"] = [addr(ip, pod) for ip, pod in addresses]
        if not_ready:
            subset["notReadyAddresses"] = [addr(ip, pod) for ip, pod in not_ready]
        ep["subsets"] = [subset]
    out.extend((svc, ep))
    out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": g.meta(cm, ns, age, {"app": name}),
                "data": {"LOG_LEVEL": "info", "PORT": str(port), "UPSTREAM": f"http://{word}.{ns}.svc:80"}})
    out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": g.meta(files_cm, ns, age, {"app": name}),
                "data": {"app.yaml": f"server:\n  port: {port}\nfeatures:\n  cache: true\n  tracing: false\n"}})
    return out


def generate(objects: int = 100_000, seed: int = 42) -> Obj:
    """A `kind: List` with about `objects` items (same seed, same bytes)."""
    g = _Gen(seed)
    namespaces = [f"team-{i:02d}" for i in range(_NAMESPACES)]
    items: list[Obj] = []
    for ns in namespaces:
        items.append({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"creationTimestamp": g.ts(9000), "labels": {"kubernetes.io/metadata.name": ns},
                                   "name": ns, "resourceVersion": g.resource_version(), "uid": g.uid()},
                      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    nodes = [_node(g, i, ready=i % 25 != 7) for i in range(_NODES)]
    items.extend(nodes)
    ready_nodes = [n for n in nodes if n["status"]["conditions"][-1]["status"] == "True"]
    apps = max(1, (objects - len(items)) // _PER_APP)
    for i in range(apps):
        ns = namespaces[i % len(namespaces)]
        broken = g.rng.random() < 0.06  # one pod in three broken -> ~2% of pods
        orphan = g.rng.random() < 0.01
        items.extend(_app(g, ns, i, ready_nodes, broken, orphan))
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def write(path: Path, objects: int = 100_000, seed: int = 42) -> int:
    """Write the snapshot to `path` (atomically); returns the number of objects."""
    doc = generate(objects, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    tmp.replace(path)
    return len(doc["items"])


def ensure(objects: int = 100_000, seed: int = 42) -> Path:
    """The default snapshot path, generated first if absent."""
    path = default_path(objects, seed)
    if not path.exists():
        write(path, objects, seed)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    path = args.out or default_path(args.objects, args.seed)
    n = write(path, args.objects, args.seed)
    print(f"wrote {n} objects to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
