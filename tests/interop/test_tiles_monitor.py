"""An outside monitor, written from the C2SP tlog-tiles and tlog-checkpoint specifications
(tlog_spec.py), rebuilds the tree from the tiles alone and checks it against the signed checkpoint,
whose signature it checks with `cryptography`'s Ed25519 and the log key from the JWKS."""

import base64
import json

import requests

from conftest import digest
from tlog_spec import (
    TILE_WIDTH,
    leaf_hash,
    mth,
    node_hash,
    parse_checkpoint,
    parse_entry_bundle,
    tile_path,
    tiles_of_level,
    verify_note,
)


def http_base(server):
    return f"http://{server.address}"


def register(server, count, prefix):
    for start in range(0, count, 100):
        registrations = [
            {"ref": f"r{i}", "dataset": {"name": f"{prefix}-{i}", "version": "1", "contentDigest": digest(f"{prefix}{i}")}}
            for i in range(start, min(count, start + 100))
        ]
        answer = requests.post(
            f"{http_base(server)}/v1/datasets:batchRegister",
            json={"registrations": registrations},
            headers={"Authorization": f"Bearer {server.admin_token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text


def log_key(server):
    """The Ed25519 key the JWKS publishes for the log (RFC 8037 OKP, "use": "log")."""
    jwks = requests.get(f"{http_base(server)}/.well-known/jwks.json", timeout=10).json()
    keys = [k for k in jwks["keys"] if k.get("use") == "log"]
    assert len(keys) == 1 and keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519"
    return base64.urlsafe_b64decode(keys[0]["x"] + "==")


def fetch(server, path):
    answer = requests.get(f"{http_base(server)}/{path}", timeout=10)
    assert answer.status_code == 200, (path, answer.status_code, answer.text)
    return answer


def test_the_tree_rebuilt_from_tiles_alone_matches_the_signed_checkpoint(server):
    register(server, 700, "monitor")
    public_key = log_key(server)

    answer = fetch(server, "checkpoint")
    note = answer.text
    origin = note.split("\n", 1)[0]
    origin, size, root, extensions = parse_checkpoint(verify_note(note, origin, public_key))
    assert size > 700

    # The leaves, from the entry bundles.
    leaves = []
    for n, width in tiles_of_level(size):
        answer = fetch(server, tile_path("entries", n, width))
        expected = "max-age=31536000, immutable" if width == TILE_WIDTH else "max-age=60"
        assert expected in answer.headers["Cache-Control"], answer.headers
        leaves += [leaf_hash(e) for e in parse_entry_bundle(answer.content, width)]
    assert len(leaves) == size
    assert mth(leaves) == root

    # The hash tiles, level by level: level 0 holds the leaf hashes, level L the roots of the
    # complete subtrees of 256^L leaves, each the MTH of the level below.
    level_hashes = leaves
    level = 0
    while level_hashes:
        served = b""
        for n, width in tiles_of_level(len(level_hashes)):
            served += fetch(server, tile_path(level, n, width)).content
        assert served == b"".join(level_hashes), f"level {level}"
        level += 1
        level_hashes = [
            mth(level_hashes[i : i + TILE_WIDTH])
            for i in range(0, len(level_hashes) - TILE_WIDTH + 1, TILE_WIDTH)
        ]

    # The root again, from the hash tiles alone: the right fold of the complete subtrees that
    # decompose [0, size), each computed from the tile holding its hashes.
    def subtree(height, index):
        tile_level, below = divmod(height, 8)
        count = size >> (8 * tile_level)
        first = index << below
        n = first // TILE_WIDTH
        width = min(TILE_WIDTH, count - n * TILE_WIDTH)
        data = fetch(server, tile_path(tile_level, n, width)).content
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        layer = hashes[first % TILE_WIDTH : first % TILE_WIDTH + (1 << below)]
        while len(layer) > 1:
            layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        return layer[0]

    parts, start = [], 0
    for height in range(63, -1, -1):
        if size >> height & 1:
            parts.append(subtree(height, start >> height))
            start += 1 << height
    folded = parts[-1]
    for left in reversed(parts[:-1]):
        folded = node_hash(left, folded)
    assert folded == root


def test_tiles_outside_the_log_or_misspelt_are_refused(server):
    register(server, 3, "few")
    for path, status in [
        ("tile/0/000", 404),
        ("tile/entries/001.p/1", 404),
        ("tile/0/x000/000", 400),
        ("tile/0/0", 400),
        ("tile/0/000.p/0", 400),
    ]:
        answer = requests.get(f"{http_base(server)}/{path}", timeout=10)
        assert answer.status_code == status, (path, answer.text)
        assert json.loads(answer.text)["message"]
