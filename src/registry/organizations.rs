//! Use cases of organisations and access tokens.

use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{MIN_TOKEN_TTL, Registry};
use crate::domain::access::{AccessTokenRecord, Caller, Organization, Role};
use crate::domain::event::{NewEvent, truncate_to_micros};
use crate::domain::paging::PageTokens;
use crate::error::{Error, Result};
use crate::store::OrganizationQuery;

impl Registry {
    /// Creates an organisation (operators only).
    pub async fn create_organization(&self, caller: &Caller, name: String) -> Result<Organization> {
        caller.operator()?;
        self.insert_organization(name, &caller.subject).await
    }

    /// Creates an organisation and its first admin token, for the operator on the server machine.
    pub async fn bootstrap_organization(
        &self,
        name: String,
        admin_ttl: Option<Duration>,
    ) -> Result<(Organization, String, AccessTokenRecord)> {
        let organization = self.insert_organization(name, "operator (local)").await?;
        let (token, record) = self
            .issue_token(
                Some(organization.id),
                Role::Admin,
                "first admin".into(),
                admin_ttl,
            )
            .await?;
        Ok((organization, token, record))
    }

    /// Issues an operator token, for the operator on the server machine.
    pub async fn operator_token(
        &self,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        self.issue_token(None, Role::Operator, "operator".into(), ttl)
            .await
    }

    async fn insert_organization(&self, name: String, created_by: &str) -> Result<Organization> {
        let organization = Organization {
            id: Uuid::now_v7(),
            name,
            create_time: truncate_to_micros(Utc::now()),
        };
        let event = NewEvent {
            event_type: "organization.created",
            subject: format!("organizations/{}", organization.id),
            organization_id: Some(organization.id),
            public: false,
            payload: json!({"id": organization.id.to_string(), "name": organization.name, "created_by": created_by}),
        };
        self.store.create_organization(&organization, event).await?;
        self.feed.notify();
        Ok(organization)
    }

    /// Reads an organisation: the caller's own (`None`), or any for operators.
    pub async fn get_organization(
        &self,
        caller: &Caller,
        id: Option<Uuid>,
    ) -> Result<Organization> {
        let id = match (id, caller.organization_id) {
            (Some(id), _) => id,
            (None, Some(own)) => own,
            (None, None) => {
                return Err(Error::invalid("id", "is required with an operator token"));
            }
        };
        let not_found = || Error::NotFound(format!("organisation {id} not found"));
        if caller.role != Role::Operator && caller.organization_id != Some(id) {
            return Err(not_found());
        }
        self.store.get_organization(id).await?.ok_or_else(not_found)
    }

    /// One page of every organisation, oldest first, or the one named `name` (operators only:
    /// an organisation sees only itself).
    pub async fn list_organizations(
        &self,
        caller: &Caller,
        name: Option<String>,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Organization>, Option<String>)> {
        caller.operator()?;
        let tokens = PageTokens::new("organizations", &[name.as_deref().unwrap_or("")]);
        let after = tokens.decode_id(page_token)?;
        let organizations = self
            .store
            .list_organizations(&OrganizationQuery {
                name,
                after,
                limit: page_size + 1,
            })
            .await?;
        Ok(tokens.page(organizations, page_size, |o| o.id.to_string()))
    }

    /// Issues a token for the caller's organisation (admins only).
    pub async fn create_access_token(
        &self,
        caller: &Caller,
        role: Role,
        subject: String,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        let organization = caller.member_with(Role::Admin)?;
        if role == Role::Operator {
            return Err(Error::invalid(
                "role",
                "must be auditor, registrar or admin",
            ));
        }
        if let Some(ttl) = ttl
            && (ttl < MIN_TOKEN_TTL || ttl > self.tokens.max_ttl)
        {
            return Err(Error::invalid(
                "ttl",
                format!(
                    "must be between {} and {} seconds",
                    MIN_TOKEN_TTL.num_seconds(),
                    self.tokens.max_ttl.num_seconds()
                ),
            ));
        }
        self.issue_token(Some(organization), role, subject, ttl)
            .await
    }

    async fn issue_token(
        &self,
        organization_id: Option<Uuid>,
        role: Role,
        subject: String,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        let now = truncate_to_micros(Utc::now());
        let record = AccessTokenRecord {
            id: Uuid::now_v7(),
            organization_id,
            role,
            subject,
            create_time: now,
            expire_time: now + ttl.unwrap_or(self.tokens.default_ttl),
            revoke_time: None,
        };
        let token = self.auth.keys().sign(
            record.id,
            organization_id,
            role,
            &record.subject,
            record.create_time,
            record.expire_time,
        )?;
        let event = NewEvent {
            event_type: "access_token.created",
            subject: format!("access_tokens/{}", record.id),
            organization_id,
            public: false,
            payload: token_payload(&record),
        };
        self.store.insert_access_token(&record, event).await?;
        self.feed.notify();
        Ok((token, record))
    }

    /// Revokes one of the caller's organisation's tokens (admins only). Idempotent.
    pub async fn revoke_access_token(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<AccessTokenRecord> {
        let organization = caller.member_with(Role::Admin)?;
        let now = truncate_to_micros(Utc::now());
        let event = NewEvent {
            event_type: "access_token.revoked",
            subject: format!("access_tokens/{id}"),
            organization_id: Some(organization),
            public: false,
            payload: json!({"id": id.to_string(), "revoked_by": caller.token_id.to_string()}),
        };
        let record = self
            .store
            .revoke_access_token(organization, id, now, event)
            .await?
            .ok_or_else(|| Error::NotFound(format!("access token {id} not found")))?;
        self.feed.notify();
        Ok(record)
    }
}

fn token_payload(record: &AccessTokenRecord) -> serde_json::Value {
    json!({
        "id": record.id.to_string(),
        "organization_id": record.organization_id.map(|id| id.to_string()),
        "role": record.role.as_str(),
        "subject": record.subject,
        "create_time": crate::domain::event::format_time(record.create_time),
        "expire_time": crate::domain::event::format_time(record.expire_time),
    })
}
