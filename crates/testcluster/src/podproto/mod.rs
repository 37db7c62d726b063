//! A Pod sent as Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), read into the JSON
//! the same pod would have been sent as. kubectl's typed client creates pods this way
//! (`kubectl debug --copy-to`), and has no JSON fallback.
//!
//! The body is `k8s\0` and a `runtime.Unknown` whose `raw` is the Pod message. Each message type is
//! read with [`schema::MESSAGES`] (made from the API's Go struct tags by
//! `scripts/pod-proto-schema.py`), and a zero value is dropped where Go's JSON would drop it
//! (`omitempty` on a field that is not a pointer). A field the table does not know is an error,
//! never skipped; what the server fills itself (`managedFields`, a new pod's status) is read
//! past. Each field's kind comes from its Go type, not from its struct tag's wire type (a few
//! tags say `bytes` for a number written as a varint: `priority`, `defaultMode`).

// Generated; kept as the script writes it.
#[rustfmt::skip]
mod schema;

use serde_json::{json, Map, Value};

/// One field of a message: its number, JSON name, what it holds.
#[derive(Debug)]
pub struct Field {
    pub number: u32,
    /// Empty for an embedded struct (`inline`).
    pub json: &'static str,
    pub kind: Kind,
    pub repeated: bool,
    /// A zero value is still written in JSON: a Go pointer, or a field without `omitempty`.
    pub keep_zero: bool,
    /// An embedded struct: its fields are its parent's in JSON.
    pub inline: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    Int,
    Bool,
    Msg(&'static str),
    /// `map[string]string`.
    MapStr,
    /// `map[ResourceName]resource.Quantity`.
    MapQuantity,
    /// `resource.Quantity`: JSON's string.
    Quantity,
    /// `metav1.Time`: RFC 3339 in JSON.
    Time,
    /// `intstr.IntOrString`: a number or a string in JSON.
    IntOrString,
    /// Read past and left out (a new pod's status, which the API server ignores).
    Skip,
}

const MAGIC: &[u8] = b"k8s\0";

/// The Pod in a protobuf body, as JSON.
pub fn pod_json(body: &[u8]) -> Result<Value, String> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or("the body does not start with the protobuf magic number")?;
    let mut raw = None;
    let mut kind = String::new();
    for item in Wire::new(envelope) {
        match item? {
            (1, Item::Bytes(type_meta)) => {
                for t in Wire::new(type_meta) {
                    if let (2, Item::Bytes(k)) = t? {
                        kind = text(k)?;
                    }
                }
            }
            (2, Item::Bytes(r)) => raw = Some(r),
            (1 | 2, Item::Varint(_)) => {
                return Err("the envelope's fields have the wrong wire type".into())
            }
            _ => {}
        }
    }
    if !kind.is_empty() && kind != "Pod" {
        return Err(format!("expected a Pod, got a {kind}"));
    }
    let mut pod = message("Pod", raw.unwrap_or_default())?;
    pod.insert("kind".into(), json!("Pod"));
    pod.insert("apiVersion".into(), json!("v1"));
    Ok(Value::Object(pod))
}

/// A `SelfSubjectAccessReview` in a protobuf body (what `kubectl auth can-i` sends): its
/// `spec.resourceAttributes` as JSON (`namespace`, `verb`, `group`, `version`, `resource`,
/// `subresource`, `name`: fields 1 to 7 of `ResourceAttributes`, field 1 of the spec, field 2
/// of the review), or `{}` when it asks about a non-resource URL.
pub fn access_review_json(body: &[u8]) -> Result<Value, String> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or("the body does not start with the protobuf magic number")?;
    let mut raw: &[u8] = &[];
    for item in Wire::new(envelope) {
        if let (2, Item::Bytes(r)) = item? {
            raw = r;
        }
    }
    const NAMES: [&str; 7] = [
        "namespace",
        "verb",
        "group",
        "version",
        "resource",
        "subresource",
        "name",
    ];
    let mut attrs: Option<Map<String, Value>> = None;
    for item in Wire::new(raw) {
        let (2, Item::Bytes(spec)) = item? else {
            continue;
        };
        for s in Wire::new(spec) {
            let (1, Item::Bytes(ra)) = s? else { continue };
            let a = attrs.get_or_insert_with(Map::new);
            for f in Wire::new(ra) {
                if let (n @ 1..=7, Item::Bytes(v)) = f? {
                    a.insert(NAMES[n as usize - 1].to_string(), json!(text(v)?));
                }
            }
        }
    }
    Ok(json!({ "spec": { "resourceAttributes": attrs } }))
}

/// A wire value: a varint, or length-delimited bytes (the other wire types are not used here).
enum Item<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The (field number, value) pairs of a message.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn new(b: &'a [u8]) -> Self {
        Wire(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or("a varint is cut short")?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a varint is too long".into())
    }
}

