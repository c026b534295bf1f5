//! The DynamoDB adapter of the directory: one item per user (`DIRUSER#<username>`), listed by
//! team (`gsi3`, `TEAM#<tenant>#<team>`), by tenant (`gsi2`, `TENANT#<tenant>`, sort
//! `USER#<username>`) or all of them (`gsi6`, `DIRECTORY`), each in username order.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

use crate::adapters::aws::dynamodb::items::{
    decode_page_token, encode_page_token, tenant_partition,
};
use crate::adapters::aws::dynamodb::{get_n, get_s, key, n, s, upstream, DynamoStore, Item};
use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::{Identity, IdentityMapping};
use crate::domain::policy::Role;
use crate::domain::user::{PoolUser, UserRecord};
use crate::ports::directory::{Directory, DirectoryScope};
use crate::ports::identity::UserPage;

const DIRECTORY_SK: &str = "DIRECTORY";
const ALL_USERS: &str = "DIRECTORY";
/// What profiles show; with the identity the mapping read (role, tenant, team, protection),
/// nothing else of a user is copied.
const KEPT_ATTRIBUTES: [&str; 4] = ["email", "name", "given_name", "family_name"];

fn user_pk(username: &str) -> String {
    format!("DIRUSER#{username}")
}

fn team_partition(tenant: &str, team: &str) -> String {
    format!("TEAM#{tenant}#{team}")
}

fn directory_item(user: &UserRecord) -> Item {
    let mut item = key(user_pk(&user.username), DIRECTORY_SK);
    let attributes: HashMap<&str, &str> = KEPT_ATTRIBUTES
        .iter()
        .filter_map(|name| Some((*name, user.attribute(name)?)))
        .collect();
    let order = format!("USER#{}", user.username);
    let identity = &user.identity;
    let tenant = identity.tenant.as_deref();
    item.extend([
        ("kind".to_string(), s("directory")),
        ("username".to_string(), s(&user.username)),
        ("sub".to_string(), s(&user.sub)),
        ("enabled".to_string(), n(i64::from(user.enabled))),
        (
            "groups".to_string(),
            s(serde_json::to_string(&user.groups).unwrap_or_default()),
        ),
        (
            "attributes".to_string(),
            s(serde_json::to_string(&attributes).unwrap_or_default()),
        ),
        ("gsi2pk".to_string(), s(tenant_partition(tenant))),
        ("gsi2sk".to_string(), s(order.clone())),
        ("gsi1sk".to_string(), s(order)),
        ("gsi6pk".to_string(), s(ALL_USERS)),
        ("role".to_string(), s(identity.role.slug())),
        ("protected".to_string(), n(i64::from(identity.protected))),
    ]);
    if let Some(tenant) = tenant {
        item.insert("tenant".to_string(), s(tenant));
    }
    if let Some(team) = identity.team.as_deref() {
        item.insert("team".to_string(), s(team));
        if let Some(tenant) = tenant {
            item.insert("gsi3pk".to_string(), s(team_partition(tenant, team)));
        }
    }
    item
}

