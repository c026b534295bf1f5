//! Attaching actas to a user pool it did not create: which trigger slots actas takes, which of
//! the pool's own functions it passes events on to, and what it recorded so that detaching puts
//! the pool back exactly as it was. Pure: the Cognito adapter reads and writes the pool.

use serde::{Deserialize, Serialize};

/// A Lambda trigger with a version (pre-token generation, custom senders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionedTrigger {
    pub lambda_arn: String,
    /// `V1_0`, `V2_0` or `V3_0` (pre-token generation); `V1_0` (custom senders).
    pub lambda_version: String,
}

/// A pool's `LambdaConfig`, field for field (names as in the Cognito API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_sign_up: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_confirmation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_authentication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_authentication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub define_auth_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_auth_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_auth_challenge_response: Option<String>,
    /// The V1 field; AWS keeps it equal to `pre_token_generation_config.lambda_arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_token_generation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_token_generation_config: Option<VersionedTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_migration: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "CustomSMSSender"
    )]
    pub custom_sms_sender: Option<VersionedTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_email_sender: Option<VersionedTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "KMSKeyID")]
    pub kms_key_id: Option<String>,
}

impl LambdaConfig {
    /// The pre-token function and its version, from whichever field names it.
    pub fn pre_token(&self) -> Option<VersionedTrigger> {
        self.pre_token_generation_config.clone().or_else(|| {
            self.pre_token_generation
                .clone()
                .map(|lambda_arn| VersionedTrigger {
                    lambda_arn,
                    lambda_version: "V1_0".into(),
                })
        })
    }
}

/// actas's four trigger functions (this stack's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActasTriggers {
    pub define_auth_challenge: String,
    pub create_auth_challenge: String,
    pub verify_auth_challenge_response: String,
    pub pre_token_generation: String,
}

/// The pool's own functions that held actas's slots before it attached: actas's triggers pass
/// every event that is not actas's (custom auth) or after actas's own work (pre-token) to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainedTriggers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub define_auth_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_auth_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_auth_challenge_response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_token_generation: Option<VersionedTrigger>,
}

impl ChainedTriggers {
    pub fn is_empty(&self) -> bool {
        self == &ChainedTriggers::default()
    }
}

/// What attaching recorded (kept in actas's table, one item per pool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolAttachment {
    pub user_pool_id: String,
    /// The `LambdaConfig` the pool had before actas attached, to restore on detach.
    pub previous_lambda_config: LambdaConfig,
    pub actas: ActasTriggers,
    pub chained: ChainedTriggers,
    /// The resource server was made by actas (and is removed on detach).
    #[serde(default)]
    pub created_resource_server: Option<String>,
    /// Groups made by actas (removed on detach when nobody is in them).
    #[serde(default)]
    pub created_groups: Vec<String>,
    pub attached_at: i64,
}

/// The `LambdaConfig` with actas in its four slots, and what those slots held before (unless it
/// was actas itself: attaching twice changes nothing and chains nothing to itself).
pub fn attach_plan(
    current: &LambdaConfig,
    actas: &ActasTriggers,
) -> (LambdaConfig, ChainedTriggers) {
    let keep = |slot: &Option<String>, ours: &str| slot.clone().filter(|arn| arn != ours);
    let chained = ChainedTriggers {
        define_auth_challenge: keep(&current.define_auth_challenge, &actas.define_auth_challenge),
        create_auth_challenge: keep(&current.create_auth_challenge, &actas.create_auth_challenge),
        verify_auth_challenge_response: keep(
            &current.verify_auth_challenge_response,
            &actas.verify_auth_challenge_response,
        ),
        pre_token_generation: current
            .pre_token()
            .filter(|t| t.lambda_arn != actas.pre_token_generation),
    };
    let mut attached = current.clone();
    attached.define_auth_challenge = Some(actas.define_auth_challenge.clone());
    attached.create_auth_challenge = Some(actas.create_auth_challenge.clone());
    attached.verify_auth_challenge_response = Some(actas.verify_auth_challenge_response.clone());
    attached.pre_token_generation = Some(actas.pre_token_generation.clone());
    attached.pre_token_generation_config = Some(VersionedTrigger {
        lambda_arn: actas.pre_token_generation.clone(),
        lambda_version: "V2_0".into(),
    });
    (attached, chained)
}

