//! Fuzz targets: every parser that reads what a caller, a file or another registry hands over.
//! Each target takes arbitrary bytes and must return, whatever they are; a panic is a bug. The
//! targets are plain functions, so any engine can drive them: the mutation driver of this crate
//! (`cargo run --release -p provenance-fuzz -- TARGET`, stable Rust), or libFuzzer/AFL harnesses
//! that call [`run`].

use provenance_registry::auth::client_certificates::ClientIdentities;
use provenance_registry::auth::token::TokenKeys;
use provenance_registry::domain::certificate::signed_claims;
use provenance_registry::domain::model_name;
use provenance_registry::domain::paging::PageTokens;
use provenance_registry::domain::policy::Policy;
use transparency_log::{NoteVerifier, SigningKey};

/// A fuzz target: a name and the function that feeds it.
pub struct Target {
    /// What it parses, as named on the command line.
    pub name: &'static str,
    /// Consumes one input.
    pub run: fn(&[u8]),
    /// Valid inputs to start mutating from.
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "access_token",
        run: access_token,
        seeds: access_token_seeds,
    },
    Target {
        name: "certificate_token",
        run: certificate_token,
        seeds: certificate_token_seeds,
    },
    Target {
        name: "policy_file",
        run: policy_file,
        seeds: policy_file_seeds,
    },
    Target {
        name: "page_token",
        run: page_token,
        seeds: page_token_seeds,
    },
    Target {
        name: "checkpoint",
        run: checkpoint,
        seeds: checkpoint_seeds,
    },
    Target {
        name: "client_identities",
        run: client_identities,
        seeds: client_identities_seeds,
    },
    Target {
        name: "model_name",
        run: model_name,
        seeds: model_name_seeds,
    },
];

/// Runs the target called `name` on `input`; `false` when there is no such target.
pub fn run(name: &str, input: &[u8]) -> bool {
    match TARGETS.iter().find(|t| t.name == name) {
        Some(target) => {
            (target.run)(input);
            true
        }
        None => false,
    }
}

/// Text as a server would receive it: the bytes when they are UTF-8, else their lossy decoding
/// (gRPC strings are UTF-8; files may be anything).
fn text(input: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(input)
}

fn token_keys() -> TokenKeys {
    // A fixed secret: the target exercises parsing and checking, not the secret's strength.
    TokenKeys::new("fuzz", &[7; 32]).expect("a fixed 32-byte secret always makes keys")
}

fn access_token(input: &[u8]) {
    let _ = token_keys().verify(&text(input));
}

fn access_token_seeds() -> Vec<Vec<u8>> {
    let now = chrono::Utc::now();
    let token = token_keys()
        .sign(
            uuid::Uuid::nil(),
            Some(uuid::Uuid::nil()),
            provenance_registry::domain::access::Role::Admin,
            "fuzz",
            now,
            now + chrono::Duration::hours(1),
        )
        .expect("signing with a fixed key");
    vec![token.into_bytes(), b"a.b.c".to_vec()]
}

/// What verification reads of a certificate before and after its signature: the JOSE header and
/// the claims of the signing input.
fn certificate_token(input: &[u8]) {
    let token = text(input);
    let _ = jsonwebtoken::decode_header(&*token);
    let signing_input = token.rsplit_once('.').map_or(&*token, |(signed, _)| signed);
    let _ = signed_claims(signing_input);
}

fn certificate_token_seeds() -> Vec<Vec<u8>> {
    let header = r#"{"alg":"EdDSA","typ":"lineage-certificate+jwt","kid":"k"}"#;
    let claims = r#"{"iss":"r","sub":"datasets/x","jti":"01a2","iat":1,"nbf":1,"exp":2}"#;
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    vec![format!("{}.{}.sig", b64(header), b64(claims)).into_bytes()]
}

fn policy_file(input: &[u8]) {
    let _ = Policy::from_toml(&text(input));
}

fn policy_file_seeds() -> Vec<Vec<u8>> {
    vec![include_bytes!("../../policies/deepseek-r1.toml").to_vec()]
}

fn page_token(input: &[u8]) {
    let tokens = PageTokens::new("datasets", &["name", "owner"]);
    let token = text(input);
    let _ = tokens.decode(&token);
    let _ = tokens.decode_id(&token);
}

fn page_token_seeds() -> Vec<Vec<u8>> {
    let tokens = PageTokens::new("datasets", &["name", "owner"]);
    vec![
        tokens.encode(&uuid::Uuid::nil().to_string()).into_bytes(),
        tokens.encode("").into_bytes(),
    ]
}

fn log_verifier() -> (SigningKey, NoteVerifier) {
    let key = SigningKey::from_bytes(&[3; 32]);
    let verifier = NoteVerifier::new("fuzz.example/log", key.verifying_key())
        .expect("a fixed, valid log name");
    (key, verifier)
}

fn checkpoint(input: &[u8]) {
    let (_, verifier) = log_verifier();
    let _ = transparency_log::open_checkpoint(&text(input), &verifier);
}

fn checkpoint_seeds() -> Vec<Vec<u8>> {
    let (key, _) = log_verifier();
    let note = transparency_log::sign_checkpoint(
        &transparency_log::Checkpoint {
            origin: "fuzz.example/log".into(),
            size: 3,
            root: [9; 32],
            extensions: Vec::new(),
        },
        "fuzz.example/log",
        &key,
    )
    .expect("signing a fixed checkpoint");
    vec![note.into_bytes()]
}

fn client_identities(input: &[u8]) {
    let _ = ClientIdentities::parse(&text(input), "fuzz.toml");
}

fn client_identities_seeds() -> Vec<Vec<u8>> {
    vec![
        format!(
            "[[client]]\nname = \"ci\"\nsha256 = \"{}\"\norganization = \"{}\"\nrole = \"registrar\"\n",
            "ab".repeat(32),
            uuid::Uuid::nil()
        )
        .into_bytes(),
    ]
}

fn model_name(input: &[u8]) {
    let _ = model_name::normalize(&text(input));
}

fn model_name_seeds() -> Vec<Vec<u8>> {
    vec![
        b"DeepSeek-R1-Distill-Qwen-32B".to_vec(),
        b"deepseek_r1@671b".to_vec(),
    ]
}
