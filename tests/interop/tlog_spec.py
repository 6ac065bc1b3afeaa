"""A log client written from the C2SP specifications (tlog-tiles, tlog-checkpoint, signed-note) and
RFC 6962 / RFC 9162, not from the registry's code: tile names, entry bundles, checkpoint notes and
the Merkle tree hash. Used by the monitor and witness tests."""

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TILE_WIDTH = 256
EM_DASH = "\u2014"


def tile_index_path(n):
    """tlog-tiles: N as zero-padded 3-digit path elements, all but the last prefixed with x."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x%03d" if i < len(groups) - 1 else "%03d") % g for i, g in enumerate(groups))


def tile_path(level, n, width):
    """`tile/<L>/<N>[.p/<W>]`, `level` an int or "entries"."""
    path = f"tile/{level}/{tile_index_path(n)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def tiles_of_level(count):
    """(index, width) of the tiles holding `count` hashes (or entries) of one level."""
    return [(n, min(TILE_WIDTH, count - n * TILE_WIDTH)) for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH)]


def parse_entry_bundle(data, width):
    """Big-endian uint16 length-prefixed entries; exactly `width` of them."""
    entries, pos = [], 0
    while pos < len(data):
        assert pos + 2 <= len(data), "truncated length"
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        assert pos + length <= len(data), "truncated entry"
        entries.append(data[pos : pos + length])
        pos += length
    assert len(entries) == width, f"{len(entries)} entries, expected {width}"
    return entries


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    """RFC 6962 MTH over leaf hashes: split at the largest power of two below n."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def key_id(name, public_key):
    """signed-note: the first 4 bytes of SHA-256(name || "\\n" || 0x01 || key)."""
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + public_key).digest()[:4]


def vkey(name, public_key):
    encoded = base64.b64encode(b"\x01" + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_vkey(text):
    name, kid, key = text.split("+", 2)
    raw = base64.b64decode(key)
    assert raw[0] == 1 and len(raw) == 33, "an Ed25519 verifier key"
    assert bytes.fromhex(kid) == key_id(name, raw[1:])
    return name, raw[1:]


def split_note(note):
    """(body, [(name, key id, signature)]) of a signed note."""
    assert note.endswith("\n")
    body, sep, signatures = note.rpartition("\n\n")
    assert sep, "no blank line"
    body += "\n"
    lines = []
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith(EM_DASH + " "), line
        name, sig = line[2:].split(" ")
        raw = base64.b64decode(sig)
        lines.append((name, raw[:4], raw[4:]))
    return body, lines


def verify_note(note, name, public_key):
    """The body, if a line by (name, key) verifies; raises otherwise."""
    body, lines = split_note(note)
    kid = key_id(name, public_key)
    found = [sig for (n, k, sig) in lines if n == name and k == kid]
    assert found, f"no signature by {name}"
    for sig in found:
        Ed25519PublicKey.from_public_bytes(public_key).verify(sig, body.encode())
    return body


def parse_checkpoint(body):
    """tlog-checkpoint: origin, decimal size, base64 root, then extension lines."""
    lines = body.rstrip("\n").split("\n")
    origin, size, root = lines[0], lines[1], base64.b64decode(lines[2], validate=True)
    assert size == str(int(size)), "size without leading zeros"
    assert len(root) == 32
    return origin, int(size), root, lines[3:]
