//! Webhook endpoints: what an endpoint is, which URLs and addresses one may name, how deliveries
//! are signed (Standard Webhooks) and when they are retried. Pure rules; the sending is in
//! `crate::webhook_sender` and the outbox in the stores.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Longest endpoint URL.
pub const MAX_URL_LENGTH: usize = 2048;
/// Most event types one endpoint may subscribe to.
pub const MAX_EVENT_TYPES: usize = 32;
/// Longest event type name.
pub const MAX_EVENT_TYPE_LENGTH: usize = 64;
/// Longest description.
pub const MAX_DESCRIPTION_LENGTH: usize = 500;
/// Most endpoints one organisation may register.
pub const MAX_WEBHOOKS_PER_ORGANIZATION: u32 = 20;
/// Random bytes in a signing secret (Standard Webhooks asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;
/// How long the secret before a rotation keeps signing when the request does not say.
pub const DEFAULT_ROTATION_GRACE: chrono::Duration = chrono::Duration::hours(24);
/// The longest grace a rotation may ask for.
pub const MAX_ROTATION_GRACE: chrono::Duration = chrono::Duration::days(7);

/// Whether an endpoint is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    /// Deliveries are sent.
    Active,
    /// Paused by its organisation: deliveries accumulate and are sent on resume.
    Paused,
    /// Retries of a delivery ran out: deliveries accumulate until the organisation resumes it.
    Failing,
}

impl WebhookState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Failing => "failing",
        }
    }

    /// The state a stored name means.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "active" => Ok(Self::Active),
            "paused" => Ok(Self::Paused),
            "failing" => Ok(Self::Failing),
            other => Err(Error::internal(anyhow::anyhow!(
                "unknown webhook state {other:?} in the database"
            ))),
        }
    }
}

/// A registered endpoint, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// UUID v7.
    pub id: Uuid,
    /// The organisation that owns it and whose view of the log it receives.
    pub organization_id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// For people.
    pub description: String,
    /// The event types it receives; empty for every type.
    pub event_types: Vec<String>,
    /// Whether it is sent to.
    pub state: WebhookState,
    /// When it was registered.
    pub create_time: DateTime<Utc>,
    /// When it was last changed (state, types, description, secret).
    pub update_time: DateTime<Utc>,
    /// Until when the secret before the last rotation also signs, if it still does.
    pub previous_secret_expire_time: Option<DateTime<Utc>>,
}

/// An endpoint as the sender needs it: where to post and what to sign with.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The endpoint.
    pub webhook: Webhook,
    /// The current secret (`whsec_...`).
    pub secret: String,
    /// The secret before the last rotation, while it still signs.
    pub previous_secret: Option<String>,
}

/// Whether a delivery has been acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet acknowledged by a 2xx answer.
    Pending,
    /// Acknowledged.
    Delivered,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
        }
    }

    /// The state a stored name means.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            other => Err(Error::internal(anyhow::anyhow!(
                "unknown delivery state {other:?} in the database"
            ))),
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The event's sequence.
    pub sequence: u64,
    /// The event's type.
    pub event_type: String,
    /// Acknowledged or not.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (while pending).
    pub next_attempt_time: DateTime<Utc>,
    /// When the last attempt was made.
    pub last_attempt_time: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer, if one came.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When a 2xx answer came.
    pub delivered_time: Option<DateTime<Utc>>,
    /// When the current run of failures began.
    pub first_failure_time: Option<DateTime<Utc>>,
}

/// What the operator allows endpoints to name.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// `http://` to loopback addresses (and loopback addresses at all): for tests only.
    pub allow_loopback_http: bool,
    /// Ranges allowed although they are private, link-local or otherwise refused.
    pub allowed_ranges: Vec<IpRange>,
}

