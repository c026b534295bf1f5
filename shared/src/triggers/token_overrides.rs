//! What a pre-token generation trigger answers (V2: `claimsAndScopeOverrideDetails`), a V1
//! function's event and answer translated to and from it, and how the answer of the pool's own
//! function is merged under actas's.
//!
//! The merge keeps everything of the other function's answer except what would undo actas:
//! actas's claims cannot be added, overridden or suppressed by it (on any sign-in, so a
//! product function can never forge `act`), and a scope actas takes away cannot be added back.
//!
//! The answers are in actas's own types, not aws_lambda_events' (`ClaimsAndScopeOverrideDetailsV2`,
//! `ClaimsOverrideDetails`): those require every field, where a function's answer names only
//! what it changes (or `null`), so a pool function's ordinary answer would not read; and they
//! write every field back, empty ones too, where an empty `groupOverrideDetails` overrides the
//! user's groups with none. V1's type also takes claims as strings only. The events a V1
//! function gets (`v1_event`) stay JSON: everything Cognito sent goes on.

use crate::domain::error::{ActasError, Result};
use crate::triggers::{
    nullable, CLAIM_ACT, CLAIM_IMPERSONATION_EXPIRES_AT, CLAIM_IMPERSONATION_ID,
    CLAIM_IMPERSONATION_MODE,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The claims only actas writes: what downstream services trust to tell an impersonated
/// session, its actor and its mode.
pub const ACTAS_CLAIMS: [&str; 4] = [
    CLAIM_ACT,
    CLAIM_IMPERSONATION_ID,
    CLAIM_IMPERSONATION_EXPIRES_AT,
    CLAIM_IMPERSONATION_MODE,
];

fn is_actas_claim(name: &str) -> bool {
    ACTAS_CLAIMS.contains(&name)
}

/// The changes to one token (`idTokenGeneration`, `accessTokenGeneration`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenOverride {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Map::is_empty"
    )]
    pub claims_to_add_or_override: Map<String, Value>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub claims_to_suppress: Vec<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub scopes_to_add: Vec<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub scopes_to_suppress: Vec<String>,
}

impl TokenOverride {
    fn is_empty(&self) -> bool {
        self == &TokenOverride::default()
    }
}

/// A V2 answer's `claimsAndScopeOverrideDetails`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_generation: Option<TokenOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_generation: Option<TokenOverride>,
    /// Kept as the function wrote it: groups are the pool's business, not actas's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_override_details: Option<Value>,
}

/// A V1 answer's `claimsOverrideDetails`: id token claims and groups only.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1ClaimsOverride {
    #[serde(default, deserialize_with = "nullable")]
    claims_to_add_or_override: Map<String, Value>,
    #[serde(default, deserialize_with = "nullable")]
    claims_to_suppress: Vec<String>,
    #[serde(default)]
    group_override_details: Option<Value>,
}

/// An answer Cognito would have refused fails the token generation here too. The parse error
/// is not kept: it may quote a value of the answer (a user's attribute).
fn unreadable(version: &str) -> ActasError {
    ActasError::Upstream(format!(
        "the pool's pre-token function ({version}) answered with an unreadable response"
    ))
}

impl OverrideDetails {
    /// The answer of a V2 or V3 function (the event it returned).
    pub fn from_v2_answer(answer: &Value) -> Result<OverrideDetails> {
        let details = &answer["response"]["claimsAndScopeOverrideDetails"];
        Option::<OverrideDetails>::deserialize(details)
            .map(Option::unwrap_or_default)
            .map_err(|_| unreadable("V2"))
    }

    /// The answer of a V1 function, as the V2 answer that means the same: its claims go to the
    /// id token (V1 cannot touch the access token), its groups stay groups.
    pub fn from_v1_answer(answer: &Value) -> Result<OverrideDetails> {
        let details = &answer["response"]["claimsOverrideDetails"];
        let v1 = Option::<V1ClaimsOverride>::deserialize(details)
            .map_err(|_| unreadable("V1"))?
            .unwrap_or_default();
        let id_token = TokenOverride {
            claims_to_add_or_override: v1.claims_to_add_or_override,
            claims_to_suppress: v1.claims_to_suppress,
            ..TokenOverride::default()
        };
        Ok(OverrideDetails {
            id_token_generation: Some(id_token).filter(|t| !t.is_empty()),
            access_token_generation: None,
            group_override_details: v1.group_override_details,
        })
    }

    /// actas's answer (`self`) over the pool's own function's: the other function's claims,
    /// suppressions, scopes and groups are kept, except actas's claims (never added, overridden
    /// or suppressed by it) and the scopes actas suppresses (never added back by it).
    pub fn merged_over(self, theirs: OverrideDetails) -> OverrideDetails {
        OverrideDetails {
            id_token_generation: merge_token(self.id_token_generation, theirs.id_token_generation),
            access_token_generation: merge_token(
                self.access_token_generation,
                theirs.access_token_generation,
            ),
            group_override_details: theirs.group_override_details,
        }
    }
}

/// `first` then what `second` adds to it.
fn union(first: Vec<String>, second: Vec<String>) -> Vec<String> {
    let mut all = first;
    for item in second {
        if !all.contains(&item) {
            all.push(item);
        }
    }
    all
}

fn merge_token(
    ours: Option<TokenOverride>,
    theirs: Option<TokenOverride>,
) -> Option<TokenOverride> {
    let ours = ours.unwrap_or_default();
    let mut theirs = theirs.unwrap_or_default();
    theirs
        .claims_to_add_or_override
        .retain(|name, _| !is_actas_claim(name));
    theirs
        .claims_to_suppress
        .retain(|name| !is_actas_claim(name));

    // Cognito refuses a claim or scope that is both added and suppressed: taking away wins, so
    // actas's suppressions stay in force and the other function's stay its own.
    let claims_to_suppress = union(ours.claims_to_suppress, theirs.claims_to_suppress);
    let mut claims = theirs.claims_to_add_or_override;
    claims.extend(ours.claims_to_add_or_override);
    claims.retain(|name, _| !claims_to_suppress.contains(name));
    let scopes_to_suppress = union(ours.scopes_to_suppress, theirs.scopes_to_suppress);
    let scopes_to_add = union(ours.scopes_to_add, theirs.scopes_to_add)
        .into_iter()
        .filter(|scope| !scopes_to_suppress.contains(scope))
        .collect();
    let merged = TokenOverride {
        claims_to_add_or_override: claims,
        claims_to_suppress,
        scopes_to_add,
        scopes_to_suppress,
    };
    Some(merged).filter(|t| !t.is_empty())
}

/// The event a V1 function expects for the V2 event Cognito sent actas: `version` "1", the
/// same sign-in, and only what V1 has in `request` (no scopes).
pub fn v1_event(event: &Value) -> Value {
    let mut v1 = event.clone();
    let request = &event["request"];
    let mut v1_request = Map::new();
    for field in ["userAttributes", "groupConfiguration", "clientMetadata"] {
        if let Some(value) = request.get(field) {
            v1_request.insert(field.to_string(), value.clone());
        }
    }
    if let Some(object) = v1.as_object_mut() {
        object.insert("version".into(), json!("1"));
        object.insert("request".into(), Value::Object(v1_request));
        object.insert("response".into(), json!({"claimsOverrideDetails": null}));
    }
    v1
}
