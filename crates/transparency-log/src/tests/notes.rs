use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer;

use crate::*;

// Known answers from the signed-note reference implementation's tests
// (golang.org/x/mod/sumdb/note, note_test.go): a verifier key, the matching
// private key (base64 of 0x01 || Ed25519 seed), a second verifier key, and the
// notes they sign.
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const ORIGIN: &str = "registry.example/log";

fn peter_signing_key() -> SigningKey {
    let raw = STANDARD.decode(PETER_SKEY_B64).unwrap();
    assert_eq!(raw[0], 0x01, "Ed25519 signature type");
    SigningKey::from_bytes(&raw[1..].try_into().unwrap())
}

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn log_verifier() -> NoteVerifier {
    NoteVerifier::new(ORIGIN, log_key().verifying_key()).unwrap()
}

fn sample() -> Checkpoint {
    Checkpoint {
        origin: ORIGIN.to_owned(),
        size: 12345,
        root: hash_leaf(b"some root"),
        extensions: vec!["time 1764400000".to_owned()],
    }
}

#[test]
fn key_id_matches_reference_vector() {
    let verifier = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(verifier.vkey(), PETER_VKEY);
    assert_eq!(key_id("PeterNeumann", verifier.verifying_key()), 0xc74f20a3);
    // The private key of the reference tests belongs to the same public key.
    assert_eq!(
        &peter_signing_key().verifying_key(),
        verifier.verifying_key()
    );
    let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
    assert_eq!(enoch.key_id(), 0xaf0cfe78);
    assert_eq!(enoch.vkey(), ENOCH_VKEY);
}

#[test]
fn key_id_follows_the_spec_definition() {
    // Recomputed here from the definition, independently of `key_id`:
    // SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian.
    use sha2::{Digest, Sha256};
    let key = log_key().verifying_key();
    let mut input = ORIGIN.as_bytes().to_vec();
    input.push(0x0a);
    input.push(0x01);
    input.extend_from_slice(key.as_bytes());
    let digest = Sha256::digest(&input);
    let want = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    assert_eq!(key_id(ORIGIN, &key), want);
    let vkey = log_verifier().vkey();
    assert_eq!(
        vkey,
        format!(
            "{ORIGIN}+{want:08x}+{}",
            STANDARD.encode([&[0x01][..], key.as_bytes()].concat())
        )
    );
    assert_eq!(NoteVerifier::from_vkey(&vkey).unwrap(), log_verifier());
}

#[test]
fn signing_matches_reference_note() {
    let note = sign_note(GO_TEXT, "PeterNeumann", &peter_signing_key()).unwrap();
    assert_eq!(note, format!("{GO_TEXT}\n{PETER_SIG}"));

    let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
    let both = format!("{GO_TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    // Each key finds its own line and ignores the other's.
    assert_eq!(open_note(&both, &peter), Ok(GO_TEXT));
    assert_eq!(open_note(&both, &enoch), Ok(GO_TEXT));
    assert_eq!(
        open_note(&format!("{GO_TEXT}\n{ENOCH_SIG}"), &peter),
        Err(CheckpointError::NotSignedByKey {
            name: "PeterNeumann".to_owned(),
            key_id: 0xc74f20a3
        })
    );
}

#[test]
fn reference_vkeys_reject_manglings() {
    let bytes = PETER_VKEY.as_bytes();
    for i in 0..=bytes.len() {
        for j in i + 1..=bytes.len() {
            if (i, j) == (0, bytes.len()) {
                continue;
            }
            if let Ok(sub) = std::str::from_utf8(&bytes[i..j]) {
                assert!(NoteVerifier::from_vkey(sub).is_err(), "accepted {sub:?}");
            }
        }
    }
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = changed[i].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&changed) {
            assert!(NoteVerifier::from_vkey(text).is_err(), "accepted {text:?}");
        }
    }
}