/// An address range in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR range (expected e.g. 10.1.0.0/16)"))?;
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| format!("{prefix:?} is not a prefix length from 0 to {max}"))?;
        Ok(Self { network, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl IpRange {
    /// Whether `address` lies in the range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                masked(u32::from(net).into(), self.prefix, 32)
                    == masked(u32::from(a).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, prefix: u8, width: u32) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let shift = width - u32::from(prefix);
    (bits >> shift) << shift
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Why an endpoint may not be sent to at `address`, or `None` when it may: anything but public
/// unicast addresses is refused (loopback, private, link-local and cloud metadata, CGNAT,
/// multicast, documentation and reserved ranges), unless the operator allowed its range (or, for
/// loopback, tests).
pub fn refused_address(address: IpAddr, policy: &AddressPolicy) -> Option<&'static str> {
    let address = canonical(address);
    let reason = special_purpose(address)?;
    if reason == "loopback" && policy.allow_loopback_http {
        return None;
    }
    if policy.allowed_ranges.iter().any(|r| r.contains(address)) {
        return None;
    }
    Some(reason)
}

/// What special purpose `address` has, if any.
fn special_purpose(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_unspecified() || o[0] == 0 {
        Some("unspecified (\"this network\")")
    } else if a.is_private() {
        Some("private")
    } else if a.is_link_local() {
        Some("link-local (cloud metadata lives here)")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared address space (CGNAT)")
    } else if a.is_multicast() {
        Some("multicast")
    } else if a.is_broadcast() || o[0] >= 240 {
        Some("reserved")
    } else if a.is_documentation() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("documentation or benchmarking")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("IETF protocol assignments")
    } else {
        None
    }
}

fn special_v6(a: Ipv6Addr) -> Option<&'static str> {
    let s = a.segments();
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_unspecified() {
        Some("unspecified")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        // fd00:ec2::254 (the AWS metadata service over IPv6) is one of these.
        Some("unique local (private)")
    } else if (s[0] & 0xffc0) == 0xfe80 || (s[0] & 0xffc0) == 0xfec0 {
        Some("link-local")
    } else if a.is_multicast() {
        Some("multicast")
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Some("documentation")
    } else if s[0] == 0x0064 && s[1] == 0xff9b {
        // NAT64 prefixes embed IPv4 addresses that could be anything, private ones included.
        Some("NAT64")
    } else if s[0] == 0x2002 || (s[0] == 0x2001 && s[1] == 0) {
        // 6to4 and Teredo embed IPv4 addresses too.
        Some("IPv4 tunnelling (6to4, Teredo)")
    } else if s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0 {
        Some("IPv4-compatible (deprecated)")
    } else if s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0 {
        Some("discard-only")
    } else {
        None
    }
}

/// An endpoint URL, checked: `https://` (or `http://` to a loopback address when the policy
/// allows it), a host, no user name or password, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    /// The URL as given (normalised by the parser).
    pub url: url::Url,
    /// Host name or address literal, without brackets.
    pub host: String,
    /// The port, explicit or the scheme's.
    pub port: u16,
    /// Whether TLS is used.
    pub tls: bool,
}

impl EndpointUrl {
    /// Parses and checks `text` for the request field `field`. Checking where the host resolves to
    /// is for [`refused_address`], at creation and before every delivery.
    pub fn parse(field: &str, text: &str, policy: &AddressPolicy) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        if text.len() > MAX_URL_LENGTH {
            return Err(Error::invalid(
                field,
                format!("must be at most {MAX_URL_LENGTH} bytes"),
            ));
        }
        let url = url::Url::parse(text)
            .map_err(|e| Error::invalid(field, format!("is not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid(
                field,
                "must not hold a user name or password (the signature authenticates deliveries)",
            ));
        }
        if url.fragment().is_some() {
            return Err(Error::invalid(field, "must not have a fragment (#...)"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(v4)) => v4.to_string(),
            Some(url::Host::Ipv6(v6)) => v6.to_string(),
            None => return Err(Error::invalid(field, "must name a host")),
        };
        let tls = match url.scheme() {
            "https" => true,
            "http" if policy.allow_loopback_http => false,
            "http" => {
                return Err(Error::invalid(
                    field,
                    "must be https:// (plain http:// is allowed only to loopback addresses, when \
                     the server runs with --webhook-allow-loopback for tests)",
                ));
            }
            other => {
                return Err(Error::invalid(
                    field,
                    format!("must be https://, not {other}:"),
                ));
            }
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::invalid(field, "must have a port"))?;
        if let Ok(address) = host.parse::<IpAddr>()
            && let Some(reason) = refused_address(address, policy)
        {
            return Err(Error::invalid(
                field,
                format!("names a {reason} address ({address}), which webhooks may not reach"),
            ));
        }
        Ok(Self {
            url,
            host,
            port,
            tls,
        })
    }

