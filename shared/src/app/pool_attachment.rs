//! Attaching actas to a user pool it did not create, detaching it, and how a pool stands:
//! `actas pool attach|detach|status` and the `PoolAttachment` custom resource
//! (`custom_resource`). actas takes four trigger slots and passes on to the functions that held
//! them; detaching puts back exactly what it found; nothing else of the pool changes.

pub mod custom_resource;

use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::{IdentityMapping, RoleSource};
use crate::domain::pool_attachment::{
    attach_plan, detach_plan, lambda_config_changes, wired_slots, without_actas, ActasTriggers,
    ChainedTriggers, LambdaConfig, PoolAttachment, PoolDescription, ResourceServer, SlotChange,
};
use crate::ports::pool::{PoolAttachmentStore, UserPoolAdmin};
use serde::Serialize;
use tracing::{info, warn};

/// What the use cases reach: the pool and actas's record of it.
#[derive(Clone, Copy)]
pub struct PoolPorts<'a> {
    pub pools: &'a dyn UserPoolAdmin,
    pub attachments: &'a dyn PoolAttachmentStore,
}

#[derive(Debug, Clone)]
pub struct AttachRequest {
    pub user_pool_id: String,
    /// This deployment's four trigger functions.
    pub actas: ActasTriggers,
    pub mapping: IdentityMapping,
    /// The resource server of actas's scopes (`<identifier>/read`, `<identifier>/write`).
    pub resource_server_identifier: String,
    /// Create the role groups the mapping names that the pool lacks (else they are problems).
    pub create_groups: bool,
    /// Report what would change; change nothing.
    pub dry_run: bool,
    /// Seconds since the epoch.
    pub now: i64,
}

/// What attaching changed, or would change (`dry_run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachReport {
    pub user_pool_id: String,
    pub user_pool_arn: Option<String>,
    pub dry_run: bool,
    /// actas was attached already, as asked: nothing was (or would be) written.
    pub unchanged: bool,
    /// The `LambdaConfig` slots that change, before and after.
    pub lambda_config: Vec<SlotChange>,
    /// The pool's own functions actas passes events on to.
    pub chained: ChainedTriggers,
    pub created_groups: Vec<String>,
    pub created_resource_server: Option<String>,
}

/// What detaching changed, or would change (`dry_run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetachReport {
    pub user_pool_id: String,
    pub dry_run: bool,
    /// actas had a record of attaching to this pool (without one, nothing is done).
    pub attached: bool,
    pub pool_exists: bool,
    pub lambda_config: Vec<SlotChange>,
    pub deleted_resource_server: Option<String>,
    pub deleted_groups: Vec<String>,
    /// Groups actas made that people are in now: they stay.
    pub kept_groups: Vec<String>,
}

/// One of actas's slots and whether actas's function is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotWiring {
    pub slot: String,
    pub wired: bool,
}

/// How a pool stands with actas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolStatus {
    pub user_pool_id: String,
    pub exists: bool,
    pub tier: Option<String>,
    /// The tier has pre-token generation V2 (Essentials or Plus).
    pub tier_supported: bool,
    pub slots: Vec<SlotWiring>,
    /// The pool's own functions actas passes (or would pass) events on to.
    pub chained: ChainedTriggers,
    /// What the mapping names that the pool lacks, each with the parameter that names it.
    pub mapping_problems: Vec<String>,
    pub resource_server: Option<ResourceServer>,
    /// actas has a record of attaching to the pool.
    pub recorded: bool,
    pub attached_at: Option<i64>,
}

/// Why a Lite pool is refused, and how to change its plan.
pub fn lite_refusal(user_pool_id: &str) -> String {
    format!(
        "user pool {user_pool_id} is on the Lite feature plan; actas needs pre-token generation \
         V2 (claims and scope suppression in access tokens: without it an impersonated access \
         token would keep the self-service scope aws.cognito.signin.user.admin), which needs the \
         Essentials or Plus feature plan. Change the plan in the Cognito console (the pool's \
         Settings, Feature plan) or with UpdateUserPool and UserPoolTier=ESSENTIALS sent together \
         with the pool's whole configuration (an update resets every setting it is not given)"
    )
}