#[test]
fn weak_keys_and_bad_names_are_refused() {
    // The identity point: a small-order key that "verifies" forged signatures
    // under lax rules.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = VerifyingKey::from_bytes(&identity).unwrap();
    assert!(matches!(
        NoteVerifier::new("weak", weak),
        Err(CheckpointError::MalformedVerifierKey(_))
    ));
    for name in ["", "a b", "a+b", "tab\there", "nbsp\u{a0}x"] {
        assert_eq!(
            NoteVerifier::new(name, log_key().verifying_key()),
            Err(CheckpointError::InvalidKeyName(name.to_owned()))
        );
        assert_eq!(
            sign_checkpoint(&sample(), name, &log_key()),
            Err(CheckpointError::InvalidKeyName(name.to_owned()))
        );
    }
}

#[test]
fn checkpoint_round_trip() {
    let checkpoint = sample();
    let note = sign_checkpoint(&checkpoint, ORIGIN, &log_key()).unwrap();
    let root_b64 = STANDARD.encode(checkpoint.root);
    assert!(note.starts_with(&format!(
        "{ORIGIN}\n12345\n{root_b64}\ntime 1764400000\n\n\u{2014} {ORIGIN} "
    )));
    assert_eq!(
        checkpoint.body(),
        format!("{ORIGIN}\n12345\n{root_b64}\ntime 1764400000\n")
    );
    let opened = open_checkpoint(&note, &log_verifier()).unwrap();
    assert_eq!(opened, checkpoint);
    assert_eq!(opened.time(), Some(1_764_400_000));

    // Size 0 (the empty tree) and no extensions.
    let empty = Checkpoint {
        origin: ORIGIN.to_owned(),
        size: 0,
        root: empty_root(),
        extensions: vec![],
    };
    let note = sign_checkpoint(&empty, ORIGIN, &log_key()).unwrap();
    assert_eq!(open_checkpoint(&note, &log_verifier()), Ok(empty.clone()));
    assert_eq!(empty.time(), None);

    // A witness cosignature appended by another key does not get in the way,
    // and verifies under its own key.
    let witness = other_key();
    let witness_note = sign_note(&checkpoint.body(), "witness.example", &witness).unwrap();
    let witness_line = witness_note.rsplit_once("\n\n").unwrap().1;
    let note = sign_checkpoint(&checkpoint, ORIGIN, &log_key()).unwrap();
    let cosigned = format!("{note}{witness_line}");
    assert_eq!(
        open_checkpoint(&cosigned, &log_verifier()),
        Ok(checkpoint.clone())
    );
    let witness_verifier = NoteVerifier::new("witness.example", witness.verifying_key()).unwrap();
    assert_eq!(
        open_checkpoint(&cosigned, &witness_verifier),
        Ok(checkpoint.clone())
    );
    // The cosignature does not carry over to a body the witness did not sign.
    let empty_note = sign_checkpoint(&empty, ORIGIN, &log_key()).unwrap();
    assert!(matches!(
        open_checkpoint(&format!("{empty_note}{witness_line}"), &witness_verifier),
        Err(CheckpointError::InvalidSignature { .. })
    ));
}

#[test]
fn time_extension_parsing() {
    let with = |lines: &[&str]| Checkpoint {
        extensions: lines.iter().map(|l| (*l).to_owned()).collect(),
        ..sample()
    };
    assert_eq!(with(&["other", "time 42"]).time(), Some(42));
    assert_eq!(with(&["time 0"]).time(), Some(0));
    assert_eq!(with(&["time 042"]).time(), None);
    assert_eq!(with(&["time  42"]).time(), None);
    assert_eq!(with(&["time -1"]).time(), None);
    assert_eq!(with(&["timestamp 42"]).time(), None);
    assert_eq!(with(&[]).time(), None);
}

