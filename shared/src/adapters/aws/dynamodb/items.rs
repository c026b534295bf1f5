//! The grants table's keys and item mapping: an item's partition and sort key, and each record to
//! and from its attributes.

use crate::adapters::aws::dynamodb::{get_n, get_opt_s, get_s, key, n, s, Item};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{
    ApiKey, ApiKeyStatus, ExchangeGrant, GrantKind, Impersonation, ImpersonationStatus,
};
use crate::domain::mode::Mode;
use std::collections::HashMap;

pub(crate) const IMPERSONATION_SK: &str = "IMPERSONATION";

pub(crate) const REFRESH_TOKEN_SK: &str = "REFRESH_TOKEN";

pub(crate) const EXCHANGE_SK: &str = "EXCHANGE";

pub(crate) const API_KEY_SK: &str = "APIKEY";

pub(crate) fn impersonation_pk(id: &str) -> String {
    format!("IMP#{id}")
}

/// A refresh token's pointer to its impersonation, keyed by the token's hash.
pub(crate) fn refresh_token_pk(token_hash: &str) -> String {
    format!("RTOKEN#{token_hash}")
}

/// A remint secret lives in its impersonation's partition.
pub(crate) fn remint_sk(remint_id: &str) -> String {
    format!("REMINT#{remint_id}")
}

pub(crate) fn exchange_pk(id: &str) -> String {
    format!("XCHG#{id}")
}

pub(crate) fn api_key_pk(id: &str) -> String {
    format!("APIKEY#{id}")
}

pub(crate) fn tenant_partition(tenant: Option<&str>) -> String {
    format!("TENANT#{}", tenant.unwrap_or("-"))
}

/// The listing indexes. Every one sorts by `gsi1sk` (created, then id), newest first:
/// - `gsi1` by target (`TARGET#<sub>`), `gsi2` by tenant (`TENANT#<tenant>`, sort `gsi2sk`),
///   `gsi3` by actor (`ACTOR#<sub>`), `gsi6` every impersonation (`IMPERSONATIONS`);
/// - `gsi4` (`LIVE#<tenant>`) and `gsi5` (`LIVE`) are sparse: an impersonation is in them only
///   while pending or active (ending one removes it), so `active=true` reads live ones only.
///
/// Own-session grants (a revert's) are in none of them: they are not impersonations.
pub(crate) const ALL_IMPERSONATIONS: &str = "IMPERSONATIONS";

/// The sparse live indexes' partition attributes, removed when an impersonation ends.
pub(crate) const LIVE_KEYS: &str = "gsi4pk, gsi5pk";

/// The cleanup's due list (`gsi7`, sparse): `DUE`, sorted by when (`gsi7sk`, epoch seconds, 12
/// digits) an impersonation reaches its hard end, or, once ended, is due for its refresh token's
/// revocation. Revoking (or settling) takes it off the list.
pub(crate) const DUE: &str = "DUE";

pub(crate) fn due_at(secs: i64) -> String {
    format!("{:012}", secs.max(0))
}

pub(crate) const LIVE: &str = "LIVE";

pub(crate) fn live_partition(tenant: Option<&str>) -> String {
    format!("LIVE#{}", tenant.unwrap_or("-"))
}