fn no_pool(user_pool_id: &str) -> ActasError {
    ActasError::NotFound(format!(
        "user pool {user_pool_id} does not exist (or this role may not describe it)"
    ))
}

/// The mapping checked against the pool: attributes that are not in its schema and role groups
/// it does not have, each named with the parameter that names it.
struct MappingCheck {
    attribute_problems: Vec<String>,
    missing_groups: Vec<String>,
}

impl MappingCheck {
    fn of(pool: &PoolDescription, groups: &[String], mapping: &IdentityMapping) -> MappingCheck {
        let id = &pool.user_pool_id;
        MappingCheck {
            attribute_problems: mapping
                .attribute_names()
                .into_iter()
                .filter(|(_, name)| !pool.has_attribute(name))
                .map(|(label, name)| format!("{label}: {name:?} is not an attribute of pool {id}"))
                .collect(),
            missing_groups: mapping
                .group_names()
                .into_iter()
                .filter(|name| !groups.iter().any(|g| g == name))
                .map(str::to_string)
                .collect(),
        }
    }

    fn group_problems(&self, user_pool_id: &str) -> Vec<String> {
        self.missing_groups
            .iter()
            .map(|group| {
                format!("RoleGroups: group {group:?} does not exist in pool {user_pool_id}")
            })
            .collect()
    }
}

/// What actas's slots held before actas: with a record, its slots as the record restores them;
/// without one, the pool's, less any actas function already there (a lost record).
fn before_actas(
    current: &LambdaConfig,
    record: Option<&PoolAttachment>,
    actas: &ActasTriggers,
) -> LambdaConfig {
    match record {
        Some(record) => without_actas(&detach_plan(current, record), actas),
        None => without_actas(current, actas),
    }
}

fn group_description(mapping: &IdentityMapping, group: &str) -> String {
    let role = match &mapping.roles {
        RoleSource::Groups(pairs) => pairs
            .iter()
            .find(|(_, name)| name == group)
            .map(|(role, _)| role.slug()),
        RoleSource::Attribute { .. } => None,
    };
    match role {
        Some(role) => format!("actas role {role} (created by actas)"),
        None => "created by actas".to_string(),
    }
}

