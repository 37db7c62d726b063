//! The cluster file: namespaces, pods, workloads and users, as YAML. [`ClusterSpec::demo`] is the
//! built-in topology that tests and the app's Demo profile rely on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading a cluster file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read cluster file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The YAML is malformed or has unknown fields.
    #[error("cluster file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    /// The content parses but contradicts itself.
    #[error("cluster file is inconsistent: {0}")]
    Invalid(String),
}

/// A whole cluster: what `testcluster serve --config FILE` reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    /// Namespaces; those named by pods and workloads are added automatically.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Namespace written into every context of the generated kubeconfig.
    #[serde(default = "default_namespace")]
    pub default_namespace: String,
    /// Users; the first becomes the kubeconfig's current context.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub pods: Vec<PodSpec>,
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
    /// Whether the API serves `pods/{name}/ephemeralcontainers` (false: a cluster with the
    /// feature off, where the subresource is a 404 with no details).
    #[serde(default = "yes")]
    pub ephemeral_containers: bool,
    /// Namespaces whose Pod Security admission warns at the `baseline` level (as the label
    /// `pod-security.kubernetes.io/warn: baseline`): a pod created, or given an ephemeral
    /// container, that breaks it is admitted, with a `Warning` header saying why.
    #[serde(default)]
    pub pod_security_warn: Vec<String>,
    /// Bytes of output each container incarnation keeps (default `logs::LOG_CAP`): a benchmark
    /// sets more to read a long log whole, as a kubelet with a larger `containerLogMaxSize`.
    #[serde(default)]
    pub log_cap_bytes: Option<usize>,
}

fn default_namespace() -> String {
    "default".into()
}

/// How a user proves who it is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AuthKind {
    /// `Authorization: Bearer <token>`.
    Token,
    /// A TLS client certificate signed by the cluster CA (CN = user, O = groups).
    ClientCertificate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    pub name: String,
    pub auth: AuthKind,
    /// A fixed token (token users); a random one is generated when absent.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// What the user may do; nothing when empty.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One authorization rule: every combination of the listed namespaces, verbs and resources is
/// allowed. `*` matches anything; `pods` does not match the subresource `pods/exec`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub namespaces: Vec<String>,
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum Phase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub owner: Option<OwnerRef>,
    #[serde(default)]
    pub phase: Phase,
    #[serde(default = "yes")]
    pub ready: bool,
    /// How long ago the pod was created, in seconds, at server start (or when applied).
    #[serde(default = "default_age")]
    pub age_seconds: u64,
    pub containers: Vec<ContainerSpec>,
}

fn yes() -> bool {
    true
}

