//! The claims of the Cognito tokens of a pool actas works with: the one definition of the token's
//! format, read by this crate's [`Verifier`](crate::Verifier), by actas itself and written by
//! actas's pre-token-generation trigger (the claim names below).

use crate::session::TokenUse;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The RFC 8693 actor of an impersonated session: `{"sub", "username"}`.
pub const ACT: &str = "act";
/// The impersonation (grant) an impersonated session belongs to.
pub const IMPERSONATION_ID: &str = "impersonation_id";
/// The impersonation's hard end, epoch seconds.
pub const IMPERSONATION_EXPIRES_AT: &str = "impersonation_expires_at";
/// `read_only` or `full` ([`Mode`](crate::Mode)), next to `act`: what the session may do.
pub const IMPERSONATION_MODE: &str = "impersonation_mode";

/// The claims read from Cognito's id and access tokens. A claim of the wrong type makes the
/// token malformed; unknown claims are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    /// Epoch seconds (a fraction is dropped).
    #[serde(default, deserialize_with = "numeric_date")]
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub nbf: Option<i64>,
    /// When the bearer signed in; Cognito keeps it across refreshes.
    #[serde(default, deserialize_with = "numeric_date")]
    pub auth_time: Option<i64>,
    /// `id` or `access`.
    #[serde(default)]
    pub token_use: Option<String>,
    /// Id tokens' client: one string, or a list (Cognito writes one string).
    #[serde(default, deserialize_with = "strings")]
    pub aud: Option<Vec<String>>,
    /// Access tokens' client.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default, rename = "cognito:username")]
    pub cognito_username: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// [`ACT`], as the token carries it.
    #[serde(default)]
    pub act: Option<Value>,
    /// [`IMPERSONATION_ID`].
    #[serde(default)]
    pub impersonation_id: Option<String>,
    /// [`IMPERSONATION_MODE`].
    #[serde(default)]
    pub impersonation_mode: Option<String>,
    /// [`IMPERSONATION_EXPIRES_AT`]: a number or a string of digits.
    #[serde(default)]
    pub impersonation_expires_at: Option<Value>,
    /// Access tokens' scopes, separated by spaces.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default, rename = "cognito:groups", deserialize_with = "strings")]
    pub groups: Option<Vec<String>>,
    #[serde(default, rename = "custom:tenant_id")]
    pub tenant: Option<String>,
}

impl Claims {
    /// Which token this is, by `token_use`.
    pub fn kind(&self) -> Option<TokenUse> {
        match self.token_use.as_deref() {
            Some("id") => Some(TokenUse::Id),
            Some("access") => Some(TokenUse::Access),
            _ => None,
        }
    }

    /// The app client the token was issued to: an id token's `aud` (exactly one name), an
    /// access token's `client_id`.
    pub fn client(&self) -> Option<&str> {
        match self.kind()? {
            TokenUse::Id => match self.aud.as_deref()? {
                [one] => Some(one.as_str()),
                _ => None,
            },
            TokenUse::Access => self.client_id.as_deref(),
        }
    }

    /// The user's name as the token's kind carries it: `cognito:username` in id tokens,
    /// `username` in access tokens.
    pub fn user_name(&self) -> Option<&str> {
        match self.kind()? {
            TokenUse::Id => self.cognito_username.as_deref(),
            TokenUse::Access => self.username.as_deref(),
        }
    }

    /// Whether the token belongs to an impersonated session: it names an actor or an
    /// impersonation.
    pub fn is_impersonated(&self) -> bool {
        self.act.is_some() || self.impersonation_id.is_some()
    }
}

/// Seconds since the epoch; a fraction is dropped.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(value) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("not a NumericDate"))
}

/// A list of strings, or one.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Strings {
        One(String),
        Many(Vec<String>),
    }
    Ok(Option::<Strings>::deserialize(d)?.map(|value| match value {
        Strings::One(s) => vec![s],
        Strings::Many(list) => list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_and_name_follow_the_kind_of_token() {
        let id: Claims = serde_json::from_value(json!({
            "token_use": "id", "aud": ["c1"], "cognito:username": "alice", "username": "x",
            "client_id": "other", "exp": 10.7, "cognito:groups": "g",
        }))
        .unwrap();
        assert_eq!((id.kind(), id.client()), (Some(TokenUse::Id), Some("c1")));
        assert_eq!(id.user_name(), Some("alice"));
        assert_eq!(
            (id.exp, id.groups.as_deref()),
            (Some(10), Some(&["g".to_string()][..]))
        );
        let access: Claims = serde_json::from_value(json!({
            "token_use": "access", "aud": "x", "client_id": "c2", "username": "bob",
        }))
        .unwrap();
        assert_eq!(access.client(), Some("c2"));
        assert_eq!(access.user_name(), Some("bob"));
        let two_audiences: Claims =
            serde_json::from_value(json!({"token_use": "id", "aud": ["a", "b"]})).unwrap();
        assert_eq!(two_audiences.client(), None);
        let refresh: Claims = serde_json::from_value(json!({"token_use": "refresh"})).unwrap();
        assert_eq!((refresh.kind(), refresh.client()), (None, None));
    }

    #[test]
    fn wrong_types_do_not_parse_and_impersonation_is_act_or_id() {
        for bad in [json!({"exp": "soon"}), json!({"aud": 5}), json!({"sub": 1})] {
            assert!(
                serde_json::from_value::<Claims>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let plain = Claims::default();
        assert!(!plain.is_impersonated());
        let acting: Claims = serde_json::from_value(json!({ACT: {"sub": "a"}})).unwrap();
        assert!(acting.is_impersonated());
        let named: Claims = serde_json::from_value(json!({IMPERSONATION_ID: "imp"})).unwrap();
        assert!(named.is_impersonated());
    }
}