/// Wires actas into the pool (see the module's documentation). Refuses a missing pool, a Lite
/// pool and a mapping the pool cannot serve; attaching again changes nothing; a failure undoes
/// what this call did.
pub async fn attach(ports: PoolPorts<'_>, request: AttachRequest) -> Result<AttachReport> {
    let id = request.user_pool_id.as_str();
    let pool = ports
        .pools
        .describe_pool(id)
        .await?
        .ok_or_else(|| no_pool(id))?;
    if pool.is_lite() {
        return Err(ActasError::Unprocessable(lite_refusal(id)));
    }
    let groups = ports.pools.group_names(id).await?;
    let check = MappingCheck::of(&pool, &groups, &request.mapping);
    let mut problems = check.attribute_problems.clone();
    if !request.create_groups {
        problems.extend(check.group_problems(id));
    }
    if !problems.is_empty() {
        return Err(ActasError::Unprocessable(problems.join("; ")));
    }
    let record = ports.attachments.attachment(id).await?;
    let before = before_actas(&pool.lambda_config, record.as_ref(), &request.actas);
    let (attached, chained) = attach_plan(&before, &request.actas);
    let changes = lambda_config_changes(&pool.lambda_config, &attached);
    let identifier = request.resource_server_identifier.as_str();
    let server_missing = ports.pools.resource_server(id, identifier).await?.is_none();
    let groups_to_create = if request.create_groups {
        check.missing_groups.clone()
    } else {
        Vec::new()
    };
    let mut created_groups = record
        .as_ref()
        .map(|r| r.created_groups.clone())
        .unwrap_or_default();
    created_groups.extend(groups_to_create.iter().cloned());
    let new_record = PoolAttachment {
        user_pool_id: id.to_string(),
        // The configuration from before the first attach: re-attaching keeps it.
        previous_lambda_config: record
            .as_ref()
            .map(|r| r.previous_lambda_config.clone())
            .unwrap_or(before),
        actas: request.actas.clone(),
        chained: chained.clone(),
        created_resource_server: if server_missing {
            Some(identifier.to_string())
        } else {
            record
                .as_ref()
                .and_then(|r| r.created_resource_server.clone())
        },
        created_groups,
        attached_at: record.as_ref().map_or(request.now, |r| r.attached_at),
    };
    let unchanged = changes.is_empty()
        && groups_to_create.is_empty()
        && !server_missing
        && record.as_ref() == Some(&new_record);
    let report = AttachReport {
        user_pool_id: id.to_string(),
        user_pool_arn: pool.arn.clone(),
        dry_run: request.dry_run,
        unchanged,
        lambda_config: changes,
        chained,
        created_groups: groups_to_create.clone(),
        created_resource_server: server_missing.then(|| identifier.to_string()),
    };
    if unchanged || request.dry_run {
        return Ok(report);
    }

    // The record first: whatever happens next, it says what actas may have made, so a detach
    // (or the undo below) can find it.
    ports.attachments.save_attachment(&new_record).await?;
    let mut made = Made::default();
    let outcome = async {
        for group in &groups_to_create {
            let description = group_description(&request.mapping, group);
            ports.pools.create_group(id, group, &description).await?;
            made.groups.push(group.clone());
        }
        if server_missing {
            ports
                .pools
                .create_resource_server(id, identifier, "actas")
                .await?;
            made.resource_server = Some(identifier.to_string());
        }
        if !report.lambda_config.is_empty() {
            if let Err(err) = ports.pools.replace_lambda_config(id, &attached).await {
                // An update whose answer was lost may still have been applied.
                let applied = ports
                    .pools
                    .describe_pool(id)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|now| now.lambda_config == attached);
                if !applied {
                    return Err(err);
                }
            }
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            info!(
                user_pool_id = id,
                changes = report.lambda_config.len(),
                "actas attached"
            );
            Ok(report)
        }
        Err(err) => Err(undo(ports, id, record.as_ref(), &made, err).await),
    }
}

/// What one attach made, to take back if it fails.
#[derive(Default)]
struct Made {
    groups: Vec<String>,
    resource_server: Option<String>,
}

/// Puts the pool and the record back as they were before a failed attach, and returns the
/// failure (with the undo's own, should it fail too).
async fn undo(
    ports: PoolPorts<'_>,
    user_pool_id: &str,
    previous_record: Option<&PoolAttachment>,
    made: &Made,
    failure: ActasError,
) -> ActasError {
    let mut undo_failures = Vec::new();
    for group in made.groups.iter().rev() {
        if let Err(err) = ports.pools.delete_group(user_pool_id, group).await {
            undo_failures.push(format!("deleting group {group}: {err}"));
        }
    }
    if let Some(identifier) = &made.resource_server {
        if let Err(err) = ports
            .pools
            .delete_resource_server(user_pool_id, identifier)
            .await
        {
            undo_failures.push(format!("deleting resource server {identifier}: {err}"));
        }
    }
    let record_put_back = match previous_record {
        Some(record) => ports.attachments.save_attachment(record).await,
        None => ports.attachments.delete_attachment(user_pool_id).await,
    };
    if let Err(err) = record_put_back {
        undo_failures.push(format!("putting the attachment record back: {err}"));
    }
    if undo_failures.is_empty() {
        warn!(user_pool_id, error = %failure, "attach failed; undone");
        failure
    } else {
        warn!(user_pool_id, error = %failure, undo = ?undo_failures, "attach failed; undo incomplete");
        ActasError::Internal(format!(
            "{failure}; undoing the attach also failed: {}",
            undo_failures.join("; ")
        ))
    }
}