#[test]
fn tampered_checkpoints_are_rejected() {
    let note = sign_checkpoint(&sample(), ORIGIN, &log_key()).unwrap();
    let verifier = log_verifier();
    let invalid = Err(CheckpointError::InvalidSignature {
        name: ORIGIN.to_owned(),
        key_id: verifier.key_id(),
    });
    let root_b64 = STANDARD.encode(sample().root);
    let mut other_root = root_b64.clone().into_bytes();
    other_root[0] = if other_root[0] == b'A' { b'B' } else { b'A' };
    let other_root = String::from_utf8(other_root).unwrap();

    let tamperings = [
        note.replacen("\n12345\n", "\n12346\n", 1),
        note.replacen(&root_b64, &other_root, 1),
        note.replacen("registry.example/log\n", "registry.example/lag\n", 1),
        note.replacen("time 1764400000", "time 1764400001", 1),
        note.replacen("time 1764400000\n", "", 1),
    ];
    for tampered in tamperings {
        assert_ne!(tampered, note);
        assert_eq!(open_checkpoint(&tampered, &verifier), invalid, "{tampered}");
    }

    // Signed by another key under the same name: a different key ID, so the
    // line is an unknown signer and the note carries no trusted signature.
    let by_other = sign_checkpoint(&sample(), ORIGIN, &other_key()).unwrap();
    let not_signed = Err(CheckpointError::NotSignedByKey {
        name: ORIGIN.to_owned(),
        key_id: verifier.key_id(),
    });
    assert_eq!(open_checkpoint(&by_other, &verifier), not_signed);

    // Another key's signature presented under the trusted key's ID.
    let forged_sig = other_key().sign(sample().body().as_bytes());
    let payload = [
        &verifier.key_id().to_be_bytes()[..],
        &forged_sig.to_bytes()[..],
    ]
    .concat();
    let forged = format!(
        "{}\n\u{2014} {ORIGIN} {}\n",
        sample().body(),
        STANDARD.encode(payload)
    );
    assert_eq!(open_checkpoint(&forged, &verifier), invalid);
    // A bad trusted line rejects the note even next to a good one.
    let mixed = format!("{note}{}", forged.rsplit_once("\n\n").unwrap().1);
    assert_eq!(open_checkpoint(&mixed, &verifier), invalid);

    // The right key under the wrong name.
    let misnamed = sign_checkpoint(&sample(), "registry.example/other", &log_key()).unwrap();
    assert_eq!(open_checkpoint(&misnamed, &verifier), not_signed);
    let renamed = note.replacen(
        &format!("\u{2014} {ORIGIN} "),
        "\u{2014} registry.example/other ",
        1,
    );
    assert_eq!(open_checkpoint(&renamed, &verifier), not_signed);

    // A truncated signature (valid base64 of fewer bytes) by the trusted key.
    let (body, line) = note.split_once("\n\n").unwrap();
    let sig_b64 = line.rsplit_once(' ').unwrap().1.trim_end();
    let mut sig = STANDARD.decode(sig_b64).unwrap();
    sig.truncate(40);
    let short = format!("{body}\n\n\u{2014} {ORIGIN} {}\n", STANDARD.encode(sig));
    assert_eq!(open_checkpoint(&short, &verifier), invalid);
}

/// Signs arbitrary text as a note, so that body parsing is reached past the
/// signature check.
fn signed(text: &str) -> String {
    sign_note(text, ORIGIN, &log_key()).unwrap()
}

