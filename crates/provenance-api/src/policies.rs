//! The restricted-model policies built into the registry, as their files state them (TOML; every
//! field is documented in the README, "Policies"). The registry loads them at start; a client reads
//! them to show the clause a certificate names without asking the registry.

/// Each built-in policy: its path in the repository, and its text.
pub const BUILTIN: &[(&str, &str)] = &[(
    "policies/deepseek-r1.toml",
    include_str!("../../../policies/deepseek-r1.toml"),
)];
