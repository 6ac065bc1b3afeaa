//! The transparency log as static tiles (c2sp.org/tlog-tiles): hash tiles read from the stored
//! tree, entry bundles from the events' chain hashes. Public like the rest of the log.

use transparency_log::{Tile, TileLevel, encode_entry_bundle};

use super::Registry;
use crate::domain::event::MAX_SEQUENCE;
use crate::error::{Error, Result};

impl Registry {
    /// The bytes of `tile`, or `NotFound` while the log holds fewer hashes or entries at its
    /// position than its width. Stored nodes never change, so a tile once served is served the
    /// same forever, and a partial one is a prefix of the full tile it grows into.
    pub async fn tile(&self, tile: Tile) -> Result<Vec<u8>> {
        let width = u32::from(tile.width);
        let absent = || {
            Error::NotFound(format!(
                "tile {tile}: the log does not hold {width} {} there yet",
                match tile.level {
                    TileLevel::Entries => "entries",
                    TileLevel::Hashes(_) => "hashes",
                }
            ))
        };
        // Past the largest sequence (or height) the log can hold, nothing is stored.
        let first = tile
            .first()
            .filter(|&first| first < MAX_SEQUENCE)
            .ok_or_else(absent)?;
        match tile.level {
            TileLevel::Entries => {
                let leaves = self.store.log_leaves(first, width).await?;
                if leaves.len() != width as usize {
                    return Err(absent());
                }
                encode_entry_bundle(&leaves).map_err(Error::internal)
            }
            TileLevel::Hashes(_) => {
                let height = u8::try_from(tile.height())
                    .ok()
                    .filter(|&h| h < 64)
                    .ok_or_else(absent)?;
                let hashes = self.store.log_level(height, first, width).await?;
                if hashes.len() != width as usize {
                    return Err(absent());
                }
                Ok(hashes.concat())
            }
        }
    }
}