#[test]
fn malformed_notes_are_rejected_with_the_right_error() {
    let verifier = log_verifier();
    let open = |note: &str| open_checkpoint(note, &verifier);
    let root = STANDARD.encode(hash_leaf(b"x"));
    let note = sign_checkpoint(&sample(), ORIGIN, &log_key()).unwrap();
    let (body, signature_line) = note.split_once("\n\n").unwrap();

    // Envelope.
    assert_eq!(
        open(&format!("{body}\n{signature_line}")),
        Err(CheckpointError::MissingBlankLine)
    );
    assert_eq!(
        open(note.trim_end_matches('\n')),
        Err(CheckpointError::MissingFinalNewline)
    );
    assert_eq!(
        open(&format!("{body}\n\n")),
        Err(CheckpointError::NoSignatures)
    );
    assert_eq!(
        open(&note.replace('\n', "\r\n")),
        Err(CheckpointError::ControlCharacter {
            offset: ORIGIN.len(),
            byte: b'\r'
        })
    );
    let malformed = |line: usize, reason: &'static str| {
        Err::<Checkpoint, _>(CheckpointError::MalformedSignatureLine { line, reason })
    };
    assert_eq!(
        open(&format!("{body}\n\n- {}", &signature_line[4..])),
        malformed(1, "does not start with an em dash and a space")
    );
    assert_eq!(
        open(&note.replacen(&format!("{ORIGIN} "), &format!("{ORIGIN}  "), 2)),
        malformed(1, "signature is not canonical standard base64")
    );
    assert_eq!(
        open(&note.replacen('\u{2014}', "\u{2014} ", 1)),
        malformed(1, "invalid key name")
    );
    assert_eq!(
        open(&format!(
            "{}\n",
            note.trim_end_matches('\n').to_owned() + " "
        )),
        malformed(1, "signature is not canonical standard base64")
    );
    assert_eq!(
        open(&format!("{note}\u{2014} {ORIGIN} %%%%\n")),
        malformed(2, "signature is not canonical standard base64")
    );
    assert_eq!(
        open(&format!("{note}\u{2014} {ORIGIN} AAAA\n")),
        malformed(2, "signature shorter than its 4-byte key id")
    );
    assert_eq!(
        open(&format!("{note}\u{2014} {ORIGIN}\n")),
        malformed(2, "no space between key name and signature")
    );
    assert_eq!(
        open(&format!("{note}unexpected line\n")),
        malformed(2, "does not start with an em dash and a space")
    );

    // Body, signed so that parsing is reached.
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n012345\n{root}\n"))),
        Err(CheckpointError::InvalidSize("leading zero"))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n12345 \n{root}\n"))),
        Err(CheckpointError::InvalidSize("not a plain decimal number"))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n+12345\n{root}\n"))),
        Err(CheckpointError::InvalidSize("not a plain decimal number"))
    );
    assert_eq!(
        open(&signed(&format!(
            "{ORIGIN}\n18446744073709551616\n{root}\n"
        ))),
        Err(CheckpointError::InvalidSize("larger than u64::MAX"))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n\n{root}\n"))),
        Err(CheckpointError::InvalidSize("empty"))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n1\n{root} \n"))),
        Err(CheckpointError::InvalidRootHash(
            "not canonical standard base64"
        ))
    );
    assert_eq!(
        open(&signed(&format!(
            "{ORIGIN}\n1\n{}\n",
            root.trim_end_matches('=')
        ))),
        Err(CheckpointError::InvalidRootHash(
            "not canonical standard base64"
        ))
    );
    assert_eq!(
        open(&signed(&format!(
            "{ORIGIN}\n1\n{}\n",
            STANDARD.encode([0u8; 31])
        ))),
        Err(CheckpointError::InvalidRootHash(
            "does not decode to 32 bytes"
        ))
    );
    assert_eq!(
        open(&signed(&format!(
            "{ORIGIN}\n1\n{}\n",
            STANDARD.encode([0u8; 33])
        ))),
        Err(CheckpointError::InvalidRootHash(
            "does not decode to 32 bytes"
        ))
    );
    assert_eq!(
        open(&signed(&format!("\n1\n{root}\n"))),
        Err(CheckpointError::InvalidOrigin("empty"))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n1\n"))),
        Err(CheckpointError::TooFewLines(2))
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n1\n{root}\n\ntime 5\n"))),
        Err(CheckpointError::InvalidExtension {
            index: 0,
            reason: "empty"
        })
    );
    assert_eq!(
        open(&signed(&format!("{ORIGIN}\n1\n{root}\ntime 5\n"))).map(|c| c.time()),
        Ok(Some(5))
    );
}

