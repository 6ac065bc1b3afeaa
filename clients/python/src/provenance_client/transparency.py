"""The transparency log, verified offline: RFC 9162 inclusion and consistency proofs, and C2SP
signed-note checkpoints against a pinned log key.

The same rules as the Rust crate ``transparency-log`` (which the registry and ``provctl`` use), with
the same outcomes: a rejected proof or note raises :class:`ProofError` or :class:`CheckpointError`
whose ``code`` is the Rust error variant in snake case (``wrong_proof_length``, ``root_mismatch``,
``not_signed_by_key``, ...), so that the shared cases of ``tests/data/verification_vectors.json``
prove identical verdicts on both sides.

Hashing (RFC 9162 section 2.1.1, SHA-256): a leaf is ``SHA-256(0x00 || data)``, an interior node
``SHA-256(0x01 || left || right)``. The registry's leaf data is an event's 32-byte chain hash, and
the leaf of event ``s`` is leaf index ``s - 1``.

A checkpoint (c2sp.org/tlog-checkpoint) is the note text ``<origin>\\n<size>\\n<base64 root>\\n``
plus extension lines (``time <unix seconds>``), an empty line, and signature lines
``— <key name> <base64(4-byte key id || Ed25519 signature)>``. Its signature is checked by the
registry's single Ed25519 rule (the one certificates are checked by), with a key pinned as a
verifier key ``<name>+<8 hex key id>+<base64(0x01 || public key)>`` (``provctl log key``, or the
``verifier_key`` of ``GetCheckpoint``: pin it once, out of band).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import _ed25519

__all__ = [
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CheckpointError",
    "LogKey",
    "ProofError",
    "empty_root",
    "hash_children",
    "hash_leaf",
    "key_id",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

#: Largest note accepted, in bytes (bounds the work an untrusted input can cause).
MAX_NOTE_BYTES = 1 << 20
#: Most signature lines a note may carry.
MAX_SIGNATURES = 100

_SIGNATURE_PREFIX = "\u2014 "
_ALG_ED25519 = 0x01
_U64_MAX = 2**64 - 1
_STANDARD_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


# ---- hashing -----------------------------------------------------------------------------------


def hash_leaf(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry."""
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_root() -> bytes:
    """The root of the empty tree, ``SHA-256("")``."""
    return hashlib.sha256(b"").digest()


# ---- proofs ------------------------------------------------------------------------------------


class ProofError(ValueError):
    """A proof was rejected. ``code`` names why, as the Rust ``ProofError`` variant:
    ``index_out_of_range``, ``size_order``, ``wrong_proof_length``, ``root_mismatch``,
    ``first_root_mismatch``, ``second_root_mismatch``; ``malformed`` for input that is not a proof
    at all (a hash that is not 32 bytes, a negative size)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _check_hashes(proof: Sequence[bytes], *roots: bytes) -> None:
    for item in (*proof, *roots):
        if not isinstance(item, (bytes, bytearray)) or len(item) != 32:
            raise ProofError("malformed", "every hash of a proof and every root is 32 bytes")


def _check_size(*numbers: int) -> None:
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= _U64_MAX:
            raise ProofError("malformed", "indices and tree sizes are whole numbers from 0 to 2**64 - 1")


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    while fn & 1 == 0 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _inclusion_proof_len(index: int, size: int) -> int:
    fn, sn = index, size - 1
    length = 0
    while sn != 0:
        if fn == sn and fn & 1 == 0:
            fn, sn = _shift_to_odd(fn, sn)
        fn >>= 1
        sn >>= 1
        length += 1
    return length


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _consistency_proof_len(first: int, second: int) -> int:
    length = 0 if _is_power_of_two(first) else 1
    fn, sn = first - 1, second - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    while sn != 0:
        if fn == sn and fn & 1 == 0:
            fn, sn = _shift_to_odd(fn, sn)
        fn >>= 1
        sn >>= 1
        length += 1
    return length


def root_from_inclusion_proof(leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """The root a tree of ``tree_size`` leaves has if ``leaf_hash`` is leaf ``leaf_index`` with this
    audit path (RFC 9162 section 2.1.3.2). Compare it with a trusted root, or use
    :func:`verify_inclusion`.

    Raises:
        ProofError: ``index_out_of_range``, ``wrong_proof_length`` (checked before any hashing).
    """
    _check_size(leaf_index, tree_size)
    _check_hashes(proof, leaf_hash)
    if leaf_index >= tree_size:
        raise ProofError("index_out_of_range", f"leaf index {leaf_index} is out of range for tree size {tree_size}")
    expected = _inclusion_proof_len(leaf_index, tree_size)
    if len(proof) != expected:
        raise ProofError("wrong_proof_length", f"proof has {len(proof)} hashes where {expected} are required")
    fn, sn = leaf_index, tree_size - 1
    root = bytes(leaf_hash)
    for sibling in proof:
        if fn & 1 == 1 or fn == sn:
            root = hash_children(bytes(sibling), root)
            if fn & 1 == 0:
                fn, sn = _shift_to_odd(fn, sn)
        else:
            root = hash_children(root, bytes(sibling))
        fn >>= 1
        sn >>= 1
    return root


def verify_inclusion(leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Checks that ``leaf_hash`` is leaf ``leaf_index`` of the tree of ``tree_size`` leaves whose
    root is ``root`` (from a verified checkpoint).

    Raises:
        ProofError: why not (``root_mismatch`` when the path leads elsewhere).
    """
    _check_hashes((), root)
    if root_from_inclusion_proof(leaf_hash, leaf_index, tree_size, proof) != root:
        raise ProofError("root_mismatch", "the proof does not lead to the expected root")


