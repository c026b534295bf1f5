//! A user of the pool as actas sees them (attributes, groups, tenant, team) and a reference to one
//! (username or `sub`).

use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::{Identity, IdentityMapping};
use crate::domain::policy::{Principal, Role};
use std::collections::HashMap;

pub const ATTR_TENANT: &str = "custom:tenant_id";

pub const ATTR_TEAM: &str = "custom:team_id";

pub const ATTR_TEAM_ROLE: &str = "custom:team_role";

/// `"true"` on an account its user (or an admin for them) protected: starting on it needs
/// approval or is refused, as the tenant decides. Only actas writes it (no app client may).
pub const ATTR_PROTECTED: &str = "custom:protected";

/// A tenant id as actas keeps it (settings, API keys, listings): 1 to 64 letters, digits, `.`,
/// `_` or `-`. Ids from requests are checked against it before they reach storage.
pub fn is_valid_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A user of the pool, as read fresh from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: String,
    pub sub: String,
    pub enabled: bool,
    /// The pool's own group names.
    pub groups: Vec<String>,
    /// The pool's own attribute names and values.
    pub attributes: HashMap<String, String>,
    /// Role, tenant, team and protection, read through the deployment's identity mapping.
    pub identity: Identity,
    pub created_at_millis: Option<i64>,
    pub updated_at_millis: Option<i64>,
}

/// What the pool says of a user before the mapping reads it.
pub struct PoolUser {
    pub username: String,
    pub sub: String,
    pub enabled: bool,
    pub groups: Vec<String>,
    pub attributes: HashMap<String, String>,
    pub created_at_millis: Option<i64>,
    pub updated_at_millis: Option<i64>,
}

impl UserRecord {
    /// A pool's user as actas sees them: role, tenant, team and protection read through the
    /// mapping.
    pub fn read(mapping: &IdentityMapping, user: PoolUser) -> UserRecord {
        UserRecord {
            identity: mapping.identity_of(&user.groups, &user.attributes),
            username: user.username,
            sub: user.sub,
            enabled: user.enabled,
            groups: user.groups,
            attributes: user.attributes,
            created_at_millis: user.created_at_millis,
            updated_at_millis: user.updated_at_millis,
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn role(&self) -> Role {
        self.identity.role
    }

    pub fn is_protected(&self) -> bool {
        self.identity.protected
    }

    pub fn principal(&self) -> Principal {
        Principal {
            sub: self.sub.clone(),
            username: self.username.clone(),
            role: self.identity.role,
            tenant: self.identity.tenant.clone(),
            team: self.identity.team.clone(),
            enabled: self.enabled,
        }
    }
}

/// How a request names a user: a Cognito username or a `sub`. Validated before it reaches
/// Cognito, so it can be placed in a `ListUsers` filter safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef(String);

impl UserRef {
    pub fn parse(raw: &str) -> Result<UserRef> {
        let value = raw.trim();
        let valid = !value.is_empty()
            && value.chars().count() <= 128
            && !value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\');
        if !valid {
            return Err(ActasError::BadRequest("not a valid username or sub".into()));
        }
        Ok(UserRef(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Cognito `sub`s are UUIDs; only those are worth a lookup by `sub`.
    pub fn could_be_sub(&self) -> bool {
        uuid::Uuid::parse_str(&self.0).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_refs_reject_what_cannot_be_a_username() {
        for bad in [
            "",
            "   ",
            "two words",
            "quote\"d",
            "back\\slash",
            "tab\there",
            &"x".repeat(129),
        ] {
            assert!(UserRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            UserRef::parse(" acme-admin ").unwrap().as_str(),
            "acme-admin"
        );
        assert!(UserRef::parse("0d5c1e4a-9f1b-4c7e-8e55-1f5b2a3c4d5e")
            .unwrap()
            .could_be_sub());
        assert!(!UserRef::parse("acme-admin").unwrap().could_be_sub());
    }

    #[test]
    fn principal_reads_groups_and_custom_attributes() {
        let user = UserRecord::read(
            &IdentityMapping::default(),
            PoolUser {
                username: "alice".into(),
                sub: "s-1".into(),
                enabled: true,
                groups: vec![],
                attributes: HashMap::from([
                    (ATTR_TENANT.to_string(), "acme".to_string()),
                    (ATTR_TEAM.to_string(), "support".to_string()),
                    (ATTR_TEAM_ROLE.to_string(), "admin".to_string()),
                ]),
                created_at_millis: None,
                updated_at_millis: None,
            },
        );
        let principal = user.principal();
        assert_eq!(principal.role, Role::TeamAdmin);
        assert_eq!(principal.tenant.as_deref(), Some("acme"));
        assert_eq!(principal.team.as_deref(), Some("support"));
    }
}