impl<'a> Iterator for Wire<'a> {
    type Item = Result<(u32, Item<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let item = (|| {
            let key = self.varint()?;
            let number = u32::try_from(key >> 3).map_err(|_| "a field number is too large")?;
            match key & 7 {
                0 => Ok((number, Item::Varint(self.varint()?))),
                2 => {
                    let len =
                        usize::try_from(self.varint()?).map_err(|_| "a length is too large")?;
                    if len > self.0.len() {
                        return Err(format!("field {number} is cut short"));
                    }
                    let (v, rest) = self.0.split_at(len);
                    self.0 = rest;
                    Ok((number, Item::Bytes(v)))
                }
                w => Err(format!("field {number} has wire type {w}, not read here")),
            }
        })();
        if item.is_err() {
            self.0 = &[];
        }
        Some(item)
    }
}

fn text(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
}

fn fields_of(name: &str) -> Result<&'static [Field], String> {
    schema::MESSAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(|| format!("message {name} is not known"))
}

/// The JSON value of one non-repeated occurrence of a field (`None`: a zero Go's JSON drops).
fn value(field: &Field, item: Item<'_>, within: &str) -> Result<Value, String> {
    let wrong = || {
        format!(
            "field {} ({}) of {within} has the wrong wire type",
            field.number, field.json
        )
    };
    Ok(match (field.kind, item) {
        (Kind::Str, Item::Bytes(b)) => json!(text(b)?),
        (Kind::Int, Item::Varint(v)) => json!(v as i64),
        (Kind::Bool, Item::Varint(v)) => json!(v != 0),
        (Kind::Msg(name), Item::Bytes(b)) => Value::Object(message(name, b)?),
        (Kind::Quantity, Item::Bytes(b)) => quantity(b)?,
        (Kind::Time, Item::Bytes(b)) => {
            let mut seconds = 0i64;
            for t in Wire::new(b) {
                if let (1, Item::Varint(s)) = t? {
                    seconds = s as i64;
                }
            }
            if seconds == 0 {
                Value::Null
            } else {
                let t = jiff::Timestamp::from_second(seconds).map_err(|e| e.to_string())?;
                json!(crate::store::ts(t))
            }
        }
        (Kind::IntOrString, Item::Bytes(b)) => {
            let (mut kind, mut int, mut string) = (0, 0i64, String::new());
            for t in Wire::new(b) {
                match t? {
                    (1, Item::Varint(k)) => kind = k,
                    (2, Item::Varint(i)) => int = i64::from(i as i32),
                    (3, Item::Bytes(s)) => string = text(s)?,
                    _ => {}
                }
            }
            if kind == 1 {
                json!(string)
            } else {
                json!(int)
            }
        }
        _ => return Err(wrong()),
    })
}

fn quantity(b: &[u8]) -> Result<Value, String> {
    let mut q = String::new();
    for t in Wire::new(b) {
        if let (1, Item::Bytes(s)) = t? {
            q = text(s)?;
        }
    }
    Ok(json!(q))
}

/// Whether Go's JSON drops this value under `omitempty` (a struct is never dropped).
fn is_zero(v: &Value, kind: Kind) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() && !matches!(kind, Kind::Quantity),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        _ => false,
    }
}

/// One message, as a JSON object.
fn message(name: &str, bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let fields = fields_of(name)?;
    let mut out = Map::new();
    for item in Wire::new(bytes) {
        let (number, item) = item?;
        let field = fields
            .iter()
            .find(|f| f.number == number)
            .ok_or_else(|| format!("field {number} of {name} is not known"))?;
        match (field.kind, item) {
            (Kind::Skip, _) => {}
            (Kind::MapStr | Kind::MapQuantity, Item::Bytes(entry)) => {
                let (mut k, mut v) = (String::new(), json!(""));
                for t in Wire::new(entry) {
                    match t? {
                        (1, Item::Bytes(b)) => k = text(b)?,
                        (2, Item::Bytes(b)) if matches!(field.kind, Kind::MapStr) => {
                            v = json!(text(b)?)
                        }
                        (2, Item::Bytes(b)) => v = quantity(b)?,
                        _ => return Err(format!("a bad map entry in {name}.{}", field.json)),
                    }
                }
                let map = out.entry(field.json).or_insert_with(|| json!({}));
                if let Some(m) = map.as_object_mut() {
                    m.insert(k, v);
                }
            }
            // A packed list of numbers.
            (Kind::Int | Kind::Bool, Item::Bytes(b)) if field.repeated => {
                let mut w = Wire::new(b);
                while !w.0.is_empty() {
                    let n = w.varint()?;
                    let v = value(field, Item::Varint(n), name)?;
                    push(&mut out, field.json, v);
                }
            }
            (_, item) => {
                let v = value(field, item, name)?;
                if field.inline {
                    if let Value::Object(inner) = v {
                        out.extend(inner);
                    }
                } else if field.repeated {
                    push(&mut out, field.json, v);
                } else if !v.is_null()
                    && (field.keep_zero
                        || matches!(field.kind, Kind::Msg(_))
                        || !is_zero(&v, field.kind))
                {
                    out.insert(field.json.to_string(), v);
                }
            }
        }
    }
    Ok(out)
}