    /// The request target: path and query.
    pub fn target(&self) -> String {
        match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_owned(),
        }
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        let host = match self.url.host() {
            Some(url::Host::Ipv6(v6)) => format!("[{v6}]"),
            _ => self.host.clone(),
        };
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }
}

/// Checks a webhook's description.
pub fn description(field: &str, text: &str) -> Result<String> {
    if text.len() > MAX_DESCRIPTION_LENGTH {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_DESCRIPTION_LENGTH} bytes"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not hold control characters"));
    }
    Ok(text.to_owned())
}

/// Checks a list of event types: each a known type, at most [`MAX_EVENT_TYPES`], no repeats.
/// Sorted, so that equal sets compare equal.
pub fn event_types(field: &str, types: &[String], known: &[&str]) -> Result<Vec<String>> {
    if types.len() > MAX_EVENT_TYPES {
        return Err(Error::invalid(
            field,
            format!("must list at most {MAX_EVENT_TYPES} types"),
        ));
    }
    let mut out = Vec::with_capacity(types.len());
    for (i, name) in types.iter().enumerate() {
        if name.len() > MAX_EVENT_TYPE_LENGTH || !known.contains(&name.as_str()) {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                format!("is not an event type; the types are {}", known.join(", ")),
            ));
        }
        if out.contains(name) {
            return Err(Error::invalid(format!("{field}[{i}]"), "is listed twice"));
        }
        out.push(name.clone());
    }
    out.sort();
    Ok(out)
}

/// Every event type the registry appends.
pub const EVENT_TYPES: &[&str] = &[
    "organization.created",
    "access_token.created",
    "access_token.revoked",
    "dataset.registered",
    "dataset.contamination_reported",
    "attestation.recorded",
    "attestation.revoked",
    "certificate.issued",
    "certificate.revoked",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.secret_rotated",
    "webhook.failing",
];

