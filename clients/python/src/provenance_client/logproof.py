"""Log evidence checked against a pinned key, as ``provctl log verify`` checks it: a checkpoint, an
older checkpoint with a consistency proof to it, and an inclusion proof (the proof files
``provctl log prove`` writes, formats ``provenance-log-inclusion/v1`` and
``provenance-log-consistency/v1``). Each check runs when what it rests on verified; the others are
listed as not checked. The check names are provctl's: ``checkpoint``, ``origin``,
``old_checkpoint``, ``consistency``, ``proof_checkpoint``, ``inclusion``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import VerificationCheck
from .transparency import (
    Checkpoint,
    CheckpointError,
    LogKey,
    ProofError,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "ConsistencyProofFile",
    "InclusionProofFile",
    "LogVerification",
    "verify_log",
]

#: ``format`` of an inclusion proof file.
INCLUSION_FORMAT = "provenance-log-inclusion/v1"
#: ``format`` of a consistency proof file.
CONSISTENCY_FORMAT = "provenance-log-consistency/v1"

_U64_MAX = 2**64 - 1


def _number(value: Mapping[str, Any], name: str) -> int:
    number = value.get(name)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= _U64_MAX:
        raise ValueError(f"`{name}` is not a whole number")
    return number


def _hex(text: Any) -> bytes | None:
    if not isinstance(text, str) or len(text) % 2:
        return None
    try:
        return bytes.fromhex(text) if all(c in "0123456789abcdefABCDEF" for c in text) else None
    except ValueError:
        return None


def _hashes(value: Mapping[str, Any]) -> list[bytes]:
    items = value.get("hashes")
    if not isinstance(items, list):
        raise ValueError("`hashes` is not a list of hex strings")
    hashes = []
    for index, item in enumerate(items):
        raw = _hex(item)
        if raw is None or len(raw) != 32:
            raise ValueError(f"`hashes[{index}]` is not 32 bytes in hex")
        hashes.append(raw)
    return hashes


@dataclass(frozen=True)
class InclusionProofFile:
    """An audit path as a ``provenance-log-inclusion/v1`` file holds it."""

    leaf_index: int
    tree_size: int
    leaf_data: bytes
    hashes: list[bytes]
    checkpoint: str | None

    @classmethod
    def from_json(cls, value: Any) -> InclusionProofFile:
        """Reads the file's JSON (its ``format`` checked by the caller); ``ValueError`` names the
        wrong field."""
        if not isinstance(value, Mapping):
            value = {}
        checkpoint = value.get("checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise ValueError("`checkpoint` is neither a signed note nor null")
        leaf_index, tree_size = _number(value, "leaf_index"), _number(value, "tree_size")
        leaf_data = value.get("leaf_data")
        if not isinstance(leaf_data, str):
            raise ValueError("`leaf_data` is not a hex string")
        data = _hex(leaf_data)
        if data is None:
            raise ValueError("`leaf_data` is not hex")
        return cls(leaf_index, tree_size, data, _hashes(value), checkpoint)


@dataclass(frozen=True)
class ConsistencyProofFile:
    """A consistency proof as a ``provenance-log-consistency/v1`` file holds it."""

    first_tree_size: int
    second_tree_size: int
    hashes: list[bytes]

    @classmethod
    def from_json(cls, value: Any) -> ConsistencyProofFile:
        """Reads the file's JSON; ``ValueError`` names the wrong field."""
        if not isinstance(value, Mapping):
            value = {}
        return cls(_number(value, "first_tree_size"), _number(value, "second_tree_size"), _hashes(value))


@dataclass
class LogVerification:
    """The outcome of :func:`verify_log`.

    Attributes:
        verified: every check made passed, and none was left unmade.
        checkpoint: the checkpoint, when it verified.
        checks: the checks made, in order.
        not_checked: the checks not made because one they rest on failed.
    """

    verified: bool
    checkpoint: Checkpoint | None
    checks: list[VerificationCheck] = field(default_factory=list)
    not_checked: list[VerificationCheck] = field(default_factory=list)


def _describe(checkpoint: Checkpoint) -> str:
    return f"{checkpoint.size} leaves, root {checkpoint.root.hex()}"