/// An impersonation as the store writes it (the scale benchmark seeds the table with it).
pub fn impersonation_item(imp: &Impersonation) -> Item {
    let mut item = key(impersonation_pk(&imp.id), IMPERSONATION_SK);
    let created = format!("{:013}#{}", imp.created_at_millis, imp.id);
    item.extend([
        ("kind".to_string(), s(imp.kind.as_str())),
        ("id".to_string(), s(&imp.id)),
        ("actor_sub".to_string(), s(&imp.actor_sub)),
        ("actor_username".to_string(), s(&imp.actor_username)),
        ("target_sub".to_string(), s(&imp.target_sub)),
        ("target_username".to_string(), s(&imp.target_username)),
        ("client_id".to_string(), s(&imp.client_id)),
        ("mode".to_string(), s(imp.mode.as_str())),
        (
            "break_glass".to_string(),
            aws_sdk_dynamodb::types::AttributeValue::Bool(imp.break_glass),
        ),
        ("status".to_string(), s(imp.status.as_str())),
        ("created_at".to_string(), n(imp.created_at_millis)),
        ("ends_at".to_string(), n(imp.ends_at)),
        ("mint_deadline".to_string(), n(imp.mint_deadline)),
        ("mint_secret_hash".to_string(), s(&imp.mint_secret_hash)),
        ("revert_secret_hash".to_string(), s(&imp.revert_secret_hash)),
        ("expires_at".to_string(), n(imp.expires_at)),
        ("last_active_at".to_string(), n(imp.last_active_at)),
        ("idle_secs".to_string(), n(imp.idle_secs)),
    ]);
    if imp.kind == GrantKind::Impersonation {
        let tenant = imp.tenant.as_deref();
        item.extend([
            (
                "gsi1pk".to_string(),
                s(format!("TARGET#{}", imp.target_sub)),
            ),
            ("gsi1sk".to_string(), s(created.clone())),
            ("gsi2pk".to_string(), s(tenant_partition(tenant))),
            ("gsi2sk".to_string(), s(format!("IMP#{created}"))),
            ("gsi3pk".to_string(), s(format!("ACTOR#{}", imp.actor_sub))),
            ("gsi6pk".to_string(), s(ALL_IMPERSONATIONS)),
        ]);
        if matches!(
            imp.status,
            ImpersonationStatus::Pending | ImpersonationStatus::Active
        ) {
            item.insert("gsi4pk".to_string(), s(live_partition(tenant)));
            item.insert("gsi5pk".to_string(), s(LIVE));
            item.insert("gsi7pk".to_string(), s(DUE));
            item.insert("gsi7sk".to_string(), s(due_at(imp.ends_at)));
        } else if imp.refresh_token_sealed.is_some() && imp.revoked_at.is_none() {
            item.insert("gsi7pk".to_string(), s(DUE));
            let ended = imp.ended_at.unwrap_or(imp.ends_at);
            item.insert("gsi7sk".to_string(), s(due_at(ended)));
        }
    }
    if let Some(tenant) = &imp.tenant {
        item.insert("tenant".to_string(), s(tenant));
    }
    insert_optional(&mut item, "reason", imp.reason.as_deref());
    insert_optional(&mut item, "ticket", imp.ticket.as_deref());
    insert_optional(
        &mut item,
        "refresh_token_sealed",
        imp.refresh_token_sealed.as_deref(),
    );
    if let Some(ended_at) = imp.ended_at {
        item.insert("ended_at".to_string(), n(ended_at));
    }
    if let Some(revoked_at) = imp.revoked_at {
        item.insert("revoked_at".to_string(), n(revoked_at));
    }
    item
}

pub(crate) fn insert_optional(item: &mut Item, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        item.insert(name.to_string(), s(value));
    }
}