/// A new signing secret: `whsec_` and the base64 of [`SECRET_BYTES`] random bytes.
pub fn new_secret() -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(anyhow::anyhow!("no randomness for a secret: {e}")))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` value for one secret: `v1,` and the base64 of HMAC-SHA256 over
/// `id.timestamp.body`, keyed with the secret's decoded bytes (Standard Webhooks).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = STANDARD.decode(encoded).map_err(|e| {
        Error::internal(anyhow::anyhow!(
            "a stored webhook secret is not base64: {e}"
        ))
    })?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(id.as_bytes());
    context.update(b".");
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    Ok(format!("v1,{}", STANDARD.encode(context.sign().as_ref())))
}

/// The `webhook-signature` header: one signature per secret that signs, space-separated.
pub fn signature_header(
    target: &WebhookTarget,
    now: DateTime<Utc>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String> {
    let mut header = signature(&target.secret, id, timestamp, body)?;
    if let (Some(previous), Some(until)) = (
        &target.previous_secret,
        target.webhook.previous_secret_expire_time,
    ) && until > now
    {
        header.push(' ');
        header.push_str(&signature(previous, id, timestamp, body)?);
    }
    Ok(header)
}

/// The `webhook-id` of an event's delivery to an endpoint: the same for every attempt.
pub fn message_id(webhook_id: Uuid, sequence: u64) -> String {
    format!("msg_{}_{sequence}", webhook_id.simple())
}

/// How long to wait after the `attempts`-th failed attempt (1 for the first): doubling from 5
/// seconds up to an hour, then scaled by `jitter` in [0, 1) to between half and the whole, so that
/// endpoints failing together do not retry together.
pub fn retry_delay(attempts: u32, jitter: f64) -> Duration {
    const FIRST: Duration = Duration::from_secs(5);
    const LONGEST: Duration = Duration::from_secs(3600);
    let doubled = FIRST.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    let full = doubled.min(LONGEST);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AddressPolicy {
        AddressPolicy::default()
    }

    #[test]
    fn special_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
        ] {
            let address: IpAddr = refused.parse().unwrap();
            assert!(
                refused_address(address, &policy()).is_some(),
                "{refused} passed"
            );
        }
        for public in ["93.184.215.14", "8.8.8.8", "2606:4700::1111"] {
            let address: IpAddr = public.parse().unwrap();
            assert_eq!(refused_address(address, &policy()), None, "{public}");
        }
    }

    #[test]
    fn the_operator_may_allow_ranges_and_tests_loopback() {
        let allowed = AddressPolicy {
            allow_loopback_http: false,
            allowed_ranges: vec!["10.1.0.0/16".parse().unwrap(), "fd00::/8".parse().unwrap()],
        };
        assert_eq!(
            refused_address("10.1.200.3".parse().unwrap(), &allowed),
            None
        );
        assert!(refused_address("10.2.0.1".parse().unwrap(), &allowed).is_some());
        assert_eq!(refused_address("fd12::1".parse().unwrap(), &allowed), None);
        assert!(refused_address("127.0.0.1".parse().unwrap(), &allowed).is_some());
        let tests = AddressPolicy {
            allow_loopback_http: true,
            allowed_ranges: vec![],
        };
        assert_eq!(refused_address("127.0.0.1".parse().unwrap(), &tests), None);
        assert!(refused_address("169.254.169.254".parse().unwrap(), &tests).is_some());
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "fd00::/129"] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_https_to_a_host_without_credentials() {
        let ok = EndpointUrl::parse("url", "https://hooks.example.com/in?x=1", &policy()).unwrap();
        assert_eq!(
            (ok.host.as_str(), ok.port, ok.tls),
            ("hooks.example.com", 443, true)
        );
        assert_eq!(ok.target(), "/in?x=1");
        for (bad, why) in [
            ("", "is required"),
            ("http://hooks.example.com/", "must be https://"),
            ("ftp://hooks.example.com/", "must be https://"),
            ("https://user:pw@hooks.example.com/", "user name"),
            ("https://hooks.example.com/#x", "fragment"),
            ("https://127.0.0.1/", "loopback"),
            ("https://[::ffff:10.0.0.1]/", "private"),
            ("https://169.254.169.254/latest", "link-local"),
            ("not a url", "is not a URL"),
        ] {
            let error = EndpointUrl::parse("url", bad, &policy())
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("url:") && error.contains(why),
                "{bad}: {error}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert!(EndpointUrl::parse("url", &long, &policy()).is_err());
        let tests = AddressPolicy {
            allow_loopback_http: true,
            allowed_ranges: vec![],
        };
        let plain = EndpointUrl::parse("url", "http://127.0.0.1:8080/hook", &tests).unwrap();
        assert!(!plain.tls);
        assert_eq!(plain.host_header(), "127.0.0.1:8080");
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signed = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn the_previous_secret_signs_only_during_its_grace() {
        let now = Utc::now();
        let mut target = WebhookTarget {
            webhook: Webhook {
                id: Uuid::nil(),
                organization_id: Uuid::nil(),
                url: String::new(),
                description: String::new(),
                event_types: vec![],
                state: WebhookState::Active,
                create_time: now,
                update_time: now,
                previous_secret_expire_time: Some(now + chrono::Duration::hours(1)),
            },
            secret: new_secret().unwrap(),
            previous_secret: Some(new_secret().unwrap()),
        };
        let both = signature_header(&target, now, "msg", 1, b"{}").unwrap();
        assert_eq!(both.split(' ').count(), 2);
        target.webhook.previous_secret_expire_time = Some(now - chrono::Duration::seconds(1));
        let one = signature_header(&target, now, "msg", 1, b"{}").unwrap();
        assert_eq!(one.split(' ').count(), 1);
        assert!(new_secret().unwrap().starts_with("whsec_"));
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_an_hour() {
        assert_eq!(retry_delay(1, 1.0), Duration::from_secs(5));
        assert_eq!(retry_delay(1, 0.0), Duration::from_millis(2500));
        assert_eq!(retry_delay(3, 1.0), Duration::from_secs(20));
        assert_eq!(retry_delay(40, 1.0), Duration::from_secs(3600));
        assert!(retry_delay(2, 0.5) < retry_delay(2, 0.9));
    }

    #[test]
    fn event_types_are_checked_and_sorted() {
        let types = event_types(
            "event_types",
            &["certificate.revoked".into(), "attestation.revoked".into()],
            EVENT_TYPES,
        )
        .unwrap();
        assert_eq!(types, ["attestation.revoked", "certificate.revoked"]);
        let error = event_types("event_types", &["nope".into()], EVENT_TYPES)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("event_types[0]:"), "{error}");
        let twice = event_types(
            "event_types",
            &["dataset.registered".into(), "dataset.registered".into()],
            EVENT_TYPES,
        );
        assert!(twice.is_err());
    }
}
