use std::cell::RefCell;
use std::convert::Infallible;

use crate::*;

/// Largest tree the exhaustive tests cover.
const MAX: u64 = 300;

fn entry(i: u64) -> Vec<u8> {
    format!("event {i}").into_bytes()
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// MTH, PATH and SUBPROOF transcribed from RFC 6962 section 2.1 (identical in
/// RFC 9162 section 2.1), recursing on ranges of leaf hashes. Memoising `mth`
/// only avoids recomputing the same pure function; it keeps the exhaustive
/// tests fast in debug builds, where SHA-256 is slow.
struct Reference {
    leaves: Vec<Hash>,
    /// `memo[a * (len + 1) + b]` caches MTH(D[a:b]).
    memo: RefCell<Vec<Option<Hash>>>,
}

impl Reference {
    fn new(leaves: Vec<Hash>) -> Self {
        let slots = (leaves.len() + 1) * (leaves.len() + 1);
        Self {
            leaves,
            memo: RefCell::new(vec![None; slots]),
        }
    }

    /// The largest power of two smaller than `n`, found by counting rather
    /// than by the bit trick the crate uses.
    fn k(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[a:b]).
    fn mth(&self, a: usize, b: usize) -> Hash {
        let n = b - a;
        if n == 0 {
            return empty_root();
        }
        if n == 1 {
            return self.leaves[a];
        }
        let slot = a * (self.leaves.len() + 1) + b;
        if let Some(hash) = self.memo.borrow()[slot] {
            return hash;
        }
        let k = Self::k(n);
        let hash = hash_children(&self.mth(a, a + k), &self.mth(a + k, b));
        self.memo.borrow_mut()[slot] = Some(hash);
        hash
    }

    /// PATH(m, D[a:b]), with `m` relative to `a`.
    fn path(&self, m: usize, a: usize, b: usize) -> Vec<Hash> {
        let n = b - a;
        if n == 1 {
            return Vec::new();
        }
        let k = Self::k(n);
        if m < k {
            let mut p = self.path(m, a, a + k);
            p.push(self.mth(a + k, b));
            p
        } else {
            let mut p = self.path(m - k, a + k, b);
            p.push(self.mth(a, a + k));
            p
        }
    }

    /// SUBPROOF(m, D[a:b], whole).
    fn subproof(&self, m: usize, a: usize, b: usize, whole: bool) -> Vec<Hash> {
        let n = b - a;
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![self.mth(a, b)]
            };
        }
        let k = Self::k(n);
        if m <= k {
            let mut p = self.subproof(m, a, a + k, whole);
            p.push(self.mth(a + k, b));
            p
        } else {
            let mut p = self.subproof(m - k, a + k, b, false);
            p.push(self.mth(a, a + k));
            p
        }
    }
}

fn build(entries: impl IntoIterator<Item = Vec<u8>>) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for data in entries {
        tree.append(hash_leaf(&data)).unwrap();
    }
    tree
}

/// Which proofs the exhaustive tests also verify. Comparing every proof with
/// the reference is cheap, but verifying hashes, and SHA-256 is slow in debug
/// builds; so every proof is verified up to size 64, and beyond that a dense
/// sample: a position in every 29 (shifting with the size) plus the edges and
/// powers of two, where the bit patterns change.
fn verified(position: u64, size: u64) -> bool {
    size <= 64
        || position % 29 == size % 29
        || position < 2
        || position + 2 >= size
        || position.is_power_of_two()
        || (position + 1).is_power_of_two()
        || (position - 1).is_power_of_two()
}

fn fixture() -> (MemoryTree, Reference) {
    let tree = build((0..MAX).map(entry));
    let reference = Reference::new((0..MAX).map(|i| hash_leaf(&entry(i))).collect());
    (tree, reference)
}

