//! Lineage certificates as their verifiers see them: the claims ([`claims`]), the offline checks
//! every verifier runs by the same names ([`checks`]), the in-toto Statement in a DSSE envelope
//! that carries the same claims ([`dsse`]), and certificate keys read from a JWKS
//! ([`jwks`]).

pub mod checks;
pub mod claims;
pub mod dsse;
pub mod jwks;

pub use checks::{
    CertificateKey, CertificateKeys, Check, OFFLINE_CHECKS, ONLINE_CHECKS, OfflineVerification,
    policies_check, verify_offline,
};
pub use claims::{
    CERTIFICATE_TYPE, CertificateClaims, CoveredPolicyClaim, DatasetClaim, LineageClaim,
    MAX_COVERED_POLICIES, MAX_LISTED_MEMBERS, ObligationClaim, PolicyClaim, signed_claims,
};
pub use jwks::JsonWebKeySet;

#[cfg(test)]
mod tests;