fn push(out: &mut Map<String, Value>, key: &str, v: Value) {
    let list = out.entry(key).or_insert_with(|| json!([]));
    if let Some(a) = list.as_array_mut() {
        a.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field's key: its number and wire type.
    fn key(number: u32, wire: u8) -> Vec<u8> {
        varint(u64::from(number) << 3 | u64::from(wire))
    }

    fn varint(mut v: u64) -> Vec<u8> {
        let mut out = vec![];
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes(number: u32, b: &[u8]) -> Vec<u8> {
        let mut out = key(number, 2);
        out.extend(varint(b.len() as u64));
        out.extend(b);
        out
    }

    fn num(number: u32, v: u64) -> Vec<u8> {
        let mut out = key(number, 0);
        out.extend(varint(v));
        out
    }

    /// A pod written as gogo-protobuf writes it: every field that is not a pointer, zero or not.
    #[test]
    fn a_pod_reads_as_its_json_would() {
        let entry = |k: &str, v: &str| [bytes(1, k.as_bytes()), bytes(2, v.as_bytes())].concat();
        let meta = [
            bytes(1, b"copy"),
            bytes(2, b""),
            num(7, 0),
            bytes(8, &[]),
            bytes(11, &entry("app", "web")),
        ]
        .concat();
        let probe = [
            bytes(1, &bytes(1, &bytes(1, b"true"))),
            num(2, 0),
            num(4, 10),
        ]
        .concat();
        let security = [num(5, 0), num(7, 0)].concat(); // runAsNonRoot: false, allowPrivilegeEscalation: false
        let quantity = bytes(1, b"100m");
        let resources = bytes(1, &[bytes(1, b"cpu"), bytes(2, &quantity)].concat());
        let container = [
            bytes(1, b"app"),
            bytes(2, b"busybox"),
            bytes(3, b"sh"),
            bytes(5, b""),
            bytes(8, &resources),
            bytes(10, &probe),
            bytes(15, &security),
            num(16, 1),
            num(18, 0),
        ]
        .concat();
        let spec = [
            bytes(2, &container),
            bytes(3, b"Always"),
            num(11, 0),
            num(27, 1),
            bytes(14, &num(2, 1000)),
        ]
        .concat();
        let pod = [bytes(1, &meta), bytes(2, &spec), bytes(3, b"")].concat();
        let unknown = [bytes(1, &bytes(2, b"Pod")), bytes(2, &pod)].concat();
        let body = [MAGIC, &unknown].concat();
        let got = pod_json(&body).expect("pod");
        assert_eq!(
            got,
            json!({
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": { "name": "copy", "labels": { "app": "web" } },
                "spec": {
                    "containers": [{
                        "name": "app",
                        "image": "busybox",
                        "command": ["sh"],
                        "resources": { "limits": { "cpu": "100m" } },
                        "livenessProbe": { "exec": { "command": ["true"] }, "periodSeconds": 10 },
                        "securityContext": { "runAsNonRoot": false, "allowPrivilegeEscalation": false },
                        "stdin": true,
                    }],
                    "restartPolicy": "Always",
                    "shareProcessNamespace": true,
                    "securityContext": { "runAsUser": 1000 },
                },
            })
        );
    }

    #[test]
    fn bad_bodies_are_refused_in_words() {
        assert!(pod_json(b"{}").is_err());
        let cut = [MAGIC, &bytes(2, b"abc")[..3]].concat();
        assert!(pod_json(&cut).expect_err("cut").contains("cut short"));
        let other = [MAGIC, &bytes(1, &bytes(2, b"Secret"))[..]].concat();
        assert_eq!(
            pod_json(&other).expect_err("a secret"),
            "expected a Pod, got a Secret"
        );
        // A field the table does not know: an error naming it, never a field dropped.
        let odd = bytes(2, &bytes(2, &[bytes(1, b"app"), num(99, 1)].concat()));
        let body = [MAGIC, &bytes(2, &odd)[..]].concat();
        assert_eq!(
            pod_json(&body).expect_err("field 99"),
            "field 99 of Container is not known"
        );
    }
}