#[test]
fn hashes_match_known_answers() {
    // SHA-256("") and SHA-256(0x00): the empty tree and the empty-entry leaf.
    assert_eq!(
        hex(&empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(&hash_leaf(b"")),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
}

#[test]
fn roots_match_certificate_transparency_vectors() {
    // Inputs and roots of the Certificate Transparency reference tests, as
    // carried in transparency-dev/merkle testonly/constants.go.
    let inputs: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let tree = build(inputs.iter().map(|input| input.to_vec()));
    for (size, want) in roots.iter().enumerate() {
        assert_eq!(
            hex(&root_at(size as u64, &tree).unwrap()),
            *want,
            "size {size}"
        );
    }
    assert_eq!(hex(&tree.root()), roots[8]);
}

#[test]
fn roots_match_reference_for_every_size() {
    let reference = Reference::new((0..MAX).map(|i| hash_leaf(&entry(i))).collect());
    let mut tree = MemoryTree::new();
    assert_eq!(tree.root(), empty_root());
    for i in 0..MAX {
        tree.append(hash_leaf(&entry(i))).unwrap();
        let want = reference.mth(0, (i + 1) as usize);
        assert_eq!(tree.root(), want, "frontier root, size {}", i + 1);
    }
    for size in 0..=MAX {
        let want = reference.mth(0, size as usize);
        assert_eq!(root_at(size, &tree).unwrap(), want, "root_at({size})");
    }
}

#[test]
fn inclusion_proofs_match_reference_and_verify() {
    let (tree, reference) = fixture();
    for size in 1..=MAX {
        let root = reference.mth(0, size as usize);
        for index in 0..size {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            assert_eq!(
                proof,
                reference.path(index as usize, 0, size as usize),
                "PATH({index}, D[0:{size}])"
            );
            let leaf = hash_leaf(&entry(index));
            if verified(index, size) {
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    Ok(()),
                    "index {index} size {size}"
                );
            } else if !proof.is_empty() {
                // Costs no hashing, yet checks for every pair that the
                // verifier expects exactly the proof length PATH produces.
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &[], &root),
                    Err(ProofError::WrongProofLength {
                        expected: proof.len(),
                        actual: 0
                    })
                );
            }
        }
    }
}

#[test]
fn consistency_proofs_match_reference_and_verify() {
    let (tree, reference) = fixture();
    let roots: Vec<Hash> = (0..=MAX).map(|s| reference.mth(0, s as usize)).collect();
    for second in 1..=MAX {
        for first in 1..=second {
            let proof = consistency_proof(first, second, &tree).unwrap();
            assert_eq!(
                proof,
                reference.subproof(first as usize, 0, second as usize, true),
                "PROOF({first}, D[0:{second}])"
            );
            if verified(first, second) {
                assert_eq!(
                    verify_consistency(
                        first,
                        second,
                        &proof,
                        &roots[first as usize],
                        &roots[second as usize]
                    ),
                    Ok(()),
                    "{first} -> {second}"
                );
            } else if !proof.is_empty() {
                assert_eq!(
                    verify_consistency(
                        first,
                        second,
                        &[],
                        &roots[first as usize],
                        &roots[second as usize]
                    ),
                    Err(ProofError::WrongProofLength {
                        expected: proof.len(),
                        actual: 0
                    }),
                    "{first} -> {second}"
                );
            }
        }
        // Every tree extends the empty one, with an empty proof.
        assert_eq!(
            consistency_proof(0, second, &tree).unwrap(),
            Vec::<Hash>::new()
        );
        assert_eq!(
            verify_consistency(0, second, &[], &empty_root(), &roots[second as usize]),
            Ok(())
        );
    }
}

fn flip_bit(hash: &mut Hash, bit: usize) {
    hash[(bit / 8) % 32] ^= 1 << (bit % 8);
}

