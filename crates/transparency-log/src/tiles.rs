//! The log as static tiles (c2sp.org/tlog-tiles): tile names, entry bundles,
//! and a [`NodeSource`] that answers from fetched tiles.
//!
//! A hash tile at level `L` and index `N` holds, concatenated, the hashes of
//! the tree nodes at height `8 * L` with indices `N * 256 .. N * 256 + W`
//! ([`TILE_WIDTH`] = 256, `W` its width). A tile of width 256 is full and never
//! changes; a narrower one is partial and is named with a `.p/<W>` suffix. The
//! entry bundle `entries/<N>` holds the leaf data of entries `N * 256 ..` in the
//! same way, each entry as a big-endian `uint16` length and its bytes.
//!
//! Tile indices are written as zero-padded three-digit path elements, every one
//! but the last prefixed with `x`: index 1234067 is `x001/x234/067`. Parsing is
//! strict (one spelling per tile), so a cache never holds two copies of one
//! tile under different names.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;

use crate::hash::{Hash, hash_children};
use crate::tree::{NodeId, NodeSource};

/// Tree levels one tile spans: a hash tile of level `L` holds nodes of height
/// `8 * L`.
pub const TILE_HEIGHT: u8 = 8;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// Highest hash tile level that can hold a node: tree heights stop at 63.
pub const MAX_TILE_LEVEL: u8 = 63 / TILE_HEIGHT;

/// Largest entry an entry bundle can carry (its length is a `uint16`).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileLevel {
    /// Node hashes of tree height `8 * level`.
    Hashes(u8),
    /// Leaf data (an entry bundle).
    Entries,
}

/// One tile: its level, its index within the level, and its width (1 to 256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Hashes of which level, or entries.
    pub level: TileLevel,
    /// Position among the tiles of its level, from the left.
    pub index: u64,
    /// How many hashes or entries it holds; 256 for a full tile.
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TilePathError {
    /// The level is neither `entries` nor a decimal number from 0 to 63
    /// without leading zeros.
    #[error("tile level {0:?} is not `entries` or a number from 0 to 63")]
    Level(String),
    /// The index is not zero-padded three-digit elements, all but the last
    /// prefixed with `x`, without leading `x000` elements.
    #[error("tile index {0:?} is not written as x-prefixed three-digit path elements")]
    Index(String),
    /// The index does not fit in 64 bits.
    #[error("tile index {0:?} is too large")]
    IndexTooLarge(String),
    /// The partial width is not a decimal number from 1 to 255 without leading
    /// zeros.
    #[error("partial tile width {0:?} is not a number from 1 to 255")]
    Width(String),
    /// The path is not `<level>/<index>[.p/<width>]`.
    #[error("tile path {0:?} is not <level>/<index>[.p/<width>]")]
    Shape(String),
}

impl Tile {
    /// The hash tile of `level` and `index` in a tree of `tree_size` leaves, at
    /// the width that tree gives it; `None` when that tree has no node in it.
    pub fn hashes(level: u8, index: u64, tree_size: u64) -> Option<Self> {
        let nodes = tree_size.checked_shr(u32::from(level) * u32::from(TILE_HEIGHT))?;
        Self::of_count(TileLevel::Hashes(level), index, nodes)
    }

    /// The entry bundle `index` of a tree of `tree_size` leaves, at the width
    /// that tree gives it; `None` when it holds no entry of that tree.
    pub fn entries(index: u64, tree_size: u64) -> Option<Self> {
        Self::of_count(TileLevel::Entries, index, tree_size)
    }

    fn of_count(level: TileLevel, index: u64, count: u64) -> Option<Self> {
        let first = index.checked_mul(TILE_WIDTH)?;
        let width = count.checked_sub(first)?.min(TILE_WIDTH);
        (width > 0).then_some(Self {
            level,
            index,
            width: width as u16,
        })
    }

    /// Whether it holds [`TILE_WIDTH`] hashes or entries, and so never changes.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The index of its first hash or entry within its level; `None` past
    /// `u64::MAX`.
    pub fn first(&self) -> Option<u64> {
        self.index.checked_mul(TILE_WIDTH)
    }

