//! Where a certificate sits in a token status list. Positions are handed out by a counter per
//! list and passed through a keyed permutation (a four-round Feistel network over the list's
//! index bits, SHA-256 as round function, the key secret to the registry), so that neither the
//! order of issuance nor the issuing organisation (every organisation shares the lists) can be
//! read from an index.

use sha2::{Digest, Sha256};

/// Index bits of a list: 2^20 positions (128 KiB before compression).
pub const LIST_INDEX_BITS: u32 = 20;

/// Positions in a list.
pub const LIST_CAPACITY: u64 = 1 << LIST_INDEX_BITS;

/// Feistel rounds: four make a keyed pseudo-random permutation of a balanced network.
const ROUNDS: u8 = 4;

/// The position of the `counter`-th certificate of a list whose permutation key is `key`, among
/// `2^bits` positions (`bits` even, at most 62, `counter` below `2^bits`). A bijection: distinct
/// counters give distinct positions.
pub fn shuffled_index(key: &[u8; 32], counter: u64, bits: u32) -> u64 {
    let half = bits / 2;
    let mask = (1u64 << half) - 1;
    let (mut left, mut right) = ((counter >> half) & mask, counter & mask);
    for round in 0..ROUNDS {
        let mut hasher = Sha256::new();
        hasher.update(key);
        hasher.update([round]);
        hasher.update(right.to_be_bytes());
        let digest = hasher.finalize();
        let mut word = [0u8; 8];
        word.copy_from_slice(&digest[..8]);
        let f = u64::from_be_bytes(word) & mask;
        (left, right) = (right, left ^ f);
    }
    (left << half) | right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_is_a_bijection_that_depends_on_the_key() {
        let key = [7u8; 32];
        let bits = 12;
        let mut seen = vec![false; 1 << bits];
        for counter in 0..(1u64 << bits) {
            let index = shuffled_index(&key, counter, bits);
            assert!(!seen[index as usize], "{index} twice");
            seen[index as usize] = true;
        }
        let first: Vec<u64> = (0..16).map(|c| shuffled_index(&key, c, bits)).collect();
        let other: Vec<u64> = (0..16).map(|c| shuffled_index(&[8; 32], c, bits)).collect();
        assert_ne!(first, other);
        // Consecutive certificates do not land on consecutive positions.
        assert!(
            first.windows(2).filter(|w| w[1] == w[0] + 1).count() < 4,
            "{first:?}"
        );
    }

    #[test]
    fn a_full_size_list_stays_in_range() {
        for counter in [0, 1, LIST_CAPACITY / 2, LIST_CAPACITY - 1] {
            assert!(shuffled_index(&[1; 32], counter, LIST_INDEX_BITS) < LIST_CAPACITY);
        }
    }
}
