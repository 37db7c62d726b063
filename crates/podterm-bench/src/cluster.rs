//! What the testcluster's kubeconfig says (server, CA, the admin's token). The cluster itself is
//! podterm-test-support's `Served` (`testcluster serve` as a child process).

use crate::Ctx;
use base64::Engine as _;
use std::path::Path;

/// What a raw client needs from the kubeconfig.
#[derive(Debug, Clone)]
pub struct Access {
    /// `https://HOST:PORT`.
    pub server: String,
    pub ca_pem: String,
    /// The `demo-admin` user's bearer token.
    pub token: String,
}

/// Reads the server, CA and the `demo-admin` token from a testcluster kubeconfig.
pub fn read_access(kubeconfig: &Path) -> Result<Access, String> {
    let text =
        std::fs::read_to_string(kubeconfig).ctx(format!("reading {}", kubeconfig.display()))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).ctx("parsing the kubeconfig")?;
    let cluster = &doc["clusters"][0]["cluster"];
    let server = cluster["server"]
        .as_str()
        .ctx("kubeconfig: clusters[0].cluster.server")?
        .to_string();
    let ca_b64 = cluster["certificate-authority-data"]
        .as_str()
        .ctx("kubeconfig: clusters[0].cluster.certificate-authority-data")?;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_b64.trim())
        .ctx("kubeconfig: certificate-authority-data is not base64")?;
    let ca_pem = String::from_utf8(ca).ctx("kubeconfig: the CA is not PEM text")?;
    let token = doc["users"]
        .as_sequence()
        .ctx("kubeconfig: users")?
        .iter()
        .find(|u| u["name"].as_str() == Some("demo-admin"))
        .and_then(|u| u["user"]["token"].as_str())
        .ctx("kubeconfig: no token for user demo-admin")?
        .to_string();
    Ok(Access {
        server,
        ca_pem,
        token,
    })
}
