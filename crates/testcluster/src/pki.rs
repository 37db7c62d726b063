//! The cluster's certificate authority, its serving certificate, client certificates for
//! certificate users, and the kubeconfig that hands them to clients.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::Path;

/// Errors making certificates or writing the kubeconfig.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot generate certificates: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write kubeconfig {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot encode kubeconfig: {0}")]
    Encode(#[from] serde_yaml::Error),
}

/// A PEM certificate with its PEM private key.
#[derive(Clone)]
pub struct CertKey {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for CertKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertKey").finish_non_exhaustive()
    }
}

/// The CA and everything it signed for one cluster.
pub struct Pki {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub server: CertKey,
    pub server_cert_der: Vec<u8>,
    pub server_key_der: Vec<u8>,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A new CA and a serving certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn generate() -> Result<Self, PkiError> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "testcluster-ca");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
        let ca_pem = issuer.pem();

        let mut params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
            "testcluster".to_string(),
        ])?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "kube-apiserver");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok(Pki {
            ca_pem,
            ca_der: issuer.der().to_vec(),
            server: CertKey {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
            },
            server_cert_der: cert.der().to_vec(),
            server_key_der: key.serialize_der(),
            issuer,
        })
    }

    /// A client certificate: CN = user, O = the first group.
    pub fn client_cert(&self, user: &str, groups: &[String]) -> Result<CertKey, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, user);
        // rcgen keeps one value per attribute type: the first group becomes O.
        if let Some(g) = groups.first() {
            dn.push(DnType::OrganizationName, g.as_str());
        }
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// Credentials of one user as written into the kubeconfig.
pub enum Credential {
    Token(String),
    Certificate(CertKey),
}

/// Writes a kubeconfig with one cluster `testcluster`, one user and one context per entry (named
/// after the user; the first is current), each context defaulting to `namespace`. The file is
/// created with mode 0600, as kubectl does.
pub fn write_kubeconfig(
    path: &Path,
    server: &str,
    ca_pem: &str,
    namespace: &str,
    users: &[(String, Credential)],
) -> Result<(), PkiError> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let user_entries: Vec<serde_yaml::Value> = users
        .iter()
        .map(|(name, cred)| {
            let user = match cred {
                Credential::Token(t) => serde_yaml::to_value(serde_json::json!({ "token": t })),
                Credential::Certificate(ck) => serde_yaml::to_value(serde_json::json!({
                    "client-certificate-data": b64(&ck.cert_pem),
                    "client-key-data": b64(&ck.key_pem),
                })),
            };
            serde_yaml::to_value(serde_json::json!({ "name": name, "user": user.ok() }))
        })
        .collect::<Result<_, _>>()?;
    let contexts: Vec<serde_json::Value> = users
        .iter()
        .map(|(name, _)| {
            serde_json::json!({
                "name": name,
                "context": { "cluster": "testcluster", "user": name, "namespace": namespace },
            })
        })
        .collect();
    let doc = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{
            "name": "testcluster",
            "cluster": { "server": server, "certificate-authority-data": b64(ca_pem) },
        }],
        "contexts": contexts,
        "current-context": users.first().map(|(n, _)| n.as_str()).unwrap_or(""),
    });
    let mut value = serde_yaml::to_value(doc)?;
    if let serde_yaml::Value::Mapping(m) = &mut value {
        m.insert("users".into(), serde_yaml::Value::Sequence(user_entries));
    }
    let text = serde_yaml::to_string(&value)?;
    write_private(path, text.as_bytes()).map_err(|source| PkiError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a file readable by its owner only, atomically (temp file + rename).
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Subject of a client certificate: (CN, [O...]).
pub fn subject_of(der: &[u8]) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())?
        .to_string();
    let orgs = subject
        .iter_organization()
        .filter_map(|a| a.as_str().ok().map(str::to_string))
        .collect();
    Some((cn, orgs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificate_carries_user_and_groups() {
        let pki = Pki::generate().expect("pki");
        let ck = pki
            .client_cert("viewer", &["viewers".into(), "ops".into()])
            .expect("client cert");
        let der = pem_to_der(&ck.cert_pem);
        let (cn, orgs) = subject_of(&der).expect("subject");
        assert_eq!(cn, "viewer");
        assert_eq!(orgs, vec!["viewers".to_string()]);
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }

    fn pem_to_der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64")
    }

    #[test]
    fn kubeconfig_is_private_and_names_every_user() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kc");
        write_kubeconfig(
            &path,
            "https://127.0.0.1:1",
            "CA",
            "demo",
            &[
                ("a".into(), Credential::Token("t0k".into())),
                (
                    "b".into(),
                    Credential::Certificate(CertKey {
                        cert_pem: "C".into(),
                        key_pem: "K".into(),
                    }),
                ),
            ],
        )
        .expect("write");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("current-context: a"), "{text}");
        assert!(text.contains("token: t0k"), "{text}");
        assert!(text.contains("client-key-data"), "{text}");
        assert!(text.contains("namespace: demo"), "{text}");
    }
}