/// Takes actas out of the pool: its four slots back to what they held (a slot someone changed
/// since stays as they set it), the resource server and the empty groups actas made deleted, the
/// record deleted. Without a record nothing is done; a pool that is gone only loses its record.
pub async fn detach(
    ports: PoolPorts<'_>,
    user_pool_id: &str,
    dry_run: bool,
) -> Result<DetachReport> {
    let mut report = DetachReport {
        user_pool_id: user_pool_id.to_string(),
        dry_run,
        attached: false,
        pool_exists: true,
        lambda_config: Vec::new(),
        deleted_resource_server: None,
        deleted_groups: Vec::new(),
        kept_groups: Vec::new(),
    };
    let Some(record) = ports.attachments.attachment(user_pool_id).await? else {
        return Ok(report);
    };
    report.attached = true;
    let Some(pool) = ports.pools.describe_pool(user_pool_id).await? else {
        report.pool_exists = false;
        if !dry_run {
            ports.attachments.delete_attachment(user_pool_id).await?;
        }
        return Ok(report);
    };
    let restored = detach_plan(&pool.lambda_config, &record);
    report.lambda_config = lambda_config_changes(&pool.lambda_config, &restored);
    report.deleted_resource_server = record.created_resource_server.clone();
    for group in &record.created_groups {
        if ports.pools.group_has_members(user_pool_id, group).await? {
            report.kept_groups.push(group.clone());
        } else {
            report.deleted_groups.push(group.clone());
        }
    }
    if dry_run {
        return Ok(report);
    }
    if !report.lambda_config.is_empty() {
        ports
            .pools
            .replace_lambda_config(user_pool_id, &restored)
            .await?;
    }
    if let Some(identifier) = &report.deleted_resource_server {
        ports
            .pools
            .delete_resource_server(user_pool_id, identifier)
            .await?;
    }
    for group in &report.deleted_groups {
        ports.pools.delete_group(user_pool_id, group).await?;
    }
    ports.attachments.delete_attachment(user_pool_id).await?;
    info!(user_pool_id, "actas detached");
    Ok(report)
}

/// How the pool stands with this deployment of actas: its plan, which slots are wired, what
/// actas passes events on to, what the mapping names that the pool lacks.
pub async fn status(
    ports: PoolPorts<'_>,
    user_pool_id: &str,
    actas: &ActasTriggers,
    mapping: &IdentityMapping,
    resource_server_identifier: &str,
) -> Result<PoolStatus> {
    let record = ports.attachments.attachment(user_pool_id).await?;
    let Some(pool) = ports.pools.describe_pool(user_pool_id).await? else {
        return Ok(PoolStatus {
            user_pool_id: user_pool_id.to_string(),
            exists: false,
            tier: None,
            tier_supported: false,
            slots: Vec::new(),
            chained: record
                .as_ref()
                .map(|r| r.chained.clone())
                .unwrap_or_default(),
            mapping_problems: Vec::new(),
            resource_server: None,
            recorded: record.is_some(),
            attached_at: record.as_ref().map(|r| r.attached_at),
        });
    };
    let groups = ports.pools.group_names(user_pool_id).await?;
    let check = MappingCheck::of(&pool, &groups, mapping);
    let mut mapping_problems = check.attribute_problems.clone();
    mapping_problems.extend(check.group_problems(user_pool_id));
    let before = before_actas(&pool.lambda_config, record.as_ref(), actas);
    let (_, chained) = attach_plan(&before, actas);
    Ok(PoolStatus {
        user_pool_id: user_pool_id.to_string(),
        exists: true,
        tier: pool.tier.clone(),
        tier_supported: !pool.is_lite(),
        slots: wired_slots(&pool.lambda_config, actas)
            .into_iter()
            .map(|(slot, wired)| SlotWiring {
                slot: slot.to_string(),
                wired,
            })
            .collect(),
        chained,
        mapping_problems,
        resource_server: ports
            .pools
            .resource_server(user_pool_id, resource_server_identifier)
            .await?,
        recorded: record.is_some(),
        attached_at: record.as_ref().map(|r| r.attached_at),
    })
}

#[cfg(test)]
mod tests;
