//! The `PoolAttachment` CloudFormation custom resource: a stack that brings its own user pool
//! attaches actas to it on Create, moves it on Update, detaches it on Delete. CloudFormation is
//! always answered (it would otherwise wait an hour), with the failure's text as the reason; the
//! function itself never fails.

use super::{attach, detach, AttachRequest, PoolPorts};
use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::{IdentityMapping, MappingSettings};
use crate::domain::pool_attachment::ActasTriggers;
use crate::ports::clock::Clock;
use crate::ports::pool::{CustomResourceResponder, PoolAttachmentStore, UserPoolAdmin};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tracing::{error, info};

/// What the custom resource function works with.
pub struct PoolAttachmentState {
    pub pools: Arc<dyn UserPoolAdmin>,
    pub attachments: Arc<dyn PoolAttachmentStore>,
    pub responder: Arc<dyn CustomResourceResponder>,
    pub clock: Arc<dyn Clock>,
}

impl PoolAttachmentState {
    fn ports(&self) -> PoolPorts<'_> {
        PoolPorts {
            pools: self.pools.as_ref(),
            attachments: self.attachments.as_ref(),
        }
    }
}

const PHYSICAL_ID_PREFIX: &str = "actas-pool-";

/// The physical id of a Create that failed: it names no pool, so the Delete CloudFormation sends
/// when it rolls back detaches nothing (the pool may be attached already, by another stack or the
/// CLI, and a failed attach undoes only its own work).
const NOT_ATTACHED_PREFIX: &str = "actas-pool-not-attached-";

/// The request's envelope: everything CloudFormation needs back. Read leniently (every field
/// may be missing) so that even a malformed request is answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CustomResourceRequest {
    pub request_type: String,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub physical_resource_id: Option<String>,
}

/// `ResourceProperties` (and `OldResourceProperties`): strings, as CloudFormation passes them.
/// A mapping property that is absent is the default; present and empty is "none".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttachmentProperties {
    pub user_pool_id: String,
    pub define_auth_challenge_arn: String,
    pub create_auth_challenge_arn: String,
    pub verify_auth_challenge_arn: String,
    pub pre_token_generation_arn: String,
    pub resource_server_identifier: Option<String>,
    pub create_groups: Option<String>,
    pub role_groups: Option<String>,
    pub role_attribute: Option<String>,
    pub role_attribute_values: Option<String>,
    pub tenant_attribute: Option<String>,
    pub single_tenant_id: Option<String>,
    pub team_attribute: Option<String>,
    pub team_role_attribute: Option<String>,
    pub team_admin_value: Option<String>,
    pub protected_attribute: Option<String>,
}

impl AttachmentProperties {
    fn from_event(event: &Value, key: &str) -> Result<Option<AttachmentProperties>> {
        match event.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(properties) => serde_json::from_value(properties.clone())
                .map(Some)
                .map_err(|e| ActasError::BadRequest(format!("{key}: {e}"))),
        }
    }

    /// The attach these properties ask for; every problem named.
    pub fn attach_request(&self, now: i64) -> Result<AttachRequest> {
        let mut problems = Vec::new();
        let mut required = |name: &str, value: &str| {
            if value.trim().is_empty() {
                problems.push(format!("{name} is required"));
            }
            value.trim().to_string()
        };
        let user_pool_id = required("UserPoolId", &self.user_pool_id);
        let actas = ActasTriggers {
            define_auth_challenge: required(
                "DefineAuthChallengeArn",
                &self.define_auth_challenge_arn,
            ),
            create_auth_challenge: required(
                "CreateAuthChallengeArn",
                &self.create_auth_challenge_arn,
            ),
            verify_auth_challenge_response: required(
                "VerifyAuthChallengeArn",
                &self.verify_auth_challenge_arn,
            ),
            pre_token_generation: required("PreTokenGenerationArn", &self.pre_token_generation_arn),
        };
        let create_groups = match self.create_groups.as_deref().map(str::trim) {
            None | Some("") => false,
            Some(value) if value.eq_ignore_ascii_case("true") => true,
            Some(value) if value.eq_ignore_ascii_case("false") => false,
            Some(other) => {
                problems.push(format!("CreateGroups: {other:?} is not true or false"));
                false
            }
        };
        let mapping = match IdentityMapping::parse(&MappingSettings {
            role_groups: self.role_groups.clone(),
            role_attribute: self.role_attribute.clone(),
            role_attribute_values: self.role_attribute_values.clone(),
            tenant_attribute: self.tenant_attribute.clone(),
            single_tenant: self.single_tenant_id.clone(),
            team_attribute: self.team_attribute.clone(),
            team_role_attribute: self.team_role_attribute.clone(),
            team_admin_value: self.team_admin_value.clone(),
            protected_attribute: self.protected_attribute.clone(),
        }) {
            Ok(mapping) => mapping,
            Err(mapping_problems) => {
                problems.extend(mapping_problems);
                IdentityMapping::default()
            }
        };
        if !problems.is_empty() {
            return Err(ActasError::BadRequest(problems.join("; ")));
        }
        Ok(AttachRequest {
            user_pool_id,
            actas,
            mapping,
            resource_server_identifier: self
                .resource_server_identifier
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or("actas")
                .to_string(),
            create_groups,
            dry_run: false,
            now,
        })
    }
}

/// What a request did: the pool it concerns and the data the stack can read (`Fn::GetAtt`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Done {
    user_pool_id: String,
    data: Map<String, Value>,
    summary: String,
}