pub(crate) fn impersonation_from(item: &Item) -> Result<Impersonation> {
    let status = get_s(item, "status")?;
    let kind = get_s(item, "kind")?;
    let created_at_millis = get_n(item, "created_at")?;
    Ok(Impersonation {
        id: get_s(item, "id")?,
        kind: GrantKind::parse(&kind)
            .ok_or_else(|| ActasError::Internal(format!("unknown kind {kind}")))?,
        actor_sub: get_s(item, "actor_sub")?,
        actor_username: get_s(item, "actor_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        tenant: get_opt_s(item, "tenant"),
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        mode: Mode::stored(get_opt_s(item, "mode").as_deref()),
        break_glass: matches!(
            item.get("break_glass"),
            Some(aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        ),
        client_id: get_s(item, "client_id")?,
        status: ImpersonationStatus::parse(&status)
            .ok_or_else(|| ActasError::Internal(format!("unknown status {status}")))?,
        created_at_millis,
        ends_at: get_n(item, "ends_at")?,
        mint_deadline: get_n(item, "mint_deadline")?,
        mint_secret_hash: get_s(item, "mint_secret_hash")?,
        revert_secret_hash: get_s(item, "revert_secret_hash")?,
        expires_at: get_n(item, "expires_at")?,
        refresh_token_sealed: get_opt_s(item, "refresh_token_sealed"),
        ended_at: get_n(item, "ended_at").ok(),
        revoked_at: get_n(item, "revoked_at").ok(),
        // A record written before idle timeouts: last used at its start, and no idle timeout
        // (it ends at its hard end, as it was promised when it started).
        last_active_at: get_n(item, "last_active_at")
            .unwrap_or_else(|_| created_at_millis.div_euclid(1000)),
        idle_secs: get_n(item, "idle_secs").unwrap_or(0),
    })
}

pub(crate) fn api_key_item(api_key: &ApiKey) -> Item {
    let mut item = key(api_key_pk(&api_key.id), API_KEY_SK);
    item.extend([
        ("kind".to_string(), s("api_key")),
        ("id".to_string(), s(&api_key.id)),
        ("tenant".to_string(), s(&api_key.tenant)),
        ("secret_hash".to_string(), s(&api_key.secret_hash)),
        ("status".to_string(), s(api_key_status(api_key.status))),
        ("description".to_string(), s(&api_key.description)),
        ("created_at".to_string(), n(api_key.created_at_millis)),
        (
            "gsi2pk".to_string(),
            s(tenant_partition(Some(&api_key.tenant))),
        ),
        ("gsi2sk".to_string(), s(format!("APIKEY#{}", api_key.id))),
    ]);
    if let Some(limit) = api_key.requests_per_minute {
        item.insert("requests_per_minute".to_string(), n(i64::from(limit)));
    }
    item
}

pub(crate) fn api_key_status(status: ApiKeyStatus) -> &'static str {
    match status {
        ApiKeyStatus::Active => "active",
        ApiKeyStatus::Revoked => "revoked",
    }
}

pub(crate) fn api_key_from(item: &Item) -> Result<ApiKey> {
    Ok(ApiKey {
        id: get_s(item, "id")?,
        tenant: get_s(item, "tenant")?,
        secret_hash: get_s(item, "secret_hash")?,
        status: match get_s(item, "status")?.as_str() {
            "active" => ApiKeyStatus::Active,
            _ => ApiKeyStatus::Revoked,
        },
        description: get_opt_s(item, "description").unwrap_or_default(),
        created_at_millis: get_n(item, "created_at")?,
        requests_per_minute: get_n(item, "requests_per_minute")
            .ok()
            .and_then(|v| u32::try_from(v).ok()),
    })
}

pub(crate) fn exchange_item(grant: &ExchangeGrant) -> Item {
    let mut item = key(exchange_pk(&grant.id), EXCHANGE_SK);
    item.extend([
        ("kind".to_string(), s("exchange")),
        ("id".to_string(), s(&grant.id)),
        ("audience".to_string(), s(&grant.audience)),
        ("actor_sub".to_string(), s(&grant.actor_sub)),
        ("actor_username".to_string(), s(&grant.actor_username)),
        ("target_sub".to_string(), s(&grant.target_sub)),
        ("target_username".to_string(), s(&grant.target_username)),
        ("mode".to_string(), s(grant.mode.as_str())),
        ("status".to_string(), s("issued")),
        ("token_expires_at".to_string(), n(grant.token_expires_at)),
        ("expires_at".to_string(), n(grant.expires_at)),
    ]);
    insert_optional(&mut item, "reason", grant.reason.as_deref());
    insert_optional(&mut item, "ticket", grant.ticket.as_deref());
    if let Some(seconds) = grant.max_duration_secs {
        item.insert("approved_duration".to_string(), n(seconds));
    }
    if let Some(approved) = &grant.approved {
        item.insert("request_id".to_string(), s(&approved.request_id));
        item.insert("approval_note".to_string(), s(&approved.note));
    }
    item
}

pub(crate) fn exchange_from(item: &Item) -> Result<ExchangeGrant> {
    Ok(ExchangeGrant {
        id: get_s(item, "id")?,
        audience: get_s(item, "audience")?,
        actor_sub: get_s(item, "actor_sub")?,
        actor_username: get_s(item, "actor_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        mode: Mode::stored(get_opt_s(item, "mode").as_deref()),
        max_duration_secs: item
            .contains_key("approved_duration")
            .then(|| get_n(item, "approved_duration"))
            .transpose()?,
        approved: get_opt_s(item, "request_id").map(|request_id| {
            crate::domain::mode::ApprovedStart {
                request_id,
                note: get_opt_s(item, "approval_note").unwrap_or_default(),
            }
        }),
        token_expires_at: get_n(item, "token_expires_at")?,
        expires_at: get_n(item, "expires_at")?,
    })
}

/// A listing's continuation: its last key, as base64url JSON of string attributes.
pub(crate) fn encode_page_token(key: &Item) -> String {
    use base64::Engine;
    let plain: HashMap<&String, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.as_str())))
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&plain).unwrap_or_default())
}