fn directory_user(item: &Item) -> Result<UserRecord> {
    let corrupt = |what: &str| ActasError::Internal(format!("directory item: {what}"));
    let groups: Vec<String> =
        serde_json::from_str(&get_s(item, "groups")?).map_err(|_| corrupt("groups"))?;
    let attributes: HashMap<String, String> =
        serde_json::from_str(&get_s(item, "attributes")?).map_err(|_| corrupt("attributes"))?;
    let sub = get_s(item, "sub")?;
    let mut attributes = attributes;
    attributes.insert("sub".into(), sub.clone());
    let user = PoolUser {
        username: get_s(item, "username")?,
        sub,
        enabled: get_n(item, "enabled")? != 0,
        groups,
        attributes,
        created_at_millis: None,
        updated_at_millis: None,
    };
    // Items written before the identity was kept carry actas's own attribute names.
    let Some(role) = item
        .get("role")
        .and_then(|v| v.as_s().ok())
        .and_then(|slug| Role::from_slug(slug))
    else {
        return Ok(UserRecord::read(&IdentityMapping::default(), user));
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let identity = Identity {
        role,
        tenant: text("tenant"),
        team: text("team"),
        protected: get_n(item, "protected").unwrap_or(0) != 0,
    };
    Ok(UserRecord {
        identity,
        username: user.username,
        sub: user.sub,
        enabled: user.enabled,
        groups: user.groups,
        attributes: user.attributes,
        created_at_millis: None,
        updated_at_millis: None,
    })
}

#[async_trait]
impl Directory for DynamoStore {
    async fn put_users(&self, users: &[UserRecord]) -> Result<()> {
        for chunk in users.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|user| {
                    let put = PutRequest::builder()
                        .set_item(Some(directory_item(user)))
                        .build()
                        .map_err(|e| ActasError::Internal(format!("a directory write: {e}")))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_>>()?;
            // Unprocessed writes (throttling) are sent again, a few times at most.
            for _ in 0..4 {
                let written = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| upstream("BatchWriteItem", e))?;
                requests = written
                    .unprocessed_items()
                    .and_then(|left| left.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
            }
            if !requests.is_empty() {
                return Err(ActasError::Upstream(
                    "BatchWriteItem: the directory writes were not all processed".into(),
                ));
            }
        }
        Ok(())
    }

    async fn remove_user(&self, username: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(username), DIRECTORY_SK)))
            .send()
            .await
            .map_err(|e| upstream("DeleteItem", e))?;
        Ok(())
    }

    async fn page(
        &self,
        scope: &DirectoryScope,
        page_token: Option<String>,
        limit: i32,
    ) -> Result<UserPage> {
        let (index, partition_attribute, partition, sort_attribute) = match scope {
            DirectoryScope::All => ("gsi6", "gsi6pk", ALL_USERS.to_string(), "gsi1sk"),
            DirectoryScope::Tenant(tenant) => (
                "gsi2",
                "gsi2pk",
                tenant_partition(tenant.as_deref()),
                "gsi2sk",
            ),
            DirectoryScope::Team { tenant, team } => {
                ("gsi3", "gsi3pk", team_partition(tenant, team), "gsi1sk")
            }
        };
        let start = decode_page_token(
            page_token.as_deref(),
            Some((partition_attribute, partition.as_str(), sort_attribute)),
        )?;
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :users)")
            .expression_attribute_names("#pk", partition_attribute)
            .expression_attribute_names("#sk", sort_attribute)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":users", s("USER#"))
            .set_exclusive_start_key(start)
            .limit(limit.max(1))
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        Ok(UserPage {
            users: page
                .items()
                .iter()
                .map(directory_user)
                .collect::<Result<_>>()?,
            next_token: page
                .last_evaluated_key()
                .filter(|k| !k.is_empty())
                .map(encode_page_token),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::identity_mapping::MappingSettings;

    fn pool_user(attributes: &[(&str, &str)], groups: &[&str]) -> PoolUser {
        PoolUser {
            username: "acme-support-1".into(),
            sub: "sub-1".into(),
            enabled: true,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            created_at_millis: None,
            updated_at_millis: None,
        }
    }

    #[test]
    fn a_user_round_trips_with_only_the_kept_attributes() {
        let user = UserRecord::read(
            &IdentityMapping::default(),
            pool_user(
                &[
                    ("sub", "sub-1"),
                    ("email", "a@acme.example"),
                    ("custom:tenant_id", "acme"),
                    ("custom:team_id", "support"),
                    ("custom:protected", "true"),
                    ("phone_number", "+15550100"),
                ],
                &["operator"],
            ),
        );
        let item = directory_item(&user);
        assert_eq!(item["gsi3pk"].as_s().unwrap(), "TEAM#acme#support");
        assert_eq!(item["gsi2pk"].as_s().unwrap(), "TENANT#acme");
        let back = directory_user(&item).unwrap();
        assert_eq!(back.principal(), user.principal());
        assert!(back.is_protected());
        assert_eq!(back.attribute("email"), Some("a@acme.example"));
        assert_eq!(back.attribute("phone_number"), None, "not copied");
    }

    #[test]
    fn a_product_pool_user_keeps_what_its_mapping_read() {
        let mapping = IdentityMapping::parse(&MappingSettings {
            role_groups: Some("admin=Admins,team-admin=TeamLeads".into()),
            tenant_attribute: Some("custom:org".into()),
            team_attribute: Some("custom:dept".into()),
            ..MappingSettings::default()
        })
        .unwrap();
        let user = UserRecord::read(
            &mapping,
            pool_user(
                &[
                    ("sub", "sub-1"),
                    ("custom:org", "initech"),
                    ("custom:dept", "tps"),
                ],
                &["TeamLeads"],
            ),
        );
        let item = directory_item(&user);
        assert_eq!(item["gsi3pk"].as_s().unwrap(), "TEAM#initech#tps");
        let back = directory_user(&item).unwrap();
        assert_eq!(back.principal(), user.principal());
        assert_eq!(back.role(), Role::TeamAdmin);
    }
}