#[test]
fn tampered_inclusion_proofs_are_rejected() {
    let (tree, _) = fixture();
    let roots: Vec<Hash> = (0..=MAX).map(|s| root_at(s, &tree).unwrap()).collect();
    let other_leaf = hash_leaf(b"not in the log");
    for size in 1..=33u64 {
        let root = roots[size as usize];
        for index in 0..size {
            let leaf = hash_leaf(&entry(index));
            let proof = inclusion_proof(index, size, &tree).unwrap();
            let verify = |leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash| {
                verify_inclusion(leaf, index, size, proof, root)
            };

            assert_eq!(
                verify(&other_leaf, index, size, &proof, &root),
                Err(ProofError::RootMismatch)
            );
            let mut flipped_leaf = leaf;
            flipped_leaf[31] ^= 1;
            assert_eq!(
                verify(&flipped_leaf, index, size, &proof, &root),
                Err(ProofError::RootMismatch)
            );

            for i in 0..proof.len() {
                // A different bit each time, so that every bit position of
                // an element gets exercised across the loop.
                let bit = (index as usize * 31 + i * 97) % 256;
                let mut bad = proof.clone();
                flip_bit(&mut bad[i], bit);
                assert_eq!(
                    verify(&leaf, index, size, &bad, &root),
                    Err(ProofError::RootMismatch),
                    "bit {bit} of element {i}, index {index} size {size}"
                );
            }
            if proof.len() >= 2 {
                let mut swapped = proof.clone();
                swapped.swap(0, 1);
                assert_eq!(
                    verify(&leaf, index, size, &swapped, &root),
                    Err(ProofError::RootMismatch)
                );
                let mut reversed = proof.clone();
                reversed.reverse();
                assert_eq!(
                    verify(&leaf, index, size, &reversed, &root),
                    Err(ProofError::RootMismatch)
                );
            }
            if !proof.is_empty() {
                assert_eq!(
                    verify(&leaf, index, size, &proof[..proof.len() - 1], &root),
                    Err(ProofError::WrongProofLength {
                        expected: proof.len(),
                        actual: proof.len() - 1
                    })
                );
            }
            let mut extended = proof.clone();
            extended.push(root);
            assert_eq!(
                verify(&leaf, index, size, &extended, &root),
                Err(ProofError::WrongProofLength {
                    expected: proof.len(),
                    actual: proof.len() + 1
                })
            );
            let wrong_indices: Vec<u64> = if size <= 16 {
                (0..size).collect()
            } else {
                vec![0, index.saturating_sub(1), index + 1, index ^ 1, size - 1]
            };
            for wrong_index in wrong_indices
                .into_iter()
                .filter(|&i| i != index && i < size)
            {
                assert!(
                    verify(&leaf, wrong_index, size, &proof, &root).is_err(),
                    "index {index} accepted as {wrong_index} in size {size}"
                );
            }
            assert_eq!(
                verify(&leaf, size, size, &proof, &root),
                Err(ProofError::IndexOutOfRange { index: size, size })
            );
            // Claiming another size, with that size's genuine root, fails: the
            // proof's shape and the root both depend on the size.
            for wrong_size in (index + 1..=size + 3).filter(|&s| s != size) {
                assert!(
                    verify(
                        &leaf,
                        index,
                        wrong_size,
                        &proof,
                        &roots[wrong_size as usize]
                    )
                    .is_err(),
                    "size {size} accepted as {wrong_size} for index {index}"
                );
            }
        }
    }
}