/// The `LambdaConfig` after detaching: actas's four slots back to what they held before it
/// attached; every other slot as it is now (actas never touched them).
pub fn detach_plan(current: &LambdaConfig, attachment: &PoolAttachment) -> LambdaConfig {
    let previous = &attachment.previous_lambda_config;
    let actas = &attachment.actas;
    let restore = |now: &Option<String>, before: &Option<String>, ours: &str| {
        if now.as_deref() == Some(ours) {
            before.clone()
        } else {
            now.clone()
        }
    };
    let mut detached = current.clone();
    detached.define_auth_challenge = restore(
        &current.define_auth_challenge,
        &previous.define_auth_challenge,
        &actas.define_auth_challenge,
    );
    detached.create_auth_challenge = restore(
        &current.create_auth_challenge,
        &previous.create_auth_challenge,
        &actas.create_auth_challenge,
    );
    detached.verify_auth_challenge_response = restore(
        &current.verify_auth_challenge_response,
        &previous.verify_auth_challenge_response,
        &actas.verify_auth_challenge_response,
    );
    let pre_token_is_ours = current
        .pre_token()
        .is_some_and(|t| t.lambda_arn == actas.pre_token_generation);
    if pre_token_is_ours {
        detached.pre_token_generation = previous.pre_token_generation.clone();
        detached.pre_token_generation_config = previous.pre_token_generation_config.clone();
    }
    detached
}

/// Which of actas's slots hold actas's functions now (for `actas pool status`).
pub fn wired_slots(current: &LambdaConfig, actas: &ActasTriggers) -> Vec<(&'static str, bool)> {
    vec![
        (
            "DefineAuthChallenge",
            current.define_auth_challenge.as_deref() == Some(actas.define_auth_challenge.as_str()),
        ),
        (
            "CreateAuthChallenge",
            current.create_auth_challenge.as_deref() == Some(actas.create_auth_challenge.as_str()),
        ),
        (
            "VerifyAuthChallengeResponse",
            current.verify_auth_challenge_response.as_deref()
                == Some(actas.verify_auth_challenge_response.as_str()),
        ),
        (
            "PreTokenGeneration (V2_0)",
            current
                .pre_token_generation_config
                .as_ref()
                .is_some_and(|t| {
                    t.lambda_arn == actas.pre_token_generation && t.lambda_version != "V1_0"
                }),
        ),
    ]
}

/// A user pool as actas reads it before joining it (`DescribeUserPool`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDescription {
    pub user_pool_id: String,
    pub name: String,
    pub arn: Option<String>,
    /// The feature plan: `LITE`, `ESSENTIALS` or `PLUS` (`None` when the pool does not say).
    pub tier: Option<String>,
    pub lambda_config: LambdaConfig,
    /// Every attribute of the pool's schema, custom ones as `custom:<name>`.
    pub attribute_names: Vec<String>,
}

impl PoolDescription {
    /// The Lite plan has no pre-token generation V2, which actas needs (see `app::pool_attachment`).
    pub fn is_lite(&self) -> bool {
        self.tier
            .as_deref()
            .is_some_and(|tier| tier.eq_ignore_ascii_case("LITE"))
    }

    pub fn has_attribute(&self, name: &str) -> bool {
        self.attribute_names.iter().any(|a| a == name)
    }
}

/// The scopes of the resource server actas creates in a pool it joins (`<identifier>/read`,
/// `<identifier>/write`): read-only and full impersonated sessions.
pub const RESOURCE_SERVER_SCOPES: [&str; 2] = ["read", "write"];