fn default_age() -> u64 {
    3600
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerSpec {
    pub name: String,
    #[serde(default = "default_image")]
    pub image: String,
    /// The container's main process, started with the pod (what `attach` joins). Empty: a
    /// silent main process that never exits.
    #[serde(default)]
    pub command: Vec<String>,
    /// Run the main process under a PTY.
    #[serde(default)]
    pub tty: bool,
    /// Whether the image has a shell: without one, `sh`, `bash` and friends are not on its PATH.
    #[serde(default = "yes")]
    pub shell: bool,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory; a fresh directory per container when absent.
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// The image's tools: the container's PATH (default: the host's with a shell, a few tools
    /// without). Tests give a container an image without tar, or with a tar of their own.
    #[serde(default)]
    pub path: Option<String>,
}

fn default_image() -> String {
    "testcluster.local/busybox:1.36".into()
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    /// batch/v1 (no controller runs: its pods are the cluster file's, owned by it).
    Job,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
        }
    }

    /// The REST resource name (`deployments`, ...).
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::ReplicaSet => "replicasets",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
            WorkloadKind::Job => "jobs",
        }
    }

    /// The API group (`apps`, `batch`).
    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Job => "batch",
            _ => "apps",
        }
    }

    /// The kind's `apiVersion`.
    pub fn api_version(self) -> &'static str {
        match self {
            WorkloadKind::Job => "batch/v1",
            _ => "apps/v1",
        }
    }

    /// The kind of `resource` in API group `group`.
    pub fn from_resource(group: &str, resource: &str) -> Option<Self> {
        [
            WorkloadKind::Deployment,
            WorkloadKind::ReplicaSet,
            WorkloadKind::StatefulSet,
            WorkloadKind::DaemonSet,
            WorkloadKind::Job,
        ]
        .into_iter()
        .find(|k| k.resource() == resource && k.group() == group)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadSpec {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// `spec.selector.matchLabels`.
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub owner: Option<OwnerRef>,
    #[serde(default = "one")]
    pub replicas: u32,
    #[serde(default = "default_age")]
    pub age_seconds: u64,
}

fn one() -> u32 {
    1
}

impl ClusterSpec {
    /// Reads and checks a cluster file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let spec: ClusterSpec =
            serde_yaml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source,
            })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks names are unique and references resolve.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.pods {
            if !seen.insert((p.namespace.clone(), p.name.clone())) {
                return Err(ConfigError::Invalid(format!(
                    "pod {}/{} is defined twice",
                    p.namespace, p.name
                )));
            }
            if p.containers.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "pod {}/{} has no containers",
                    p.namespace, p.name
                )));
            }
            let mut names = std::collections::BTreeSet::new();
            for c in &p.containers {
                if !names.insert(c.name.clone()) {
                    return Err(ConfigError::Invalid(format!(
                        "pod {}/{} has two containers named {}",
                        p.namespace, p.name, c.name
                    )));
                }
            }
        }
        let mut users = std::collections::BTreeSet::new();
        for u in &self.users {
            if !users.insert(u.name.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "user {} is defined twice",
                    u.name
                )));
            }
        }
        if self.users.is_empty() {
            return Err(ConfigError::Invalid("at least one user is needed".into()));
        }
        Ok(())
    }

    /// The built-in demo topology (see the README).
    pub fn demo() -> Self {
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let container = |name: &str| ContainerSpec {
            name: name.into(),
            image: default_image(),
            command: vec![],
            tty: false,
            shell: true,
            env: BTreeMap::new(),
            workdir: None,
            path: None,
        };
        let pod = |ns: &str, name: &str, containers: Vec<ContainerSpec>| PodSpec {
            namespace: ns.into(),
            name: name.into(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            owner: None,
            phase: Phase::Running,
            ready: true,
            age_seconds: 3600,
            containers,
        };
        let hash = "6b7f9c8d5";
        let web = |id: &str, age: u64| PodSpec {
            labels: labels(&[("app", "web"), ("pod-template-hash", hash)]),
            owner: Some(OwnerRef {
                kind: "ReplicaSet".into(),
                name: format!("web-{hash}"),
            }),
            age_seconds: age,
            ..pod(
                "demo",
                &format!("web-{hash}-{id}"),
                vec![ContainerSpec {
                    env: labels(&[("APP", "web")]),
                    ..container("web")
                }],
            )
        };
        ClusterSpec {
            namespaces: vec!["default".into(), "demo".into(), "kube-system".into()],
            default_namespace: "demo".into(),
            users: vec![
                UserSpec {
                    name: "demo-admin".into(),
                    auth: AuthKind::Token,
                    token: None,
                    groups: vec!["system:masters".into()],
                    rules: vec![Rule {
                        namespaces: vec!["*".into()],
                        verbs: vec!["*".into()],
                        resources: vec!["*".into()],
                    }],
                },
                UserSpec {
                    name: "viewer".into(),
                    auth: AuthKind::ClientCertificate,
                    token: None,
                    groups: vec!["viewers".into()],
                    rules: vec![Rule {
                        namespaces: vec!["*".into()],
                        verbs: vec!["get".into(), "list".into(), "watch".into()],
                        resources: vec!["pods".into()],
                    }],
                },
            ],
            pods: vec![
                PodSpec {
                    labels: labels(&[("app", "shell")]),
                    ..pod(
                        "demo",
                        "shell",
                        vec![ContainerSpec {
                            command: vec!["sh".into()],
                            tty: true,
                            env: labels(&[("GREETING", "hello from shell")]),
                            ..container("main")
                        }],
                    )
                },
                PodSpec {
                    labels: labels(&[("app", "multi")]),
                    annotations: labels(&[("kubectl.kubernetes.io/default-container", "sidecar")]),
                    ..pod(
                        "demo",
                        "multi",
                        vec![container("app"), container("sidecar")],
                    )
                },
                PodSpec {
                    labels: labels(&[("app", "distroless")]),
                    ..pod(
                        "demo",
                        "distroless",
                        vec![ContainerSpec {
                            image: "testcluster.local/distroless-static:nonroot".into(),
                            shell: false,
                            ..container("app")
                        }],
                    )
                },
                PodSpec {
                    labels: labels(&[("app", "pair")]),
                    ..pod("demo", "pair", vec![container("one"), container("two")])
                },
                web("h2x4k", 7200),
                web("p9m7q", 5400),
                PodSpec {
                    labels: labels(&[("k8s-app", "kube-dns")]),
                    ..pod(
                        "kube-system",
                        "coredns-7db6d8ff4d-4xk2m",
                        vec![container("coredns")],
                    )
                },
            ],
            workloads: vec![
                WorkloadSpec {
                    kind: WorkloadKind::Deployment,
                    namespace: "demo".into(),
                    name: "web".into(),
                    selector: labels(&[("app", "web")]),
                    labels: labels(&[("app", "web")]),
                    owner: None,
                    replicas: 2,
                    age_seconds: 7200,
                },
                WorkloadSpec {
                    kind: WorkloadKind::ReplicaSet,
                    namespace: "demo".into(),
                    name: format!("web-{hash}"),
                    selector: labels(&[("app", "web"), ("pod-template-hash", hash)]),
                    labels: labels(&[("app", "web"), ("pod-template-hash", hash)]),
                    owner: Some(OwnerRef {
                        kind: "Deployment".into(),
                        name: "web".into(),
                    }),
                    replicas: 2,
                    age_seconds: 7200,
                },
            ],
            ephemeral_containers: true,
            pod_security_warn: vec![],
            log_cap_bytes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_round_trips_through_yaml() {
        let demo = ClusterSpec::demo();
        demo.validate().expect("demo is valid");
        let yaml = serde_yaml::to_string(&demo).expect("serialize");
        let back: ClusterSpec = serde_yaml::from_str(&yaml).expect("parse");
        assert_eq!(demo, back);
    }

    #[test]
    fn unknown_fields_and_duplicates_are_rejected() {
        let bad = "users: [{name: a, auth: token}]\npods: []\nbogus: 1\n";
        assert!(serde_yaml::from_str::<ClusterSpec>(bad).is_err());
        let mut dup = ClusterSpec::demo();
        dup.pods.push(dup.pods[0].clone());
        let err = dup.validate().expect_err("duplicate pod");
        assert!(err.to_string().contains("defined twice"), "{err}");
    }

    #[test]
    fn reading_a_missing_file_names_it() {
        let err =
            ClusterSpec::from_file(Path::new("/nonexistent/cluster.yaml")).expect_err("missing");
        assert!(
            err.to_string().contains("/nonexistent/cluster.yaml"),
            "{err}"
        );
    }
}