#[test]
fn tampered_consistency_proofs_are_rejected() {
    let (tree, _) = fixture();
    let roots: Vec<Hash> = (0..=MAX).map(|s| root_at(s, &tree).unwrap()).collect();
    for second in 2..=33u64 {
        for first in 1..second {
            let proof = consistency_proof(first, second, &tree).unwrap();
            let (r1, r2) = (roots[first as usize], roots[second as usize]);
            for i in 0..proof.len() {
                let bit = (first as usize * 31 + second as usize * 7 + i * 97) % 256;
                let mut bad = proof.clone();
                flip_bit(&mut bad[i], bit);
                assert!(
                    matches!(
                        verify_consistency(first, second, &bad, &r1, &r2),
                        Err(ProofError::FirstRootMismatch | ProofError::SecondRootMismatch)
                    ),
                    "bit {bit} of element {i}, {first} -> {second}"
                );
            }
            if proof.len() >= 2 {
                let mut reversed = proof.clone();
                reversed.reverse();
                assert!(verify_consistency(first, second, &reversed, &r1, &r2).is_err());
            }
            assert_eq!(
                verify_consistency(first, second, &proof[..proof.len() - 1], &r1, &r2),
                Err(ProofError::WrongProofLength {
                    expected: proof.len(),
                    actual: proof.len() - 1
                })
            );
            let mut extended = proof.clone();
            extended.push(r2);
            assert!(matches!(
                verify_consistency(first, second, &extended, &r1, &r2),
                Err(ProofError::WrongProofLength { .. })
            ));
            assert_eq!(
                verify_consistency(second, first, &proof, &r2, &r1),
                Err(ProofError::SizeOrder {
                    first: second,
                    second: first
                })
            );
            // Wrong roots: a neighbouring size's root in either position.
            assert!(
                verify_consistency(first, second, &proof, &roots[first as usize - 1], &r2).is_err()
            );
            assert!(
                verify_consistency(first, second, &proof, &r1, &roots[second as usize + 1])
                    .is_err()
            );
            // Wrong sizes, each with its genuine root.
            for (f, s) in [
                (first + 1, second),
                (first, second + 1),
                (first - 1, second),
            ] {
                if f == 0 || f >= s || (f, s) == (first, second) {
                    continue;
                }
                assert!(
                    verify_consistency(f, s, &proof, &roots[f as usize], &roots[s as usize])
                        .is_err(),
                    "proof {first} -> {second} accepted as {f} -> {s}"
                );
            }
        }
        let r = roots[second as usize];
        assert_eq!(verify_consistency(second, second, &[], &r, &r), Ok(()));
        assert_eq!(
            verify_consistency(second, second, &[], &roots[1], &r),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(second, second, &[r], &r, &r),
            Err(ProofError::WrongProofLength {
                expected: 0,
                actual: 1
            })
        );
        assert_eq!(
            verify_consistency(0, second, &[], &roots[1], &r),
            Err(ProofError::FirstRootMismatch)
        );
    }
}

#[test]
fn forked_history_fails_consistency() {
    // Two logs agree on their first `shared` entries, then diverge.
    let honest = build((0..64).map(entry));
    let forked = build((0..64).map(|i| {
        if i < 20 {
            entry(i)
        } else {
            format!("rewritten {i}").into_bytes()
        }
    }));
    for first in [1, 2, 5, 13, 19, 20, 21, 22, 31, 32, 33, 40] {
        for second in first..=64u64 {
            let honest_first = root_at(first, &honest).unwrap();
            let forked_second = root_at(second, &forked).unwrap();
            for source in [&honest, &forked] {
                let proof = consistency_proof(first, second, source).unwrap();
                let result =
                    verify_consistency(first, second, &proof, &honest_first, &forked_second);
                if first <= 20 {
                    // Still a common prefix: the forked log really extends it.
                    if std::ptr::eq(source, &forked) {
                        assert_eq!(result, Ok(()), "{first} -> {second}");
                    }
                } else {
                    assert!(result.is_err(), "fork undetected: {first} -> {second}");
                }
            }
        }
    }

    // The same through signed checkpoints, as a client would see them.
    let key = SigningKey::from_bytes(&[7; 32]);
    let verifier = NoteVerifier::new("registry.example/log", key.verifying_key()).unwrap();
    let checkpoint = |tree: &MemoryTree, size: u64| {
        let cp = Checkpoint {
            origin: "registry.example/log".to_owned(),
            size,
            root: root_at(size, tree).unwrap(),
            extensions: vec![],
        };
        sign_checkpoint(&cp, "registry.example/log", &key).unwrap()
    };
    let old = open_checkpoint(&checkpoint(&honest, 30), &verifier).unwrap();
    let new = open_checkpoint(&checkpoint(&forked, 50), &verifier).unwrap();
    let proof = consistency_proof(old.size, new.size, &forked).unwrap();
    assert_eq!(
        verify_consistency(old.size, new.size, &proof, &old.root, &new.root),
        Err(ProofError::FirstRootMismatch)
    );
}