/// A resource server of the pool (an OAuth scope namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
}

/// One `LambdaConfig` slot whose value changes (a versioned trigger shown as `arn (V2_0)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotChange {
    pub slot: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl LambdaConfig {
    /// Every slot by its API name, with what it holds.
    pub fn slots(&self) -> Vec<(&'static str, Option<String>)> {
        let versioned = |t: &Option<VersionedTrigger>| {
            t.as_ref()
                .map(|t| format!("{} ({})", t.lambda_arn, t.lambda_version))
        };
        vec![
            ("PreSignUp", self.pre_sign_up.clone()),
            ("CustomMessage", self.custom_message.clone()),
            ("PostConfirmation", self.post_confirmation.clone()),
            ("PreAuthentication", self.pre_authentication.clone()),
            ("PostAuthentication", self.post_authentication.clone()),
            ("DefineAuthChallenge", self.define_auth_challenge.clone()),
            ("CreateAuthChallenge", self.create_auth_challenge.clone()),
            (
                "VerifyAuthChallengeResponse",
                self.verify_auth_challenge_response.clone(),
            ),
            ("PreTokenGeneration", self.pre_token_generation.clone()),
            (
                "PreTokenGenerationConfig",
                versioned(&self.pre_token_generation_config),
            ),
            ("UserMigration", self.user_migration.clone()),
            ("CustomSMSSender", versioned(&self.custom_sms_sender)),
            ("CustomEmailSender", versioned(&self.custom_email_sender)),
            ("KMSKeyID", self.kms_key_id.clone()),
        ]
    }
}

/// The slots whose value differs between two configurations, in API order.
pub fn lambda_config_changes(before: &LambdaConfig, after: &LambdaConfig) -> Vec<SlotChange> {
    before
        .slots()
        .into_iter()
        .zip(after.slots())
        .filter(|((_, was), (_, now))| was != now)
        .map(|((slot, was), (_, now))| SlotChange {
            slot: slot.to_string(),
            before: was,
            after: now,
        })
        .collect()
}