def verify_consistency(
    first_size: int, second_size: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Checks that the tree of ``second_size`` leaves with ``second_root`` extends the tree of
    ``first_size`` leaves with ``first_root``: the log only grew (RFC 9162 section 2.1.4.2). Equal
    sizes need an empty proof and equal roots; a first size of 0 an empty proof and the empty root.

    Raises:
        ProofError: ``size_order``, ``wrong_proof_length``, ``root_mismatch``,
            ``first_root_mismatch`` or ``second_root_mismatch``.
    """
    _check_size(first_size, second_size)
    _check_hashes(proof, first_root, second_root)
    if first_size > second_size:
        raise ProofError("size_order", f"first tree size {first_size} is larger than second tree size {second_size}")
    if first_size == second_size or first_size == 0:
        if proof:
            raise ProofError("wrong_proof_length", f"proof has {len(proof)} hashes where 0 are required")
        if first_size == 0:
            if first_root != empty_root():
                raise ProofError("first_root_mismatch", "the first root is not the empty tree's")
            return
        if first_root != second_root:
            raise ProofError("root_mismatch", "two trees of the same size have different roots")
        return
    expected = _consistency_proof_len(first_size, second_size)
    if len(proof) != expected:
        raise ProofError("wrong_proof_length", f"proof has {len(proof)} hashes where {expected} are required")
    if _is_power_of_two(first_size):
        seed, rest = bytes(first_root), list(proof)
    else:
        seed, rest = bytes(proof[0]), list(proof[1:])
    fn, sn = first_size - 1, second_size - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = seed
    for node in rest:
        node = bytes(node)
        if fn & 1 == 1 or fn == sn:
            fr = hash_children(node, fr)
            sr = hash_children(node, sr)
            if fn & 1 == 0:
                fn, sn = _shift_to_odd(fn, sn)
        else:
            sr = hash_children(sr, node)
        fn >>= 1
        sn >>= 1
    if fr != first_root:
        raise ProofError("first_root_mismatch", "the consistency proof does not reproduce the first tree's root")
    if sr != second_root:
        raise ProofError("second_root_mismatch", "the consistency proof does not reproduce the second tree's root")


# ---- signed notes and checkpoints --------------------------------------------------------------


class CheckpointError(ValueError):
    """A note, checkpoint or verifier key was rejected. ``code`` names why, as the Rust
    ``CheckpointError`` variant in snake case: ``note_too_large``, ``too_many_signatures``,
    ``control_character``, ``missing_final_newline``, ``missing_blank_line``, ``no_signatures``,
    ``malformed_signature_line``, ``invalid_key_name``, ``malformed_verifier_key``,
    ``invalid_signature``, ``not_signed_by_key``, ``invalid_text``, ``too_few_lines``,
    ``invalid_origin``, ``invalid_size``, ``invalid_root_hash``, ``invalid_extension``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _standard_base64(text: str) -> bytes | None:
    """Canonical standard base64 with padding, as the Rust ``STANDARD`` engine decodes."""
    if not _STANDARD_BASE64.fullmatch(text) or len(text) % 4 != 0:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 for c in text)