#[test]
fn restart_keeps_the_root() {
    let (tree, _) = fixture();
    let mut live = Frontier::new();
    for size in 0..=MAX {
        let restored = Frontier::restore(size, &tree).unwrap();
        assert_eq!(restored, live, "size {size}");
        assert_eq!(restored.size(), size);
        assert_eq!(
            restored.root(),
            root_at(size, &tree).unwrap(),
            "size {size}"
        );
        for (id, hash) in restored.nodes() {
            assert_eq!(tree.node(id), Ok(hash));
        }
        if size < MAX {
            live.append(hash_leaf(&entry(size))).unwrap();
        }
    }

    // A restored frontier keeps appending exactly as the original would.
    let mut restored = Frontier::restore(137, &tree).unwrap();
    let mut copy = MemoryTree::new();
    for i in 0..137 {
        copy.append(hash_leaf(&entry(i))).unwrap();
    }
    for i in 137..MAX {
        let from_restored = restored.append(hash_leaf(&entry(i))).unwrap();
        let from_copy = copy.append(hash_leaf(&entry(i))).unwrap();
        assert_eq!(from_restored, from_copy);
    }
    assert_eq!(restored.root(), tree.root());
}

#[test]
fn append_completes_the_right_nodes() {
    let mut tree = MemoryTree::new();
    for size in 0..MAX {
        let leaf = hash_leaf(&entry(size));
        let from_source = nodes_completed_by_append(size, leaf, &tree).unwrap();
        let appended = tree.append(leaf).unwrap();
        assert_eq!(appended, from_source, "append at size {size}");
        assert_eq!(appended.len() as u32, 1 + size.trailing_ones());
        for (id, hash) in appended {
            // Each completed node covers a range that ends at the new size and
            // hashes to MTH of that range.
            let width = 1u64 << id.level;
            assert_eq!((id.index + 1) * width, size + 1);
            assert_eq!(tree.node(id), Ok(hash));
        }
    }
    assert_eq!(
        tree.node(NodeId::new(0, MAX)),
        Err(MissingNode(NodeId::leaf(MAX)))
    );
}

