use crate::*;

fn tile(level: TileLevel, index: u64, width: u16) -> Tile {
    Tile {
        level,
        index,
        width,
    }
}

#[test]
fn tile_paths_follow_the_spec_examples() {
    let cases = [
        (
            tile(TileLevel::Hashes(0), 1_234_067, 256),
            "0/x001/x234/067",
        ),
        (tile(TileLevel::Hashes(1), 0, 256), "1/000"),
        (tile(TileLevel::Hashes(2), 999, 7), "2/999.p/7"),
        (tile(TileLevel::Hashes(0), 1000, 256), "0/x001/000"),
        (tile(TileLevel::Entries, 12, 255), "entries/012.p/255"),
        (
            tile(TileLevel::Entries, u64::MAX, 256),
            "entries/x018/x446/x744/x073/x709/x551/615",
        ),
    ];
    for (tile, path) in cases {
        assert_eq!(tile.to_string(), path);
        assert_eq!(Tile::parse(path), Ok(tile), "{path}");
    }
}

#[test]
fn every_tile_path_round_trips() {
    for index in (0..5000).chain([999_999, 1_000_000, 123_456_789]) {
        for width in [1, 17, 255, 256] {
            let t = tile(TileLevel::Hashes((index % 8) as u8), index, width);
            assert_eq!(Tile::parse(&t.to_string()), Ok(t));
        }
    }
}

#[test]
fn malformed_tile_paths_are_refused_with_the_part_named() {
    let level = |p: &str| matches!(Tile::parse(p), Err(TilePathError::Level(_)));
    let index = |p: &str| matches!(Tile::parse(p), Err(TilePathError::Index(_)));
    let width = |p: &str| matches!(Tile::parse(p), Err(TilePathError::Width(_)));
    assert!(level("64/000") && level("01/000") && level("-1/000") && level("x/000"));
    assert!(level("/000") && level("entry/000"));
    for bad in [
        "0/1",
        "0/01",
        "0/0001",
        "0/x000/001",
        "0/001/001",
        "0/x01/001",
        "0/abc",
    ] {
        assert!(index(bad), "{bad}");
    }
    assert!(index("0/000/") && index("0/"));
    for bad in [
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/07",
        "0/000.p/",
        "0/000.p/x",
    ] {
        assert!(width(bad), "{bad}");
    }
    assert!(matches!(Tile::parse("0"), Err(TilePathError::Shape(_))));
    assert!(matches!(
        Tile::parse("0/x018/x446/x744/x073/x709/x551/616"),
        Err(TilePathError::IndexTooLarge(_))
    ));
}

#[test]
fn tile_widths_follow_the_tree_size() {
    assert_eq!(Tile::hashes(0, 0, 0), None);
    assert_eq!(Tile::hashes(0, 0, 5).map(|t| t.width), Some(5));
    assert_eq!(Tile::hashes(0, 1, 300).map(|t| t.width), Some(44));
    assert_eq!(Tile::hashes(0, 0, 300).map(|t| t.is_full()), Some(true));
    assert_eq!(Tile::hashes(1, 0, 300).map(|t| t.width), Some(1));
    assert_eq!(Tile::hashes(1, 0, 255), None);
    assert_eq!(Tile::hashes(2, 0, 1 << 16).map(|t| t.width), Some(1));
    assert_eq!(Tile::hashes(9, 0, u64::MAX), None);
    assert_eq!(Tile::entries(2, 600).map(|t| t.width), Some(88));
    assert_eq!(Tile::entries(3, 600), None);
}

#[test]
fn entry_bundles_round_trip_and_refuse_bad_input() {
    let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7; 300]];
    let bundle = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bundle[..3], &[0, 1, b'a']);
    assert_eq!(&bundle[3..5], &[0, 0]);
    assert_eq!(&bundle[5..7], &[1, 44]);
    let decoded = decode_entry_bundle(&bundle, 3).unwrap();
    assert_eq!(
        decoded,
        entries.iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    assert!(matches!(
        decode_entry_bundle(&bundle, 2),
        Err(BundleError::Count { expected: 2, .. })
    ));
    assert!(matches!(
        decode_entry_bundle(&bundle, 4),
        Err(BundleError::Count { found: 3, .. })
    ));
    assert_eq!(
        decode_entry_bundle(&bundle[..bundle.len() - 1], 3),
        Err(BundleError::Truncated(2))
    );
    assert_eq!(decode_entry_bundle(&[0], 1), Err(BundleError::Truncated(0)));
    assert!(matches!(
        encode_entry_bundle(&[vec![0u8; 65_536]]),
        Err(BundleError::EntryTooLarge {
            index: 0,
            len: 65_536
        })
    ));
}

/// The tiles of a tree, cut from a [`MemoryTree`] as a server would serve them.
fn tiles_of(tree: &MemoryTree, wanted: &[Tile]) -> TileSet {
    let mut set = TileSet::new();
    for t in wanted {
        let first = t.first().unwrap();
        let bytes: Vec<u8> = (first..first + u64::from(t.width))
            .flat_map(|i| tree.node(NodeId::new(t.height() as u8, i)).unwrap())
            .collect();
        set.add(*t, &bytes).unwrap();
    }
    set
}

#[test]
fn roots_and_proofs_from_tiles_match_the_tree() {
    let mut tree = MemoryTree::new();
    for size in 1..=70_000u64 {
        tree.append(hash_leaf(&size.to_be_bytes())).unwrap();
        if ![1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000].contains(&size) {
            continue;
        }
        let tiles = tiles_read_by(size, |source| root_at(size, source).map(|_| ()));
        let set = tiles_of(&tree, &tiles);
        assert_eq!(
            root_at(size, &set).unwrap(),
            root_at(size, &tree).unwrap(),
            "{size}"
        );
        for old in [1, size / 2, size - 1].into_iter().filter(|&o| o > 0) {
            let tiles = tiles_read_by(size, |s| consistency_proof(old, size, s).map(|_| ()));
            let set = tiles_of(&tree, &tiles);
            assert_eq!(
                consistency_proof(old, size, &set).unwrap(),
                consistency_proof(old, size, &tree).unwrap()
            );
            let tiles = tiles_read_by(size, |s| inclusion_proof(old - 1, size, s).map(|_| ()));
            let set = tiles_of(&tree, &tiles);
            assert_eq!(
                inclusion_proof(old - 1, size, &set).unwrap(),
                inclusion_proof(old - 1, size, &tree).unwrap()
            );
        }
    }
}

#[test]
fn a_tile_of_the_wrong_size_is_refused_and_a_missing_one_reported() {
    let mut set = TileSet::new();
    let t = tile(TileLevel::Hashes(0), 0, 2);
    assert!(set.add(t, &[0; 63]).is_err());
    assert_eq!(
        root_at(2, &set),
        Err(TreeError::Source(MissingTile(NodeId::new(1, 0))))
    );
}