/// Serves one request and answers CloudFormation. Always `Ok`: the answer carries the outcome.
pub async fn handle_custom_resource(state: &PoolAttachmentState, event: Value) -> Result<Value> {
    let request: CustomResourceRequest = serde_json::from_value(event.clone()).unwrap_or_default();
    let outcome = serve(state, &request, &event).await;
    let response = response_body(&request, &outcome);
    match &outcome {
        Ok(done) => info!(
            request_type = %request.request_type,
            user_pool_id = %done.user_pool_id,
            summary = %done.summary,
            "pool attachment request served"
        ),
        Err(err) => {
            error!(request_type = %request.request_type, error = %err, "pool attachment request failed")
        }
    }
    if request.response_url.is_empty() {
        error!("no ResponseURL: CloudFormation cannot be answered");
    } else if let Err(err) = state
        .responder
        .respond(&request.response_url, &response)
        .await
    {
        error!(error = %err, "answering CloudFormation failed");
    }
    Ok(response)
}

async fn serve(
    state: &PoolAttachmentState,
    request: &CustomResourceRequest,
    event: &Value,
) -> Result<Done> {
    let properties = AttachmentProperties::from_event(event, "ResourceProperties")?;
    let now = state.clock.now_secs();
    match request.request_type.as_str() {
        "Create" => attach_with(state, properties.as_ref(), now).await,
        "Update" => {
            let new = properties.as_ref();
            let old = AttachmentProperties::from_event(event, "OldResourceProperties")?;
            let old_pool = old.as_ref().map(|o| o.user_pool_id.trim()).unwrap_or("");
            let new_pool = new.map(|n| n.user_pool_id.trim()).unwrap_or("");
            if !old_pool.is_empty() && old_pool != new_pool {
                // The old pool first: actas's triggers serve one pool.
                detach(state.ports(), old_pool, false).await?;
            }
            attach_with(state, new, now).await
        }
        "Delete" => {
            let physical = request.physical_resource_id.as_deref().unwrap_or("");
            let user_pool_id = if physical.starts_with(NOT_ATTACHED_PREFIX) {
                None
            } else {
                physical
                    .strip_prefix(PHYSICAL_ID_PREFIX)
                    .map(str::to_string)
                    .or_else(|| {
                        properties
                            .as_ref()
                            .map(|p| p.user_pool_id.trim().to_string())
                    })
                    .filter(|id| !id.is_empty())
            };
            let Some(user_pool_id) = user_pool_id else {
                return Ok(Done {
                    user_pool_id: String::new(),
                    data: Map::new(),
                    summary: "nothing was attached".into(),
                });
            };
            // A pool that is gone is detached already: only the record goes.
            let report = detach(state.ports(), &user_pool_id, false).await?;
            let summary = if !report.attached {
                "not attached".to_string()
            } else if !report.pool_exists {
                "the pool is gone; record removed".to_string()
            } else {
                format!("detached ({} slots restored)", report.lambda_config.len())
            };
            Ok(Done {
                user_pool_id,
                data: Map::new(),
                summary,
            })
        }
        other => Err(ActasError::BadRequest(format!(
            "RequestType {other:?} is not Create, Update or Delete"
        ))),
    }
}

async fn attach_with(
    state: &PoolAttachmentState,
    properties: Option<&AttachmentProperties>,
    now: i64,
) -> Result<Done> {
    let properties = properties
        .ok_or_else(|| ActasError::BadRequest("ResourceProperties is required".into()))?;
    let request = properties.attach_request(now)?;
    let report = attach(state.ports(), request).await?;
    let mut data = Map::new();
    data.insert("UserPoolId".into(), json!(report.user_pool_id));
    if let Some(arn) = &report.user_pool_arn {
        data.insert("UserPoolArn".into(), json!(arn));
    }
    let summary = if report.unchanged {
        "attached already; nothing changed".to_string()
    } else {
        format!("attached ({} slots changed)", report.lambda_config.len())
    };
    Ok(Done {
        user_pool_id: report.user_pool_id,
        data,
        summary,
    })
}

/// CloudFormation caps the whole response at 4 KiB; the reason gets most of it.
const MAX_REASON_CHARS: usize = 2000;

/// The response document CloudFormation reads.
fn response_body(request: &CustomResourceRequest, outcome: &Result<Done>) -> Value {
    let (status, reason, physical_resource_id, data) = match outcome {
        Ok(done) => (
            "SUCCESS",
            done.summary.clone(),
            physical_id(request, Some(&done.user_pool_id)),
            Value::Object(done.data.clone()),
        ),
        Err(err) => (
            "FAILED",
            // The error's own text: CloudFormation shows it in the stack's events, where the
            // operator reads which mapping problem or AWS refusal it was.
            err.to_string(),
            physical_id(request, None),
            json!({}),
        ),
    };
    json!({
        "Status": status,
        "Reason": reason.chars().take(MAX_REASON_CHARS).collect::<String>(),
        "PhysicalResourceId": physical_resource_id,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "Data": data,
    })
}

/// `actas-pool-<poolId>` for what was attached; an Update or Delete keeps the id it was given
/// when it did not attach; a failed Create gets one that names no pool.
fn physical_id(request: &CustomResourceRequest, attached_pool: Option<&str>) -> String {
    let given = request
        .physical_resource_id
        .clone()
        .filter(|id| !id.is_empty());
    match (request.request_type.as_str(), attached_pool) {
        ("Create" | "Update", Some(pool)) if !pool.is_empty() => {
            format!("{PHYSICAL_ID_PREFIX}{pool}")
        }
        ("Create", _) => format!("{NOT_ATTACHED_PREFIX}{}", request.request_id),
        _ => given.unwrap_or_else(|| format!("{NOT_ATTACHED_PREFIX}{}", request.request_id)),
    }
}

#[cfg(test)]
mod tests;