#[test]
fn bad_arguments_give_typed_errors() {
    let (tree, _) = fixture();
    assert_eq!(
        inclusion_proof(0, 0, &tree),
        Err(TreeError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        inclusion_proof(10, 10, &tree),
        Err(TreeError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    );
    assert_eq!(
        consistency_proof(11, 10, &tree),
        Err(TreeError::SizeOrder {
            first: 11,
            second: 10
        })
    );
    // Sizes beyond what the source holds.
    assert!(matches!(
        root_at(MAX + 1, &tree),
        Err(TreeError::Source(MissingNode(_)))
    ));
    assert!(matches!(
        inclusion_proof(0, MAX + 1, &tree),
        Err(TreeError::Source(_))
    ));
    assert!(matches!(
        consistency_proof(5, MAX + 1, &tree),
        Err(TreeError::Source(_))
    ));
    assert!(matches!(
        consistency_proof(MAX + 1, MAX + 1, &tree),
        Err(TreeError::Source(_))
    ));
    assert!(matches!(
        consistency_proof(0, MAX + 1, &tree),
        Err(TreeError::Source(_))
    ));
    assert!(matches!(
        Frontier::restore(MAX + 1, &tree),
        Err(TreeError::Source(_))
    ));
    assert!(matches!(
        nodes_completed_by_append(MAX + 1, [0; 32], &tree),
        Err(TreeError::Source(_))
    ));
    assert_eq!(root_at(0, &MemoryTree::new()), Ok(empty_root()));

    assert_eq!(
        verify_inclusion(&[0; 32], 0, 0, &[], &empty_root()),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        verify_consistency(2, 1, &[], &[0; 32], &[0; 32]),
        Err(ProofError::SizeOrder {
            first: 2,
            second: 1
        })
    );
}

/// A virtual tree whose every leaf is the same entry, so that the hash of any
/// perfect node depends only on its level. It stands in for logs of up to
/// `u64::MAX` leaves.
struct UniformTree {
    by_level: Vec<Hash>,
}

impl UniformTree {
    fn new() -> Self {
        let mut by_level = vec![hash_leaf(b"same")];
        for level in 0..64 {
            let below = by_level[level];
            by_level.push(hash_children(&below, &below));
        }
        Self { by_level }
    }
}

impl NodeSource for UniformTree {
    type Error = Infallible;

    fn node(&self, id: NodeId) -> Result<Hash, Infallible> {
        Ok(self.by_level[usize::from(id.level)])
    }
}

/// A small deterministic generator (xorshift64*), enough to pick varied sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A size with a random bit length, so that small and huge trees both occur.
    fn size(&mut self) -> u64 {
        let bits = self.next() % 65;
        if bits == 64 {
            self.next()
        } else {
            self.next() & ((1u64 << bits) - 1)
        }
    }
}

#[test]
fn huge_trees_prove_and_verify_without_overflow() {
    let tree = UniformTree::new();
    let leaf = tree.by_level[0];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = vec![(u64::MAX - 1, u64::MAX), (0, u64::MAX), (1 << 63, u64::MAX)];
    cases.extend((0..60).map(|_| {
        let size = rng.size().max(1);
        (rng.next() % size, size)
    }));
    for (index, size) in cases {
        let root = root_at(size, &tree).unwrap();
        let proof = inclusion_proof(index, size, &tree).unwrap();
        assert!(proof.len() <= 64);
        assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
        let mut bad = proof.clone();
        if let Some(first) = bad.first_mut() {
            first[0] ^= 1;
            assert_eq!(
                verify_inclusion(&leaf, index, size, &bad, &root),
                Err(ProofError::RootMismatch)
            );
        }
    }

    let mut pairs = vec![
        (1, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 63, u64::MAX),
        ((1 << 63) + 1, u64::MAX),
        (u64::MAX, u64::MAX),
    ];
    pairs.extend((0..60).map(|_| {
        let (a, b) = (rng.size(), rng.size());
        (a.min(b), a.max(b))
    }));
    for (first, second) in pairs {
        let proof = consistency_proof(first, second, &tree).unwrap();
        let (r1, r2) = (
            root_at(first, &tree).unwrap(),
            root_at(second, &tree).unwrap(),
        );
        assert_eq!(
            verify_consistency(first, second, &proof, &r1, &r2),
            Ok(()),
            "{first} -> {second}"
        );
    }

    // The log cannot grow past u64::MAX leaves; that is an error, not a wrap.
    let mut full = Frontier::restore(u64::MAX, &tree).unwrap();
    assert_eq!(full.append(leaf), Err(TreeFull));
    assert_eq!(full.size(), u64::MAX);
    assert_eq!(
        nodes_completed_by_append(u64::MAX, leaf, &tree),
        Err(TreeError::TreeFull(TreeFull))
    );
}

#[test]
fn verifiers_survive_arbitrary_input() {
    let mut rng = Rng(42);
    let garbage: Vec<Hash> = (0..200)
        .map(|_| {
            let mut h = [0u8; 32];
            for chunk in h.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            h
        })
        .collect();
    let mut sizes = vec![0, 1, 2, 3, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1];
    sizes.extend((0..16).map(|_| rng.size()));
    for &a in &sizes {
        for &b in &sizes {
            for len in [0, 1, 2, 31, 63, 64, 65, 128, 200] {
                let proof = &garbage[..len];
                // Only the absence of panics matters here; random data must
                // never verify.
                assert!(verify_inclusion(&garbage[0], a, b, proof, &garbage[1]).is_err());
                let _ = root_from_inclusion_proof(&garbage[0], a, b, proof);
                assert!(verify_consistency(a, b, proof, &garbage[2], &garbage[3]).is_err());
            }
        }
    }
}