    /// The tree height of the hashes it holds (0 for entry bundles, whose
    /// leaves' hashes are at height 0); above 63 no tree has such a node.
    pub fn height(&self) -> u32 {
        match self.level {
            TileLevel::Hashes(level) => u32::from(level) * u32::from(TILE_HEIGHT),
            TileLevel::Entries => 0,
        }
    }

    /// Parses a path relative to the log's prefix and `tile/`: `0/x001/234`,
    /// `entries/005.p/17`.
    pub fn parse(path: &str) -> Result<Self, TilePathError> {
        let (level, rest) = path
            .split_once('/')
            .ok_or_else(|| TilePathError::Shape(path.to_owned()))?;
        let level = match level {
            "entries" => TileLevel::Entries,
            _ => TileLevel::Hashes(
                canonical_number(level)
                    .filter(|&l| l <= 63)
                    .ok_or_else(|| TilePathError::Level(level.to_owned()))? as u8,
            ),
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = canonical_number(width)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or_else(|| TilePathError::Width(width.to_owned()))?;
                (index, width as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        Ok(Self {
            level,
            index: parse_index(index)?,
            width,
        })
    }
}

impl fmt::Display for Tile {
    /// The path under `tile/`, e.g. `0/x001/x234/067.p/5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            TileLevel::Hashes(level) => write!(f, "{level}/")?,
            TileLevel::Entries => f.write_str("entries/")?,
        }
        let mut groups = Vec::new();
        let mut rest = self.index;
        loop {
            groups.push(rest % 1000);
            rest /= 1000;
            if rest == 0 {
                break;
            }
        }
        for (i, group) in groups.iter().rev().enumerate() {
            let last = i + 1 == groups.len();
            write!(
                f,
                "{}{group:03}{}",
                if last { "" } else { "x" },
                if last { "" } else { "/" }
            )?;
        }
        if !self.is_full() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

/// A decimal number without sign or leading zeros (`0` itself is allowed).
fn canonical_number(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

fn parse_index(text: &str) -> Result<u64, TilePathError> {
    let bad = || TilePathError::Index(text.to_owned());
    let elements: Vec<&str> = text.split('/').collect();
    let mut index: u64 = 0;
    for (i, element) in elements.iter().enumerate() {
        let last = i + 1 == elements.len();
        let digits = if last {
            *element
        } else {
            element.strip_prefix('x').ok_or_else(bad)?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        // Leading zero groups would give one tile a second name.
        if i == 0 && !last && digits == "000" {
            return Err(bad());
        }
        let group: u64 = digits.parse().map_err(|_| bad())?;
        index = index
            .checked_mul(1000)
            .and_then(|i| i.checked_add(group))
            .ok_or_else(|| TilePathError::IndexTooLarge(text.to_owned()))?;
    }
    Ok(index)
}

/// Why an entry bundle was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// An entry is longer than a `uint16` length can say.
    #[error("entry {index} is {len} bytes, more than {MAX_ENTRY_BYTES}")]
    EntryTooLarge {
        /// Position of the entry in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The bundle ends inside an entry or its length.
    #[error("the bundle ends inside entry {0}")]
    Truncated(usize),
    /// The bundle holds another number of entries than its width.
    #[error("the bundle holds {found} entries, expected {expected}")]
    Count {
        /// Entries the tile's width says.
        expected: usize,
        /// Entries found (at least this many).
        found: usize,
    },
}

/// An entry bundle: each entry as its big-endian `uint16` length and its bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, BundleError> {
    let total: usize = entries.iter().map(|e| 2 + e.as_ref().len()).sum();
    let mut bundle = Vec::with_capacity(total);
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLarge {
            index,
            len: entry.len(),
        })?;
        bundle.extend_from_slice(&len.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// The entries of a bundle that must hold exactly `width` of them.
pub fn decode_entry_bundle(bundle: &[u8], width: usize) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::with_capacity(width.min(TILE_WIDTH as usize));
    let mut rest = bundle;
    while !rest.is_empty() {
        let index = entries.len();
        if index == width {
            return Err(BundleError::Count {
                expected: width,
                found: index + 1,
            });
        }
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or(BundleError::Truncated(index))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(BundleError::Truncated(index));
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry);
        rest = tail;
    }
    if entries.len() != width {
        return Err(BundleError::Count {
            expected: width,
            found: entries.len(),
        });
    }
    Ok(entries)
}

/// The hash tiles a computation over the tree of `tree_size` leaves reads,
/// learnt by running `compute` over a source that answers zeros (which nodes
/// the tree algorithms read depends on sizes and indices only, never on
/// hashes). Nodes outside the tree of `tree_size` leaves are left out: the
/// computation reports them itself when run over the tiles.
pub fn tiles_read_by<T>(
    tree_size: u64,
    compute: impl FnOnce(&dyn NodeSource<Error = Infallible>) -> T,
) -> Vec<Tile> {
    struct Recorder(std::cell::RefCell<Vec<NodeId>>);
    impl NodeSource for Recorder {
        type Error = Infallible;
        fn node(&self, id: NodeId) -> Result<Hash, Infallible> {
            self.0.borrow_mut().push(id);
            Ok([0; 32])
        }
    }
    let recorder = Recorder(Default::default());
    compute(&recorder);
    let mut tiles: Vec<Tile> = recorder
        .0
        .into_inner()
        .into_iter()
        .filter_map(|id| tile_of(id, tree_size))
        .collect();
    tiles.sort();
    tiles.dedup();
    tiles
}

/// The hash tile holding the hashes node `id` is computed from, at the width
/// the tree of `tree_size` leaves gives it; `None` if the node is not complete
/// in that tree.
fn tile_of(id: NodeId, tree_size: u64) -> Option<Tile> {
    let end = id.index.checked_add(1)?.checked_shl(u32::from(id.level))?;
    if id.level > 63 || end > tree_size {
        return None;
    }
    let level = id.level / TILE_HEIGHT;
    let below = u32::from(id.level % TILE_HEIGHT);
    Tile::hashes(level, (id.index << below) / TILE_WIDTH, tree_size)
}

/// A node a [`TileSet`] cannot compute: its tile was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no tile holds the node at level {} index {}", .0.level, .0.index)]
pub struct MissingTile(pub NodeId);

/// Hash tiles fetched from a log, as a [`NodeSource`]: a node of height
/// `8 * L + k` is recomputed from the `2^k` hashes below it in a level-`L` tile.
#[derive(Clone, Debug, Default)]
pub struct TileSet {
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

/// Why a tile's bytes were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("tile {tile} is {len} bytes; width {} needs {}", .tile.width, usize::from(.tile.width) * 32)]
pub struct TileSizeError {
    /// The tile.
    pub tile: Tile,
    /// Bytes received.
    pub len: usize,
}

impl TileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the bytes of hash tile `tile`, which must be `32 * width` long. A
    /// wider tile of the same position replaces a narrower one. Entry bundles
    /// are not hash tiles and are ignored.
    pub fn add(&mut self, tile: Tile, bytes: &[u8]) -> Result<(), TileSizeError> {
        let TileLevel::Hashes(level) = tile.level else {
            return Ok(());
        };
        if bytes.len() != usize::from(tile.width) * 32 {
            return Err(TileSizeError {
                tile,
                len: bytes.len(),
            });
        }
        let hashes: Vec<Hash> = bytes
            .chunks_exact(32)
            .filter_map(|chunk| chunk.try_into().ok())
            .collect();
        let slot = self.tiles.entry((level, tile.index)).or_default();
        if hashes.len() > slot.len() {
            *slot = hashes;
        }
        Ok(())
    }
}

impl NodeSource for TileSet {
    type Error = MissingTile;

    fn node(&self, id: NodeId) -> Result<Hash, MissingTile> {
        let missing = MissingTile(id);
        if id.level > 63 {
            return Err(missing);
        }
        let level = id.level / TILE_HEIGHT;
        let below = u32::from(id.level % TILE_HEIGHT);
        let first = id.index.checked_shl(below).ok_or(missing)?;
        let count = 1usize << below;
        let tile = self
            .tiles
            .get(&(level, first / TILE_WIDTH))
            .ok_or(missing)?;
        let start = (first % TILE_WIDTH) as usize;
        let mut layer: Vec<Hash> = tile.get(start..start + count).ok_or(missing)?.to_vec();
        while layer.len() > 1 {
            layer = layer
                .chunks_exact(2)
                .map(|pair| hash_children(&pair[0], &pair[1]))
                .collect();
        }
        layer.pop().ok_or(missing)
    }
}
