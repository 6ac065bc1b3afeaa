//! Who is calling and what their role allows. Pure rules; the token checks live in `auth`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// What an access token allows. Organisation roles are ordered: each may do what the ones below do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads what the organisation may see.
    Auditor,
    /// Also registers datasets.
    Registrar,
    /// Also manages the organisation's tokens.
    Admin,
    /// The operator of the registry: creates organisations and reads everything, but acts for no
    /// organisation, so it cannot register data in anyone's name.
    Operator,
}

impl Role {
    /// The name stored in the database and carried in the `role` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Registrar => "registrar",
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }

    /// Inverse of [`Role::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "auditor" => Some(Role::Auditor),
            "registrar" => Some(Role::Registrar),
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// The verified identity behind a call, taken from its access token, or from a client certificate
/// the operator mapped to an organisation (mutual TLS), and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's id (`jti`), recorded as the creator of what the call writes.
    pub token_id: Uuid,
    /// The token's subject (`sub`): who or what holds it.
    pub subject: String,
    /// The organisation the token acts for; `None` for operator tokens.
    pub organization_id: Option<Uuid>,
    /// The token's role.
    pub role: Role,
}

impl Caller {
    /// The caller's organisation, when its role needs one and it has at least `role`.
    pub fn member_with(&self, role: Role) -> Result<Uuid> {
        match (self.organization_id, self.role) {
            (Some(org), held) if held != Role::Operator && held >= role => Ok(org),
            (_, Role::Operator) => Err(Error::PermissionDenied(format!(
                "an operator token acts for no organisation; this call needs an organisation token with the {} role",
                role.as_str()
            ))),
            (_, held) => Err(Error::PermissionDenied(format!(
                "this call needs the {} role; the token has the {} role",
                role.as_str(),
                held.as_str()
            ))),
        }
    }

    /// Succeeds for operator tokens only.
    pub fn operator(&self) -> Result<()> {
        if self.role == Role::Operator {
            Ok(())
        } else {
            Err(Error::PermissionDenied(
                "this call needs an operator token (`provenance-registry admin operator-token` on the server machine)".into(),
            ))
        }
    }

    /// Whether the caller may see a resource of `owner` with the given public flag.
    pub fn can_see(&self, owner: Uuid, public: bool) -> bool {
        public || self.role == Role::Operator || self.organization_id == Some(owner)
    }

    /// Whether the caller may see an event of `owner` (none for registry-wide events).
    pub fn can_see_event(&self, owner: Option<Uuid>, public: bool) -> bool {
        public || self.role == Role::Operator || (owner.is_some() && self.organization_id == owner)
    }
}

/// An organisation: the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// UUID v7.
    pub id: Uuid,
    /// Display name, unique in the registry.
    pub name: String,
    /// When it was created.
    pub create_time: DateTime<Utc>,
}

/// The registry's record of an issued access token. The token text itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    /// The `jti` claim.
    pub id: Uuid,
    /// The organisation it acts for; `None` for operator tokens.
    pub organization_id: Option<Uuid>,
    /// The role it carries.
    pub role: Role,
    /// The `sub` claim.
    pub subject: String,
    /// Issue time.
    pub create_time: DateTime<Utc>,
    /// Expiry time.
    pub expire_time: DateTime<Utc>,
    /// Revocation time, once revoked.
    pub revoke_time: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, org: Option<Uuid>) -> Caller {
        Caller {
            token_id: Uuid::now_v7(),
            subject: "test".into(),
            organization_id: org,
            role,
        }
    }

    #[test]
    fn each_role_may_do_what_the_roles_below_it_may() {
        let org = Uuid::now_v7();
        assert!(
            caller(Role::Admin, Some(org))
                .member_with(Role::Registrar)
                .is_ok()
        );
        assert!(
            caller(Role::Registrar, Some(org))
                .member_with(Role::Auditor)
                .is_ok()
        );
        assert!(matches!(
            caller(Role::Auditor, Some(org)).member_with(Role::Registrar),
            Err(Error::PermissionDenied(_))
        ));
        assert!(matches!(
            caller(Role::Registrar, Some(org)).member_with(Role::Admin),
            Err(Error::PermissionDenied(_))
        ));
    }

    #[test]
    fn an_operator_acts_for_no_organisation_but_sees_everything() {
        let op = caller(Role::Operator, None);
        assert!(matches!(
            op.member_with(Role::Auditor),
            Err(Error::PermissionDenied(_))
        ));
        assert!(op.operator().is_ok());
        assert!(op.can_see(Uuid::now_v7(), false));
        assert!(
            caller(Role::Admin, Some(Uuid::now_v7()))
                .operator()
                .is_err()
        );
    }

    #[test]
    fn private_resources_are_seen_only_by_their_owner() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let reader = caller(Role::Auditor, Some(a));
        assert!(reader.can_see(a, false));
        assert!(!reader.can_see(b, false));
        assert!(reader.can_see(b, true));
        assert!(!reader.can_see_event(None, false));
        assert!(reader.can_see_event(Some(a), false));
    }

    #[test]
    fn role_names_round_trip() {
        for role in [Role::Auditor, Role::Registrar, Role::Admin, Role::Operator] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