def _forbidden_control(text: str) -> CheckpointError | None:
    for offset, byte in enumerate(text.encode("utf-8")):
        if byte < 0x20 and byte != 0x0A:
            return CheckpointError("control_character", f"control character {byte:#04x} at byte {offset}")
    return None


def _check_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name) or _has_control(name):
        raise CheckpointError(
            "invalid_key_name", f"key name {name!r} is invalid: it must be non-empty, without spaces or '+'"
        )


def key_id(name: str, public_key: bytes) -> int:
    """The signed-note key id of an Ed25519 key: the first four bytes, big-endian, of
    ``SHA-256(name || "\\n" || 0x01 || public key)``."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([_ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its tree at one size, once its note verified.

    Attributes:
        origin: the log's identity; :meth:`LogKey.open_checkpoint` checked it is the key's.
        size: the number of leaves.
        root: the root hash of the first ``size`` leaves (32 bytes).
        extensions: the further lines, e.g. ``time 1764400000``.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def time(self) -> int | None:
        """Unix seconds from the first ``time <seconds>`` extension line, if there is one."""
        for line in self.extensions:
            if line.startswith("time "):
                try:
                    return _parse_decimal(line[5:])
                except ValueError:
                    return None
        return None


def _parse_decimal(text: str) -> int:
    if not text:
        raise ValueError("empty")
    if not all("0" <= c <= "9" for c in text):
        raise ValueError("not a plain decimal number")
    if len(text) > 1 and text.startswith("0"):
        raise ValueError("leading zero")
    value = int(text)
    if value > _U64_MAX:
        raise ValueError("larger than u64::MAX")
    return value


def _check_line(text: str, what: str, code: str) -> None:
    if not text:
        raise CheckpointError(code, f"checkpoint {what} is invalid: empty")
    if _has_control(text):
        raise CheckpointError(code, f"checkpoint {what} is invalid: contains a newline or control character")


def _parse_body(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise CheckpointError("invalid_text", "note text is invalid: does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(
            "too_few_lines", f"checkpoint has {len(lines)} lines; origin, tree size and root hash are required"
        )
    origin, size_line, root_line, *extensions = lines
    _check_line(origin, "origin", "invalid_origin")
    try:
        size = _parse_decimal(size_line)
    except ValueError as why:
        raise CheckpointError("invalid_size", f"checkpoint tree size is invalid: {why}") from None
    root = _standard_base64(root_line)
    if root is None:
        raise CheckpointError("invalid_root_hash", "checkpoint root hash is invalid: not canonical standard base64")
    if len(root) != 32:
        raise CheckpointError("invalid_root_hash", "checkpoint root hash is invalid: does not decode to 32 bytes")
    for index, extension in enumerate(extensions):
        _check_line(extension, f"extension line {index}", "invalid_extension")
    return Checkpoint(origin=origin, size=size, root=root, extensions=tuple(extensions))


class LogKey:
    """A pinned log key: an Ed25519 public key under its signed-note name (the log's origin).

    Build it from the verifier key text, ``LogKey.from_vkey("registry.example/log+1a2b3c4d+AQ...")``;
    then :meth:`open_checkpoint` verifies checkpoint notes with it.
    """

    def __init__(self, name: str, public_key: bytes) -> None:
        """Raises :class:`CheckpointError` (``invalid_key_name``, ``malformed_verifier_key``) for an
        invalid name, or a key the signature rule refuses (small order, not canonical)."""
        _check_key_name(name)
        if len(public_key) != 32:
            raise CheckpointError(
                "malformed_verifier_key", "verifier key is malformed: Ed25519 public key is not 32 bytes"
            )
        try:
            _ed25519.check_public_key(bytes(public_key))
        except _ed25519.Rejection as why:
            raise CheckpointError("malformed_verifier_key", f"verifier key is malformed: {why}") from None
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> LogKey:
        """Parses ``<name>+<8 hex digits key id>+<base64(0x01 || 32-byte key)>``, checking that the
        key id is the key's.

        Raises:
            CheckpointError: ``malformed_verifier_key`` or ``invalid_key_name``, saying what is wrong.
        """

        def malformed(why: str) -> CheckpointError:
            return CheckpointError("malformed_verifier_key", f"verifier key is malformed: {why}")

        if not isinstance(vkey, str):
            raise TypeError(f"a verifier key is a str, not {type(vkey).__name__}")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise malformed("expected <name>+<key id>+<key>")
        name, id_hex, key_b64 = parts
        _check_key_name(name)
        if len(id_hex) != 8 or not all(c in "0123456789abcdefABCDEF" for c in id_hex):
            raise malformed("key id is not 8 hex digits")
        raw = _standard_base64(key_b64)
        if raw is None:
            raise malformed("key is not canonical base64")
        if not raw:
            raise malformed("key is empty")
        if raw[0] != _ALG_ED25519:
            raise malformed("signature type is not Ed25519 (0x01)")
        if len(raw) != 33:
            raise malformed("Ed25519 public key is not 32 bytes")
        key = cls(name, raw[1:])
        if key.key_id != int(id_hex, 16):
            raise malformed("key id does not match the key")
        return key

    @property
    def vkey(self) -> str:
        """The verifier key text of this key."""
        return f"{self.name}+{self.key_id:08x}+" + base64.b64encode(bytes([_ALG_ED25519]) + self.public_key).decode()

    @property
    def label(self) -> str:
        """``<name>+<key id>``, to tell keys apart in messages."""
        return f"{self.name}+{self.key_id:08x}"

    def __repr__(self) -> str:
        return f"LogKey({self.vkey!r})"

    def open_note(self, note: str) -> str:
        """Checks a signed note's signatures with this key and returns its text (final newline
        included). Lines by other keys are ignored (witnesses' cosignatures); a line by this key
        that fails the Ed25519 rule rejects the note, and so does a note with no line by it.

        Raises:
            CheckpointError: why the note is refused.
        """
        if not isinstance(note, str):
            raise TypeError(f"a note is a str, not {type(note).__name__}")
        size = len(note.encode("utf-8"))
        if size > MAX_NOTE_BYTES:
            raise CheckpointError("note_too_large", f"note is {size} bytes, more than the {MAX_NOTE_BYTES} allowed")
        control = _forbidden_control(note)
        if control is not None:
            raise control
        if not note.endswith("\n"):
            raise CheckpointError("missing_final_newline", "note does not end with a newline")
        split = note.rfind("\n\n")
        if split < 0:
            raise CheckpointError("missing_blank_line", "note has no blank line between its text and its signatures")
        text, signatures = note[: split + 1], note[split + 2 :]
        if not signatures.endswith("\n"):
            raise CheckpointError("no_signatures", "note has no signature lines")
        lines = signatures[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise CheckpointError("too_many_signatures", f"note has more than {MAX_SIGNATURES} signature lines")
        verified = False
        for number, line in enumerate(lines, start=1):

            def malformed(why: str, number: int = number) -> CheckpointError:
                return CheckpointError("malformed_signature_line", f"signature line {number} is malformed: {why}")

            if not line.startswith(_SIGNATURE_PREFIX):
                raise malformed("does not start with an em dash and a space")
            name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
            if not space:
                raise malformed("no space between key name and signature")
            try:
                _check_key_name(name)
            except CheckpointError:
                raise malformed("invalid key name") from None
            raw = _standard_base64(encoded)
            if raw is None:
                raise malformed("signature is not canonical standard base64")
            if len(raw) <= 4:
                raise malformed("signature shorter than its 4-byte key id")
            line_key_id = int.from_bytes(raw[:4], "big")
            if name != self.name or line_key_id != self.key_id:
                continue
            if not _ed25519.verify(self.public_key, text.encode("utf-8"), raw[4:]):
                raise CheckpointError("invalid_signature", f"signature by {name}+{line_key_id:08x} does not verify")
            verified = True
        if not verified:
            raise CheckpointError("not_signed_by_key", f"note has no signature by {self.label}")
        return text

    def open_checkpoint(self, note: str, *, check_origin: bool = True) -> Checkpoint:
        """Verifies a checkpoint note with this key, then parses its text strictly.

        Args:
            check_origin: also require the checkpoint's origin to be this key's name (the log the
                key speaks for); the signature alone does not say which log it is of.

        Raises:
            CheckpointError: why it is refused; ``origin_mismatch`` for another log's checkpoint.
        """
        checkpoint = _parse_body(self.open_note(note))
        if check_origin and checkpoint.origin != self.name:
            raise CheckpointError(
                "origin_mismatch",
                f"it is a checkpoint of the log {checkpoint.origin!r}, but the pinned key is {self.name!r}'s",
            )
        return checkpoint