/// Reads a continuation, refusing one that points into another partition than the listing's.
pub(crate) fn decode_page_token(
    token: Option<&str>,
    partition: Option<(&str, &str, &str)>,
) -> Result<Option<Item>> {
    use base64::Engine;
    let Some(token) = token else { return Ok(None) };
    let invalid = || ActasError::BadRequest("nextToken is not valid".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let plain: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    // Exactly the key of the table or index the listing reads: a key with a missing or extra
    // attribute would make DynamoDB fail the request rather than refuse it.
    let mut expected = vec!["pk", "sk"];
    if let Some((attribute, value, sort)) = partition {
        expected.push(attribute);
        if plain.get(attribute).map(String::as_str) != Some(value) || !plain.contains_key(sort) {
            return Err(invalid());
        }
        if plain.len() != 4 {
            return Err(invalid());
        }
    } else if plain.len() != 2 {
        return Err(invalid());
    }
    let well_formed =
        |v: &String| !v.is_empty() && v.len() <= 512 && !v.chars().any(char::is_control);
    if expected.iter().any(|k| !plain.contains_key(*k)) || !plain.values().all(well_formed) {
        return Err(invalid());
    }
    Ok(Some(plain.into_iter().map(|(k, v)| (k, s(v))).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::dynamodb::s;

    #[test]
    fn impersonation_items_round_trip() {
        let imp = Impersonation {
            id: "id-1".into(),
            kind: GrantKind::Impersonation,
            actor_sub: "a".into(),
            actor_username: "admin".into(),
            target_sub: "t".into(),
            target_username: "user".into(),
            tenant: Some("acme".into()),
            reason: Some("ticket 42: billing looks wrong".into()),
            ticket: None,
            mode: crate::domain::mode::Mode::Full,
            break_glass: false,
            client_id: "client".into(),
            status: ImpersonationStatus::Pending,
            created_at_millis: 1_700_000_000_123,
            ends_at: 1_700_003_600,
            mint_deadline: 1_700_000_060,
            mint_secret_hash: "h1".into(),
            revert_secret_hash: "h2".into(),
            expires_at: 1_700_090_000,
            refresh_token_sealed: Some("c2VhbGVk".into()),
            ended_at: None,
            revoked_at: None,
            last_active_at: 1_700_000_900,
            idle_secs: 1_800,
        };
        let item = impersonation_item(&imp);
        assert_eq!(item["gsi1pk"], s("TARGET#t"));
        assert_eq!(item["gsi2pk"], s("TENANT#acme"));
        assert_eq!(impersonation_from(&item).unwrap(), imp);

        // Written before idle timeouts: last used at its start, no idle timeout.
        let mut older = item.clone();
        older.remove("last_active_at");
        older.remove("idle_secs");
        let read = impersonation_from(&older).unwrap();
        assert_eq!((read.last_active_at, read.idle_secs), (1_700_000_000, 0));
        assert!(!read.is_idle(imp.ends_at - 1));
    }

    #[test]
    fn api_key_items_round_trip() {
        let api_key = ApiKey {
            requests_per_minute: Some(30),
            id: "k1".into(),
            tenant: "acme".into(),
            secret_hash: "h".into(),
            status: ApiKeyStatus::Revoked,
            description: "demo".into(),
            created_at_millis: 5,
        };
        assert_eq!(api_key_from(&api_key_item(&api_key)).unwrap(), api_key);
    }
}
