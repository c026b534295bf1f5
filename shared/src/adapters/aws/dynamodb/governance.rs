//! Governance in the grants table: a tenant's settings (`SETTINGS#<tenant>`, kept as JSON) and
//! access requests (`REQ#<id>`), listed by target (`gsi1`), tenant (`gsi2`), requester (`gsi3`)
//! and all (`gsi6`), newest first. Decisions, consents and redemptions are conditional writes.

use crate::adapters::aws::dynamodb::{
    condition_failed, get_n, get_opt_s, get_s, key, n, s, upstream, DynamoStore, Item,
};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{AccessRequest, Approval, ApprovedTerms, Consent, TenantSettings};
use crate::domain::mode::Mode;
use crate::ports::governance::{GovernanceStore, RequestScope};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

const SETTINGS_SK: &str = "SETTINGS";
const REQUEST_SK: &str = "REQUEST";
/// The partition of `gsi6` that holds every request.
const ALL_REQUESTS: &str = "REQUESTS";
/// A listing reads at most this many recent requests (they live minutes).
const RECENT_REQUESTS: i32 = 100;

fn settings_pk(tenant: &str) -> String {
    format!("SETTINGS#{tenant}")
}

fn request_pk(id: &str) -> String {
    format!("REQ#{id}")
}

fn request_item(r: &AccessRequest) -> Item {
    let created = format!("{:013}#{}", r.created_at_millis, r.id);
    let mut item = key(request_pk(&r.id), REQUEST_SK);
    item.extend([
        ("kind".to_string(), s("request")),
        ("id".to_string(), s(&r.id)),
        ("requester_sub".to_string(), s(&r.requester_sub)),
        ("requester_username".to_string(), s(&r.requester_username)),
        ("target_sub".to_string(), s(&r.target_sub)),
        ("target_username".to_string(), s(&r.target_username)),
        ("mode".to_string(), s(r.mode.as_str())),
        ("approval_state".to_string(), s(r.approval.as_str())),
        ("consent_state".to_string(), s(r.consent.as_str())),
        ("created_at".to_string(), n(r.created_at_millis)),
        ("request_expires_at".to_string(), n(r.expires_at)),
        ("is_used".to_string(), AttributeValue::Bool(r.used)),
        // DynamoDB TTL: a day past its expiry.
        ("expires_at".to_string(), n(r.expires_at + 86_400)),
        (
            "gsi1pk".to_string(),
            s(format!("REQTARGET#{}", r.target_sub)),
        ),
        ("gsi1sk".to_string(), s(created.clone())),
        (
            "gsi2pk".to_string(),
            s(format!("REQTENANT#{}", r.tenant.as_deref().unwrap_or("-"))),
        ),
        ("gsi2sk".to_string(), s(format!("REQ#{created}"))),
        (
            "gsi3pk".to_string(),
            s(format!("REQACTOR#{}", r.requester_sub)),
        ),
        ("gsi6pk".to_string(), s(ALL_REQUESTS)),
    ]);
    for (name, value) in [
        ("tenant", &r.tenant),
        ("reason", &r.reason),
        ("ticket", &r.ticket),
        ("decided_by", &r.decided_by),
        ("decision_comment", &r.comment),
    ] {
        if let Some(value) = value {
            item.insert(name.to_string(), s(value));
        }
    }
    if let Some(mode) = r.approved_mode {
        item.insert("approved_mode".to_string(), s(mode.as_str()));
    }
    if let Some(seconds) = r.approved_duration_seconds {
        item.insert("approved_duration".to_string(), n(seconds));
    }
    item
}

