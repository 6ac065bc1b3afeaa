use super::*;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

/// The vectors every implementation of the rule is held to.
const VECTORS: &str = include_str!("../../../tests/data/ed25519_speccheck.json");

struct Case {
    id: String,
    message: Vec<u8>,
    public_key: Vec<u8>,
    signature: Vec<u8>,
    valid: bool,
    rejection: Option<String>,
}

fn cases() -> Vec<Case> {
    let document: Value = serde_json::from_str(VECTORS).expect("the vectors are JSON");
    let hex_field = |case: &Value, name: &str| {
        hex::decode(case[name].as_str().expect("a hex string")).expect("hex")
    };
    document["cases"]
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(|case| Case {
            id: case["id"].as_str().expect("an id").to_owned(),
            message: hex_field(case, "message"),
            public_key: hex_field(case, "public_key"),
            signature: hex_field(case, "signature"),
            valid: case["valid"].as_bool().expect("an outcome"),
            rejection: case["rejection"].as_str().map(str::to_owned),
        })
        .collect()
}

fn single(case: &Case) -> Result<(), Rejection> {
    let key = PublicKey::from_bytes(&case.public_key)?;
    verify(&key, &case.message, &case.signature)
}

#[test]
fn every_vector_gets_its_expected_outcome_and_names_the_failed_check() {
    let cases = cases();
    assert_eq!(
        cases
            .iter()
            .filter(|c| c.id.starts_with("speccheck-"))
            .count(),
        12
    );
    for case in &cases {
        let outcome = single(case);
        assert_eq!(outcome.is_ok(), case.valid, "{}: {outcome:?}", case.id);
        assert_eq!(
            outcome.err().map(|r| r.code().to_owned()),
            case.rejection,
            "{}",
            case.id
        );
    }
}

/// An honest key and signatures of it, to mix with the vectors.
fn honest(count: usize) -> Vec<(PublicKey, Vec<u8>, Vec<u8>)> {
    (0..count)
        .map(|i| {
            let signer = SigningKey::from_bytes(&[i as u8 + 1; 32]);
            let message = format!("certificate {i}").into_bytes();
            let signature = signer.sign(&message).to_bytes().to_vec();
            let key = PublicKey::from_bytes(signer.verifying_key().as_bytes()).expect("honest");
            (key, message, signature)
        })
        .collect()
}

#[test]
fn honest_signatures_pass_alone_and_in_batches_and_fail_for_another_message() {
    let signed = honest(20);
    let items: Vec<Item<'_>> = signed
        .iter()
        .map(|(key, message, signature)| Item {
            message,
            signature,
            key,
        })
        .collect();
    assert!(verify_batch(&items));
    assert_eq!(verify_each(&items), vec![true; items.len()]);
    let (key, _, signature) = &signed[0];
    assert_eq!(
        verify(key, b"another message", signature),
        Err(Rejection::Equation)
    );
}

/// The vectors whose key the rule accepts, as batch items (the others cannot enter a batch: they
/// have no key).
fn vector_items<'a>(cases: &'a [Case], keys: &'a [Option<PublicKey>]) -> Vec<(bool, Item<'a>)> {
    cases
        .iter()
        .zip(keys)
        .filter_map(|(case, key)| {
            key.as_ref().map(|key| {
                (
                    case.valid,
                    Item {
                        message: &case.message,
                        signature: &case.signature,
                        key,
                    },
                )
            })
        })
        .collect()
}