#[test]
fn input_size_is_bounded() {
    let verifier = log_verifier();
    let note = sign_checkpoint(&sample(), ORIGIN, &log_key()).unwrap();

    // Fill up with cosignatures by a key the verifier does not know, which
    // cost no signature check, to reach the limit cheaply.
    let unknown = sign_checkpoint(&sample(), "witness.example", &other_key()).unwrap();
    let unknown_line = unknown.split_once("\n\n").unwrap().1;
    let hundred = format!("{note}{}", unknown_line.repeat(MAX_SIGNATURES - 1));
    assert_eq!(open_checkpoint(&hundred, &verifier), Ok(sample()));
    let too_many = format!("{note}{}", unknown_line.repeat(MAX_SIGNATURES));
    assert_eq!(
        open_checkpoint(&too_many, &verifier),
        Err(CheckpointError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );

    let huge = format!("{}{}", "x".repeat(MAX_NOTE_BYTES), note);
    assert_eq!(
        open_checkpoint(&huge, &verifier),
        Err(CheckpointError::NoteTooLarge {
            len: huge.len(),
            max: MAX_NOTE_BYTES
        })
    );
    let big = Checkpoint {
        extensions: vec!["x".repeat(MAX_NOTE_BYTES)],
        ..sample()
    };
    assert!(matches!(
        sign_checkpoint(&big, ORIGIN, &log_key()),
        Err(CheckpointError::NoteTooLarge { .. })
    ));
}

#[test]
fn unsignable_checkpoints_are_refused() {
    let key = log_key();
    let bad = |origin: &str, extensions: &[&str]| Checkpoint {
        origin: origin.to_owned(),
        extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
        ..sample()
    };
    assert_eq!(
        sign_checkpoint(&bad("", &[]), ORIGIN, &key),
        Err(CheckpointError::InvalidOrigin("empty"))
    );
    // A newline in the origin would let it forge the size and root lines.
    assert!(matches!(
        sign_checkpoint(&bad("log\n999\nAAAA", &[]), ORIGIN, &key),
        Err(CheckpointError::InvalidOrigin(_))
    ));
    assert!(matches!(
        sign_checkpoint(&bad(ORIGIN, &["ok", ""]), ORIGIN, &key),
        Err(CheckpointError::InvalidExtension { index: 1, .. })
    ));
    assert!(matches!(
        sign_checkpoint(&bad(ORIGIN, &["a\nb"]), ORIGIN, &key),
        Err(CheckpointError::InvalidExtension { index: 0, .. })
    ));
    assert_eq!(
        sign_note("no newline", ORIGIN, &key),
        Err(CheckpointError::InvalidText("does not end with a newline"))
    );
    assert_eq!(
        sign_note("", ORIGIN, &key),
        Err(CheckpointError::InvalidText("empty"))
    );
}

#[test]
fn spec_example_checkpoint_parses_and_its_unknown_signer_is_ignored() {
    // The example checkpoint of c2sp.org/tlog-checkpoint. Its key is not
    // published, so it can only show that the format parses and that a
    // signature by an unknown key is ignored rather than rejected as malformed.
    let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    let body = note.split_once("\n\n").unwrap().0.to_owned() + "\n";
    let parsed = Checkpoint::parse_body(&body).unwrap();
    assert_eq!(parsed.origin, "example.com/behind-the-sofa");
    assert_eq!(parsed.size, 20852163);
    assert_eq!(parsed.body(), body);
    assert!(matches!(
        open_checkpoint(note, &log_verifier()),
        Err(CheckpointError::NotSignedByKey { .. })
    ));
}

/// A note's signature line gets the answer of the registry's one Ed25519 rule, as a certificate's
/// signature does: signatures the log key's holder crafted with a torsion component in `R` pass
/// (`verify_strict` refused them before), non-canonical `R` and `S` ≥ L fail.
#[test]
fn crafted_note_signatures_get_the_rules_answer() {
    use ed25519_verify::crafting::{Craft, craft};
    let verifier = log_verifier();
    let text = "registry.example/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    for how in Craft::ALL {
        let signature = craft(&[1; 32], text.as_bytes(), how);
        let mut line = verifier.key_id().to_be_bytes().to_vec();
        line.extend_from_slice(&signature);
        let note = format!("{text}\n\u{2014} {ORIGIN} {}\n", STANDARD.encode(line));
        assert_eq!(
            open_note(&note, &verifier).is_ok(),
            how.expected().is_ok(),
            "{how:?}"
        );
    }
}