fn request_from(item: &Item) -> Result<AccessRequest> {
    let stored = |name: &str| ActasError::Internal(format!("a request with a bad {name}"));
    Ok(AccessRequest {
        id: get_s(item, "id")?,
        requester_sub: get_s(item, "requester_sub")?,
        requester_username: get_s(item, "requester_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        tenant: get_opt_s(item, "tenant"),
        mode: Mode::stored(get_opt_s(item, "mode").as_deref()),
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        approval: Approval::parse(&get_s(item, "approval_state")?)
            .ok_or_else(|| stored("approval"))?,
        consent: Consent::parse(&get_s(item, "consent_state")?).ok_or_else(|| stored("consent"))?,
        created_at_millis: get_n(item, "created_at")?,
        expires_at: get_n(item, "request_expires_at")?,
        decided_by: get_opt_s(item, "decided_by"),
        comment: get_opt_s(item, "decision_comment"),
        // An approved mode that cannot be read is read-only: never more than it can prove.
        approved_mode: item
            .contains_key("approved_mode")
            .then(|| Mode::stored(get_opt_s(item, "approved_mode").as_deref())),
        approved_duration_seconds: item
            .contains_key("approved_duration")
            .then(|| get_n(item, "approved_duration"))
            .transpose()?,
        used: matches!(item.get("is_used"), Some(AttributeValue::Bool(true))),
    })
}

impl DynamoStore {
    async fn updated_request(
        &self,
        id: &str,
        update: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Option<AccessRequest>> {
        let mut call = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(request_pk(id), REQUEST_SK)))
            .update_expression(update)
            .condition_expression(condition)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        for (name, value) in values {
            call = call.expression_attribute_values(name, value);
        }
        match call.send().await {
            Ok(output) => output.attributes().map(request_from).transpose(),
            Err(err) if condition_failed(&err) => Ok(None),
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }
}

#[async_trait]
impl GovernanceStore for DynamoStore {
    async fn settings(&self, tenant: &str) -> Result<Option<TenantSettings>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(settings_pk(tenant), SETTINGS_SK)))
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        output
            .item()
            .map(|item| {
                serde_json::from_str(&get_s(item, "settings")?)
                    .map_err(|e| ActasError::Internal(format!("stored settings: {e}")))
            })
            .transpose()
    }

    async fn put_settings(&self, settings: &TenantSettings) -> Result<()> {
        let json = serde_json::to_string(settings)
            .map_err(|e| ActasError::Internal(format!("settings: {e}")))?;
        let mut item = key(settings_pk(&settings.tenant), SETTINGS_SK);
        item.extend([
            ("kind".to_string(), s("settings")),
            ("settings".to_string(), s(json)),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn create_request(&self, request: &AccessRequest) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(request_item(request)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn request(&self, id: &str) -> Result<Option<AccessRequest>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(request_pk(id), REQUEST_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        output
            .item()
            .filter(|item| get_opt_s(item, "kind").as_deref() == Some("request"))
            .map(request_from)
            .transpose()
    }

    async fn requests(&self, scope: &RequestScope) -> Result<Vec<AccessRequest>> {
        let (index, partition_key, partition) = match scope {
            RequestScope::All => ("gsi6", "gsi6pk", ALL_REQUESTS.to_string()),
            RequestScope::Tenant(tenant) => (
                "gsi2",
                "gsi2pk",
                format!("REQTENANT#{}", tenant.as_deref().unwrap_or("-")),
            ),
            RequestScope::Requester(sub) => ("gsi3", "gsi3pk", format!("REQACTOR#{sub}")),
            RequestScope::Target(sub) => ("gsi1", "gsi1pk", format!("REQTARGET#{sub}")),
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", partition_key)
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(false)
            .limit(RECENT_REQUESTS)
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        output
            .items()
            .iter()
            .filter(|item| get_opt_s(item, "kind").as_deref() == Some("request"))
            .map(request_from)
            .collect()
    }

    async fn decide(
        &self,
        id: &str,
        decision: Approval,
        decided_by: &str,
        comment: Option<&str>,
        terms: ApprovedTerms,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>> {
        let mut values = vec![
            (":decision", s(decision.as_str())),
            (":by", s(decided_by)),
            (":pending", s(Approval::Pending.as_str())),
            (":now", n(now_secs)),
        ];
        let mut update = "SET approval_state = :decision, decided_by = :by".to_string();
        if let Some(comment) = comment {
            values.push((":comment", s(comment)));
            update.push_str(", decision_comment = :comment");
        }
        // The terms in the same conditional write as the decision: no approval without them.
        if let Some(mode) = terms.mode {
            values.push((":approved_mode", s(mode.as_str())));
            update.push_str(", approved_mode = :approved_mode");
        }
        if let Some(seconds) = terms.duration_seconds {
            values.push((":approved_duration", n(seconds)));
            update.push_str(", approved_duration = :approved_duration");
        }
        self.updated_request(
            id,
            &update,
            "approval_state = :pending AND request_expires_at > :now",
            values,
        )
        .await
    }

    async fn answer_consent(
        &self,
        id: &str,
        answer: Consent,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>> {
        self.updated_request(
            id,
            "SET consent_state = :answer",
            "consent_state = :pending AND request_expires_at > :now",
            vec![
                (":answer", s(answer.as_str())),
                (":pending", s(Consent::Pending.as_str())),
                (":now", n(now_secs)),
            ],
        )
        .await
    }

    async fn require(
        &self,
        id: &str,
        approval: bool,
        consent: bool,
    ) -> Result<Option<AccessRequest>> {
        for (needed, field) in [(approval, "approval_state"), (consent, "consent_state")] {
            if needed {
                // `None`: it was already required (or decided); nothing to change.
                self.updated_request(
                    id,
                    &format!("SET {field} = :pending"),
                    &format!("{field} = :not_required"),
                    vec![
                        (":pending", s(Approval::Pending.as_str())),
                        (":not_required", s(Approval::NotRequired.as_str())),
                    ],
                )
                .await?;
            }
        }
        self.request(id).await
    }

    async fn redeem(&self, id: &str, now_secs: i64) -> Result<bool> {
        let redeemed = self
            .updated_request(
                id,
                "SET is_used = :used",
                "is_used = :unused AND request_expires_at > :now \
                 AND approval_state IN (:approved, :not_required) \
                 AND consent_state IN (:given, :not_required)",
                vec![
                    (":used", AttributeValue::Bool(true)),
                    (":unused", AttributeValue::Bool(false)),
                    (":now", n(now_secs)),
                    (":approved", s(Approval::Approved.as_str())),
                    (":given", s(Consent::Given.as_str())),
                    (":not_required", s(Approval::NotRequired.as_str())),
                ],
            )
            .await?;
        Ok(redeemed.is_some())
    }
}