/// The configuration with actas's own functions taken out of its four slots: what a pool "had
/// before actas" when actas is found wired without a record (the record was lost), so that
/// detaching never restores actas to itself.
pub fn without_actas(current: &LambdaConfig, actas: &ActasTriggers) -> LambdaConfig {
    let drop_ours = |slot: &Option<String>, ours: &str| slot.clone().filter(|arn| arn != ours);
    let mut cleaned = current.clone();
    cleaned.define_auth_challenge =
        drop_ours(&current.define_auth_challenge, &actas.define_auth_challenge);
    cleaned.create_auth_challenge =
        drop_ours(&current.create_auth_challenge, &actas.create_auth_challenge);
    cleaned.verify_auth_challenge_response = drop_ours(
        &current.verify_auth_challenge_response,
        &actas.verify_auth_challenge_response,
    );
    if current
        .pre_token()
        .is_some_and(|t| t.lambda_arn == actas.pre_token_generation)
    {
        cleaned.pre_token_generation = None;
        cleaned.pre_token_generation_config = None;
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actas() -> ActasTriggers {
        ActasTriggers {
            define_auth_challenge: "arn:actas-define".into(),
            create_auth_challenge: "arn:actas-create".into(),
            verify_auth_challenge_response: "arn:actas-verify".into(),
            pre_token_generation: "arn:actas-pre-token".into(),
        }
    }

    fn product_pool() -> LambdaConfig {
        LambdaConfig {
            post_authentication: Some("arn:product-post-auth".into()),
            define_auth_challenge: Some("arn:product-define".into()),
            create_auth_challenge: Some("arn:product-create".into()),
            verify_auth_challenge_response: Some("arn:product-verify".into()),
            pre_token_generation: Some("arn:product-pre-token".into()),
            pre_token_generation_config: Some(VersionedTrigger {
                lambda_arn: "arn:product-pre-token".into(),
                lambda_version: "V2_0".into(),
            }),
            custom_email_sender: Some(VersionedTrigger {
                lambda_arn: "arn:product-mailer".into(),
                lambda_version: "V1_0".into(),
            }),
            kms_key_id: Some("arn:key".into()),
            ..LambdaConfig::default()
        }
    }

    #[test]
    fn attaching_takes_four_slots_and_chains_what_they_held() {
        let before = product_pool();
        let (after, chained) = attach_plan(&before, &actas());
        assert_eq!(after.post_authentication, before.post_authentication);
        assert_eq!(after.custom_email_sender, before.custom_email_sender);
        assert_eq!(after.kms_key_id, before.kms_key_id);
        assert_eq!(
            after.define_auth_challenge.as_deref(),
            Some("arn:actas-define")
        );
        assert_eq!(
            after
                .pre_token_generation_config
                .as_ref()
                .map(|t| t.lambda_version.as_str()),
            Some("V2_0")
        );
        assert_eq!(
            chained.define_auth_challenge.as_deref(),
            Some("arn:product-define")
        );
        assert_eq!(
            chained
                .pre_token_generation
                .as_ref()
                .map(|t| t.lambda_arn.as_str()),
            Some("arn:product-pre-token")
        );
        // Attaching again: the same config, nothing chained to actas itself.
        let (again, chained_again) = attach_plan(&after, &actas());
        assert_eq!(again, after);
        assert!(chained_again.is_empty());
    }

    #[test]
    fn a_v1_pre_token_function_is_chained_as_v1() {
        let before = LambdaConfig {
            pre_token_generation: Some("arn:old".into()),
            ..LambdaConfig::default()
        };
        let (_, chained) = attach_plan(&before, &actas());
        assert_eq!(
            chained.pre_token_generation,
            Some(VersionedTrigger {
                lambda_arn: "arn:old".into(),
                lambda_version: "V1_0".into()
            })
        );
    }

    #[test]
    fn detaching_restores_exactly_what_was_there() {
        for before in [product_pool(), LambdaConfig::default()] {
            let (after, chained) = attach_plan(&before, &actas());
            let attachment = PoolAttachment {
                user_pool_id: "pool".into(),
                previous_lambda_config: before.clone(),
                actas: actas(),
                chained,
                created_resource_server: None,
                created_groups: vec![],
                attached_at: 0,
            };
            assert_eq!(detach_plan(&after, &attachment), before);
            // A slot someone changed after attaching stays as they set it.
            let mut changed = after.clone();
            changed.define_auth_challenge = Some("arn:someone-else".into());
            changed.custom_message = Some("arn:new-messages".into());
            let detached = detach_plan(&changed, &attachment);
            assert_eq!(
                detached.define_auth_challenge.as_deref(),
                Some("arn:someone-else")
            );
            assert_eq!(detached.custom_message.as_deref(), Some("arn:new-messages"));
            assert_eq!(detached.pre_token(), before.pre_token());
        }
    }

    #[test]
    fn lambda_config_serializes_with_the_api_names() {
        let json = serde_json::to_value(product_pool()).unwrap();
        assert_eq!(json["PreTokenGenerationConfig"]["LambdaVersion"], "V2_0");
        assert_eq!(json["KMSKeyID"], "arn:key");
        assert_eq!(json["CustomEmailSender"]["LambdaArn"], "arn:product-mailer");
        assert!(json.get("PreSignUp").is_none());
        let back: LambdaConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, product_pool());
        let wired = wired_slots(&attach_plan(&product_pool(), &actas()).0, &actas());
        assert!(wired.iter().all(|(_, on)| *on));
        assert!(wired_slots(&product_pool(), &actas())
            .iter()
            .all(|(_, on)| !*on));
    }
}
