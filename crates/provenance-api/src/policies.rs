//! The restricted-model policies built into the registry, as their files state them (TOML; every
//! field is documented in the README, "Policies"). The registry loads them at start; a client reads
//! them to show the clause a certificate names without asking the registry.

/// Each built-in policy: its path in the repository, and its text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "policies/deepseek-r1.toml",
        include_str!("../../../policies/deepseek-r1.toml"),
    ),
    (
        "policies/llama-2.toml",
        include_str!("../../../policies/llama-2.toml"),
    ),
    (
        "policies/llama-3.toml",
        include_str!("../../../policies/llama-3.toml"),
    ),
    (
        "policies/llama-3.1.toml",
        include_str!("../../../policies/llama-3.1.toml"),
    ),
    (
        "policies/llama-3.2.toml",
        include_str!("../../../policies/llama-3.2.toml"),
    ),
    (
        "policies/llama-3.3.toml",
        include_str!("../../../policies/llama-3.3.toml"),
    ),
    (
        "policies/tongyi-qianwen.toml",
        include_str!("../../../policies/tongyi-qianwen.toml"),
    ),
    (
        "policies/openai-terms-of-use.toml",
        include_str!("../../../policies/openai-terms-of-use.toml"),
    ),
    (
        "policies/gemma.toml",
        include_str!("../../../policies/gemma.toml"),
    ),
    (
        "policies/gemini-api.toml",
        include_str!("../../../policies/gemini-api.toml"),
    ),
];
