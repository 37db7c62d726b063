//! The cluster's one node, `testnode` (this computer, where every container runs): served as
//! `GET /api/v1/nodes` and `GET /api/v1/nodes/{name}` (a Table for `kubectl get nodes`), so
//! that `kubectl debug node/testnode` finds it and places its debugging pod there.

use serde_json::{json, Value};

/// The node every pod is scheduled on.
pub(crate) const NODE: &str = "testnode";

/// The node's kubelet version, as the API server's own.
const KUBELET: &str = "v1.32.0-testcluster";

/// The node as the API server serves it; `created`: when the cluster started.
pub(crate) fn node_json(created: jiff::Timestamp, rv: u64) -> Value {
    let created = created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({
            "type": kind, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": created, "lastTransitionTime": created,
        })
    };
    json!({
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": NODE,
            "uid": "6f1c0a52-7e57-4c1e-8000-000000000001",
            "resourceVersion": rv.to_string(),
            "creationTimestamp": created,
            "labels": {
                "kubernetes.io/hostname": NODE,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {},
        "status": {
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                { "type": "InternalIP", "address": "127.0.0.1" },
                { "type": "Hostname", "address": NODE },
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET,
                "kubeProxyVersion": KUBELET,
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "testcluster://1",
                "osImage": "this computer",
                "kernelVersion": "",
                "machineID": "", "systemUUID": "", "bootID": "",
            },
            "capacity": { "cpu": "2", "memory": "8Gi", "pods": "110" },
            "allocatable": { "cpu": "2", "memory": "8Gi", "pods": "110" },
        },
    })
}

/// `kubectl get nodes`' columns and the node's row.
pub(crate) fn node_row(node: &Value, age: String) -> (Vec<Value>, Value) {
    let col = |name: &str, priority: u8| {
        json!({
            "name": name, "type": "string", "priority": priority, "description": "",
            "format": if name == "Name" { "name" } else { "" },
        })
    };
    let columns = vec![
        col("Name", 0),
        col("Status", 0),
        col("Roles", 0),
        col("Age", 0),
        col("Version", 0),
        col("Internal-IP", 1),
        col("External-IP", 1),
        col("OS-Image", 1),
        col("Kernel-Version", 1),
        col("Container-Runtime", 1),
    ];
    let cells = json!([
        NODE,
        "Ready",
        "control-plane",
        age,
        KUBELET,
        "127.0.0.1",
        "<none>",
        "this computer",
        "",
        "testcluster://1",
    ]);
    (columns, json!({ "cells": cells, "object": node }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_is_ready_and_named_as_pods_place_it() {
        let n = node_json(jiff::Timestamp::UNIX_EPOCH, 7);
        assert_eq!(n["metadata"]["name"], NODE);
        assert_eq!(n["metadata"]["resourceVersion"], "7");
        assert_eq!(n["metadata"]["creationTimestamp"], "1970-01-01T00:00:00Z");
        let ready = n["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
            .map(|c| c["status"].clone());
        assert_eq!(ready, Some(json!("True")));
        let (columns, row) = node_row(&n, "5m".into());
        assert_eq!(columns.len(), row["cells"].as_array().map_or(0, Vec::len));
        assert_eq!(row["cells"][1], "Ready");
    }
}