#[test]
fn a_batch_passes_exactly_when_each_of_its_signatures_passes_alone() {
    let cases = cases();
    let keys: Vec<Option<PublicKey>> = cases
        .iter()
        .map(|c| PublicKey::from_bytes(&c.public_key).ok())
        .collect();
    let vectors = vector_items(&cases, &keys);
    let signed = honest(6);
    let good: Vec<Item<'_>> = signed
        .iter()
        .map(|(key, message, signature)| Item {
            message,
            signature,
            key,
        })
        .collect();
    // Every accepted vector (the cofactored-only ones included) passes in a batch with honest
    // signatures: the batch's own answer, not the fallback's.
    let accepted: Vec<Item<'_>> = vectors
        .iter()
        .filter(|(v, _)| *v)
        .map(|(_, i)| *i)
        .collect();
    assert!(accepted.len() >= 6);
    let mut batch = good.clone();
    batch.extend(accepted.iter().copied());
    for _ in 0..32 {
        assert!(
            verify_batch(&batch),
            "a batch of accepted signatures failed"
        );
    }
    // Any refused vector makes the batch fail, whatever else is in it.
    for (valid, item) in &vectors {
        if !*valid {
            let mut with_one_bad = batch.clone();
            with_one_bad.insert(3, *item);
            assert!(!verify_batch(&with_one_bad));
        }
    }
    // And per signature, a batch of everything (in several orders) decides as the single check.
    let mut all: Vec<(bool, Item<'_>)> = good.iter().map(|i| (true, *i)).collect();
    all.extend(vectors.iter().copied());
    for rotation in 0..all.len() {
        all.rotate_left(1);
        let items: Vec<Item<'_>> = all.iter().map(|(_, i)| *i).collect();
        let singles: Vec<bool> = items
            .iter()
            .map(|i| verify(i.key, i.message, i.signature).is_ok())
            .collect();
        let expected: Vec<bool> = all.iter().map(|(v, _)| *v).collect();
        assert_eq!(singles, expected, "rotation {rotation}");
        assert_eq!(verify_each(&items), expected, "rotation {rotation}");
    }
}

#[test]
fn the_canonical_encoding_check_agrees_with_compressing_the_point_again() {
    let mut encodings: Vec<[u8; 32]> = Vec::new();
    for case in cases() {
        if let Ok(key) = <[u8; 32]>::try_from(case.public_key.as_slice()) {
            encodings.push(key);
        }
        if let Ok(r) = <[u8; 32]>::try_from(&case.signature[..32.min(case.signature.len())]) {
            encodings.push(r);
        }
    }
    // Every y in [0, 40) and in (p − 40, 2²⁵⁵), with either sign bit: the non-canonical ones are
    // among these.
    for small in 0u8..40 {
        let mut low = [0u8; 32];
        low[0] = small;
        let mut high = [0xffu8; 32];
        high[31] = 0x7f;
        high[0] = 0xff - small;
        for mut bytes in [low, high] {
            encodings.push(bytes);
            bytes[31] |= 0x80;
            encodings.push(bytes);
        }
    }
    let mut decoded = 0;
    for bytes in encodings {
        if let Some(point) = CompressedEdwardsY(bytes).decompress() {
            decoded += 1;
            assert_eq!(
                is_canonical(&bytes),
                point.compress().to_bytes() == bytes,
                "{bytes:02x?}"
            );
        }
    }
    assert!(decoded > 40, "only {decoded} encodings decoded");
}

#[test]
fn wrong_lengths_are_refused_by_name() {
    let (key, message, signature) = &honest(1)[0];
    assert_eq!(
        verify(key, message, &signature[..63]),
        Err(Rejection::SignatureLength)
    );
    assert_eq!(PublicKey::from_bytes(&[1; 31]), Err(Rejection::KeyLength));
    let items = [Item {
        message,
        signature: &[],
        key,
    }];
    assert_eq!(verify_each(&items), [false]);
    assert!(!verify_batch(&items));
}

#[test]
fn crafted_signatures_get_the_rules_answer_and_match_the_shared_vectors() {
    use crate::crafting::{Craft, craft};
    // RFC 8032 TEST 1's key, which made the shared vectors' holder-* cases.
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .expect("hex")
            .try_into()
            .expect("32 bytes");
    let key = PublicKey::from_bytes(
        &hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .expect("hex"),
    )
    .expect("TEST 1's key");
    assert_eq!(
        craft(&seed, b"", Craft::Honest).to_vec(),
        hex::decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        .expect("hex"),
        "RFC 8032 TEST 1"
    );
    let message = b"lineage certificate";
    for how in Craft::ALL {
        let signature = craft(&seed, message, how);
        assert_eq!(verify(&key, message, &signature), how.expected(), "{how:?}");
    }
    let cases = cases();
    for (id, how) in [
        ("holder-small-order-r", Craft::SmallOrderR),
        ("holder-mixed-order-r", Craft::MixedOrderR),
        ("holder-non-canonical-r-y-at-least-p", Craft::NonCanonicalR),
    ] {
        let case = cases.iter().find(|c| c.id == id).expect("a shared case");
        assert_eq!(case.message, message);
        assert_eq!(case.signature, craft(&seed, message, how).to_vec(), "{id}");
    }
    // The cofactorless verifiers disagree on the mixed-order R: the case this rule settles.
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).expect("a key");
    let mixed = ed25519_dalek::Signature::from_bytes(&craft(&seed, message, Craft::MixedOrderR));
    assert!(dalek.verify_strict(message, &mixed).is_err());
}