def verify_log(
    key: LogKey,
    *,
    checkpoint: str | None = None,
    inclusion: Mapping[str, Any] | None = None,
    consistency: Mapping[str, Any] | None = None,
    old_checkpoint: str | None = None,
) -> LogVerification:
    """Verify log evidence against the pinned ``key``, as ``provctl log verify`` does.

    Args:
        checkpoint: a checkpoint note (``GetCheckpoint``'s ``note``).
        inclusion: an inclusion proof file's JSON, checked against a verified checkpoint of its
            tree size (``checkpoint``, ``old_checkpoint`` or the one the file carries).
        consistency: a consistency proof file's JSON from ``old_checkpoint`` to ``checkpoint``.
        old_checkpoint: an older checkpoint note, for ``consistency``.
    """
    checks: list[VerificationCheck] = []
    not_checked: list[VerificationCheck] = []
    trusted: list[tuple[str, Checkpoint]] = []
    new: Checkpoint | None = None

    if checkpoint is not None:
        try:
            opened = key.open_checkpoint(checkpoint, check_origin=False)
        except CheckpointError as error:
            checks.append(
                VerificationCheck(
                    "checkpoint", False, f"the note does not verify with the pinned key {key.label}: {error}"
                )
            )
            not_checked.append(VerificationCheck("origin", False, "not checked: the checkpoint did not verify"))
        else:
            checks.append(VerificationCheck("checkpoint", True, f"signed by {key.label}: {_describe(opened)}"))
            if opened.origin == key.name:
                checks.append(VerificationCheck("origin", True, f"{opened.origin!r}, the pinned key's log"))
                new = opened
                trusted.append(("the checkpoint", opened))
            else:
                checks.append(
                    VerificationCheck(
                        "origin",
                        False,
                        f"it is a checkpoint of the log {opened.origin!r}, but the pinned key is {key.name!r}'s",
                    )
                )

    if old_checkpoint is not None:
        old: Checkpoint | None = None
        try:
            old = key.open_checkpoint(old_checkpoint)
        except CheckpointError as error:
            checks.append(VerificationCheck("old_checkpoint", False, f"the note does not verify: {error}"))
        else:
            checks.append(VerificationCheck("old_checkpoint", True, f"signed by {key.label}: {_describe(old)}"))
            trusted.append(("the old checkpoint", old))
        if consistency is not None:
            try:
                proof = ConsistencyProofFile.from_json(consistency)
            except ValueError as why:
                checks.append(VerificationCheck("consistency", False, f"the proof file is malformed: {why}"))
            else:
                if old is not None and new is not None:
                    checks.append(_consistency_check(proof, old, new))
                else:
                    not_checked.append(
                        VerificationCheck("consistency", False, "not checked: it needs both checkpoints verified")
                    )

    if inclusion is not None:
        try:
            inclusion_proof = InclusionProofFile.from_json(inclusion)
        except ValueError as why:
            checks.append(VerificationCheck("inclusion", False, f"the proof file is malformed: {why}"))
        else:
            if inclusion_proof.checkpoint is not None:
                check, own = _proof_checkpoint_check(inclusion_proof.checkpoint, key, trusted)
                checks.append(check)
                if own is not None:
                    trusted.append(("the proof's own checkpoint", own))
            if not trusted:
                not_checked.append(VerificationCheck("inclusion", False, "not checked: no checkpoint verified"))
            else:
                checks.append(_inclusion_check(inclusion_proof, trusted))

    verified = bool(checks) and not not_checked and all(c.passed for c in checks)
    return LogVerification(verified=verified, checkpoint=new, checks=checks, not_checked=not_checked)


def _consistency_check(proof: ConsistencyProofFile, old: Checkpoint, new: Checkpoint) -> VerificationCheck:
    if (proof.first_tree_size, proof.second_tree_size) != (old.size, new.size):
        return VerificationCheck(
            "consistency",
            False,
            f"the proof links trees of {proof.first_tree_size} and {proof.second_tree_size} leaves, but the old "
            f"checkpoint is of {old.size} and the checkpoint of {new.size}",
        )
    try:
        verify_consistency(old.size, new.size, proof.hashes, old.root, new.root)
    except ProofError as error:
        if old.size == new.size:
            detail = f"{error}: two checkpoints of {new.size} leaves with different roots: the log is forked"
        else:
            detail = f"{error}: the checkpoints are not of one append-only log (a fork), or the proof was altered"
        return VerificationCheck("consistency", False, detail)
    if old.size == new.size:
        return VerificationCheck("consistency", True, f"both checkpoints are of the same tree of {new.size} leaves")
    return VerificationCheck(
        "consistency", True, f"the tree of {old.size} leaves is a prefix of the tree of {new.size}: the log only grew"
    )


def _proof_checkpoint_check(
    note: str, key: LogKey, trusted: list[tuple[str, Checkpoint]]
) -> tuple[VerificationCheck, Checkpoint | None]:
    try:
        own = key.open_checkpoint(note)
    except CheckpointError as error:
        return VerificationCheck("proof_checkpoint", False, f"the checkpoint inside the proof file: {error}"), None
    for label, other in trusted:
        if other.size == own.size and other.root != own.root:
            return (
                VerificationCheck(
                    "proof_checkpoint",
                    False,
                    f"the proof's checkpoint and {label} are both of {own.size} leaves and signed by the log key, "
                    "with different roots: the log is forked",
                ),
                None,
            )
    return VerificationCheck("proof_checkpoint", True, f"signed by {key.label}: {_describe(own)}"), own


def _inclusion_check(proof: InclusionProofFile, trusted: list[tuple[str, Checkpoint]]) -> VerificationCheck:
    against = next(((label, c) for label, c in trusted if c.size == proof.tree_size), None)
    if against is None:
        sizes = ", ".join(f"{label} is of {c.size}" for label, c in trusted)
        return VerificationCheck(
            "inclusion",
            False,
            f"the proof is for the tree of {proof.tree_size} leaves, "
            f"but no verified checkpoint is of that size ({sizes})",
        )
    label, checkpoint = against
    try:
        verify_inclusion(hash_leaf(proof.leaf_data), proof.leaf_index, proof.tree_size, proof.hashes, checkpoint.root)
    except ProofError as error:
        return VerificationCheck(
            "inclusion",
            False,
            f"{error}: leaf {proof.leaf_index} with this data is not in the tree of {label}, or the proof was altered",
        )
    return VerificationCheck(
        "inclusion",
        True,
        f"leaf {proof.leaf_index} (event {proof.leaf_index + 1}, data {proof.leaf_data.hex()}) is in the tree of "
        f"{proof.tree_size} leaves of {label}",
    )
