//! Attaching to a product's pool and detaching from it, over in-memory pools.

use super::*;
use crate::domain::identity_mapping::MappingSettings;
use crate::domain::pool_attachment::VersionedTrigger;
use crate::testkit::pool::{product_pool, MemoryAttachments, MemoryPools};

const POOL: &str = "us-east-1_product";

fn actas() -> ActasTriggers {
    let arn = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:actas-{name}");
    ActasTriggers {
        define_auth_challenge: arn("define"),
        create_auth_challenge: arn("create"),
        verify_auth_challenge_response: arn("verify"),
        pre_token_generation: arn("pre-token"),
    }
}

/// The product's own names: roles from `Admins` and `Support`, tenant and team from its custom
/// attributes, no team roles, no protection attribute.
fn product_mapping() -> IdentityMapping {
    IdentityMapping::parse(&MappingSettings {
        role_groups: Some("admin=Admins,operator=Support".into()),
        tenant_attribute: Some("custom:org".into()),
        team_attribute: Some("custom:dept".into()),
        team_role_attribute: Some(String::new()),
        protected_attribute: Some(String::new()),
        ..MappingSettings::default()
    })
    .expect("a valid mapping")
}

struct World {
    pools: MemoryPools,
    attachments: MemoryAttachments,
}

impl World {
    fn new(tier: &str) -> World {
        World {
            pools: MemoryPools::with_pool(
                product_pool(POOL, tier),
                &[("Admins", &["ann"]), ("Support", &["sam"])],
            ),
            attachments: MemoryAttachments::default(),
        }
    }

    fn ports(&self) -> PoolPorts<'_> {
        PoolPorts {
            pools: &self.pools,
            attachments: &self.attachments,
        }
    }

    fn lambda_config(&self) -> LambdaConfig {
        self.pools.pool(POOL).expect("the pool").lambda_config
    }
}

fn request(mapping: IdentityMapping) -> AttachRequest {
    AttachRequest {
        user_pool_id: POOL.into(),
        actas: actas(),
        mapping,
        resource_server_identifier: "actas".into(),
        create_groups: false,
        dry_run: false,
        now: 1_700_000_000,
    }
}

#[tokio::test]
async fn attaching_wires_four_slots_and_detaching_puts_the_pool_back() {
    let world = World::new("ESSENTIALS");
    let original = world.lambda_config();

    let report = attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    assert!(!report.unchanged);
    let slots: Vec<&str> = report
        .lambda_config
        .iter()
        .map(|c| c.slot.as_str())
        .collect();
    assert_eq!(
        slots,
        [
            "DefineAuthChallenge",
            "CreateAuthChallenge",
            "VerifyAuthChallengeResponse",
            "PreTokenGeneration",
            "PreTokenGenerationConfig"
        ]
    );
    assert_eq!(
        report.chained.define_auth_challenge,
        original.define_auth_challenge
    );
    assert_eq!(
        report
            .chained
            .pre_token_generation
            .map(|t| t.lambda_version),
        Some("V1_0".to_string()),
        "the product's V1 function is chained as V1"
    );
    assert_eq!(report.created_resource_server.as_deref(), Some("actas"));
    let wired = world.lambda_config();
    assert!(wired_slots(&wired, &actas()).iter().all(|(_, on)| *on));
    assert_eq!(wired.post_authentication, original.post_authentication);
    let record = world.attachments.record(POOL).expect("a record");
    assert_eq!(record.previous_lambda_config, original);
    assert_eq!(record.created_resource_server.as_deref(), Some("actas"));
    assert_eq!(world.pools.resource_servers(POOL), ["actas"]);

    let detached = detach(world.ports(), POOL, false).await.expect("detached");
    assert!(detached.attached);
    assert_eq!(detached.lambda_config.len(), 5);
    assert_eq!(world.lambda_config(), original);
    assert_eq!(detached.deleted_resource_server.as_deref(), Some("actas"));
    assert!(world.pools.resource_servers(POOL).is_empty());
    assert!(world.attachments.record(POOL).is_none());
    assert_eq!(world.pools.updates().len(), 2, "one update each way");
}

#[tokio::test]
async fn attaching_twice_changes_nothing() {
    let world = World::new("PLUS");
    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    let record = world.attachments.record(POOL);

    let mut again = request(product_mapping());
    again.now += 3600;
    let report = attach(world.ports(), again).await.expect("attached again");
    assert!(report.unchanged);
    assert!(report.lambda_config.is_empty());
    assert_eq!(world.pools.updates().len(), 1, "no second UpdateUserPool");
    assert_eq!(
        world.attachments.record(POOL),
        record,
        "the record as it was"
    );
    assert_eq!(
        report.chained.define_auth_challenge,
        record.and_then(|r| r.chained.define_auth_challenge),
        "still passing on to the product's function, never to actas itself"
    );
}

#[tokio::test]
async fn a_lite_pool_is_refused_with_what_it_lacks_and_how_to_change_it() {
    let world = World::new("LITE");
    let err = attach(world.ports(), request(product_mapping()))
        .await
        .expect_err("refused");
    let message = err.to_string();
    for expected in [
        "Lite feature plan",
        "pre-token generation V2",
        "aws.cognito.signin.user.admin",
        "Essentials or Plus",
        "Feature plan",
        "UserPoolTier=ESSENTIALS",
        "whole configuration",
    ] {
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
    assert!(world.pools.updates().is_empty());
    assert!(world.attachments.record(POOL).is_none());
}

#[tokio::test]
async fn a_mapping_the_pool_cannot_serve_is_refused_naming_each_problem() {
    let world = World::new("ESSENTIALS");
    // actas's own names: none of them is in the product's pool.
    let err = attach(world.ports(), request(IdentityMapping::default()))
        .await
        .expect_err("refused");
    let message = err.to_string();
    for expected in [
        "TenantAttribute: \"custom:tenant_id\" is not an attribute of pool us-east-1_product",
        "TeamAttribute: \"custom:team_id\" is not an attribute of pool us-east-1_product",
        "ProtectedAttribute: \"custom:protected\" is not an attribute of pool us-east-1_product",
        "RoleGroups: group \"admin\" does not exist in pool us-east-1_product",
        "RoleGroups: group \"super-admin\" does not exist in pool us-east-1_product",
    ] {
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
    assert!(matches!(err, ActasError::Unprocessable(_)));
    assert!(world.pools.updates().is_empty());
    assert!(world.attachments.record(POOL).is_none());
    assert!(world.pools.resource_servers(POOL).is_empty());
}

fn with_team_leads() -> IdentityMapping {
    IdentityMapping::parse(&MappingSettings {
        role_groups: Some("admin=Admins,operator=Support,team-admin=TeamLeads".into()),
        tenant_attribute: Some("custom:org".into()),
        team_attribute: Some("custom:dept".into()),
        team_role_attribute: Some(String::new()),
        protected_attribute: Some(String::new()),
        ..MappingSettings::default()
    })
    .expect("a valid mapping")
}

#[tokio::test]
async fn missing_groups_are_created_when_asked_and_removed_on_detach_while_empty() {
    let world = World::new("ESSENTIALS");
    let err = attach(world.ports(), request(with_team_leads()))
        .await
        .expect_err("TeamLeads is missing");
    assert!(err
        .to_string()
        .contains("RoleGroups: group \"TeamLeads\" does not exist in pool us-east-1_product"));

    let mut asked = request(with_team_leads());
    asked.create_groups = true;
    let report = attach(world.ports(), asked).await.expect("attached");
    assert_eq!(report.created_groups, ["TeamLeads"]);
    assert!(world.pools.groups(POOL).contains(&"TeamLeads".to_string()));
    assert_eq!(
        world
            .attachments
            .record(POOL)
            .expect("a record")
            .created_groups,
        ["TeamLeads"]
    );

    let world_with_members = World::new("ESSENTIALS");
    let mut asked = request(with_team_leads());
    asked.create_groups = true;
    attach(world_with_members.ports(), asked)
        .await
        .expect("attached");
    world_with_members
        .pools
        .add_member(POOL, "TeamLeads", "lee");

    let emptied = detach(world.ports(), POOL, false).await.expect("detached");
    assert_eq!(emptied.deleted_groups, ["TeamLeads"]);
    assert!(!world.pools.groups(POOL).contains(&"TeamLeads".to_string()));

    let kept = detach(world_with_members.ports(), POOL, false)
        .await
        .expect("detached");
    assert_eq!(kept.kept_groups, ["TeamLeads"]);
    assert!(world_with_members
        .pools
        .groups(POOL)
        .contains(&"TeamLeads".to_string()));
}

#[tokio::test]
async fn a_failed_update_leaves_the_pool_and_the_record_as_they_were() {
    let world = World::new("ESSENTIALS");
    let original = world.lambda_config();
    let groups = world.pools.groups(POOL);
    world.pools.fail("UpdateUserPool");
    let mut asked = request(with_team_leads());
    asked.create_groups = true;

    let err = attach(world.ports(), asked)
        .await
        .expect_err("the update fails");
    assert!(err.to_string().contains("UpdateUserPool"), "{err}");
    assert_eq!(world.lambda_config(), original);
    assert_eq!(
        world.pools.groups(POOL),
        groups,
        "the group it made is gone"
    );
    assert!(world.pools.resource_servers(POOL).is_empty());
    assert!(world.attachments.record(POOL).is_none());
}

#[tokio::test]
async fn a_failed_re_attach_keeps_the_first_record() {
    let world = World::new("ESSENTIALS");
    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    let record = world.attachments.record(POOL);
    world.pools.fail("UpdateUserPool");
    let mut moved = request(product_mapping());
    moved.actas.define_auth_challenge =
        "arn:aws:lambda:us-east-1:123456789012:function:actas-v2-define".into();
    attach(world.ports(), moved)
        .await
        .expect_err("the update fails");
    assert_eq!(world.attachments.record(POOL), record);
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let world = World::new("ESSENTIALS");
    let original = world.lambda_config();
    let mut asked = request(with_team_leads());
    asked.create_groups = true;
    asked.dry_run = true;

    let report = attach(world.ports(), asked).await.expect("planned");
    assert!(report.dry_run);
    assert_eq!(report.lambda_config.len(), 5);
    assert_eq!(report.created_groups, ["TeamLeads"]);
    assert_eq!(report.created_resource_server.as_deref(), Some("actas"));
    assert_eq!(world.lambda_config(), original);
    assert!(world.pools.updates().is_empty());
    assert!(world.attachments.record(POOL).is_none());
    assert!(!world.pools.groups(POOL).contains(&"TeamLeads".to_string()));

    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    let planned = detach(world.ports(), POOL, true).await.expect("planned");
    assert_eq!(planned.lambda_config.len(), 5);
    assert!(wired_slots(&world.lambda_config(), &actas())
        .iter()
        .all(|(_, on)| *on));
    assert!(world.attachments.record(POOL).is_some());
}

#[tokio::test]
async fn a_missing_pool_is_named_and_a_vanished_one_only_loses_its_record() {
    let world = World::new("ESSENTIALS");
    let mut elsewhere = request(product_mapping());
    elsewhere.user_pool_id = "us-east-1_nothere".into();
    let err = attach(world.ports(), elsewhere).await.expect_err("no pool");
    assert!(matches!(err, ActasError::NotFound(_)));
    assert!(err.to_string().contains("us-east-1_nothere"));

    let not_attached = detach(world.ports(), POOL, false).await.expect("a no-op");
    assert!(!not_attached.attached);
    assert!(world.pools.updates().is_empty());

    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    world.pools.remove_pool(POOL);
    let gone = detach(world.ports(), POOL, false).await.expect("detached");
    assert!(gone.attached && !gone.pool_exists);
    assert!(world.attachments.record(POOL).is_none());
}

#[tokio::test]
async fn re_attaching_new_functions_never_chains_the_old_ones() {
    let world = World::new("ESSENTIALS");
    let original = world.lambda_config();
    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    let mut redeployed = request(product_mapping());
    redeployed.actas.pre_token_generation =
        "arn:aws:lambda:us-east-1:123456789012:function:actas-pre-token-2".into();
    let report = attach(world.ports(), redeployed.clone())
        .await
        .expect("re-attached");
    assert_eq!(
        report.lambda_config.len(),
        2,
        "the pre-token slot and its config"
    );
    assert_eq!(
        report.chained.pre_token_generation,
        Some(VersionedTrigger {
            lambda_arn: "arn:aws:lambda:us-east-1:123456789012:function:product-pre-token".into(),
            lambda_version: "V1_0".into()
        })
    );
    let record = world.attachments.record(POOL).expect("a record");
    assert_eq!(record.previous_lambda_config, original);
    assert_eq!(record.actas, redeployed.actas);
    detach(world.ports(), POOL, false).await.expect("detached");
    assert_eq!(world.lambda_config(), original);
}

#[tokio::test]
async fn a_pool_wired_without_a_record_is_recorded_without_actas_as_its_past() {
    let world = World::new("ESSENTIALS");
    let original = world.lambda_config();
    let (wired, _) = crate::domain::pool_attachment::attach_plan(&original, &actas());
    world.pools.set_lambda_config(POOL, wired);
    let report = attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    assert!(report.lambda_config.is_empty(), "nothing to change");
    assert!(!report.unchanged, "the record was missing");
    detach(world.ports(), POOL, false).await.expect("detached");
    let after = world.lambda_config();
    assert!(wired_slots(&after, &actas()).iter().all(|(_, on)| !*on));
    assert_eq!(after.post_authentication, original.post_authentication);
}

#[tokio::test]
async fn status_shows_the_plan_the_wiring_and_what_the_mapping_lacks() {
    let world = World::new("ESSENTIALS");
    let before = status(world.ports(), POOL, &actas(), &with_team_leads(), "actas")
        .await
        .expect("a status");
    assert!(before.exists && before.tier_supported && !before.recorded);
    assert!(before.slots.iter().all(|s| !s.wired));
    assert_eq!(
        before.mapping_problems,
        ["RoleGroups: group \"TeamLeads\" does not exist in pool us-east-1_product"]
    );
    assert!(
        before.chained.define_auth_challenge.is_some(),
        "would chain"
    );
    assert!(before.resource_server.is_none());

    attach(world.ports(), request(product_mapping()))
        .await
        .expect("attached");
    let after = status(world.ports(), POOL, &actas(), &product_mapping(), "actas")
        .await
        .expect("a status");
    assert!(after.recorded && after.slots.iter().all(|s| s.wired));
    assert!(after.mapping_problems.is_empty());
    assert_eq!(after.attached_at, Some(1_700_000_000));
    assert_eq!(
        after.resource_server.map(|s| s.scopes),
        Some(vec!["read".to_string(), "write".to_string()])
    );
    assert_eq!(
        after.chained.define_auth_challenge.as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:product-define")
    );

    let lite = World::new("LITE");
    let refused = status(lite.ports(), POOL, &actas(), &product_mapping(), "actas")
        .await
        .expect("a status");
    assert!(!refused.tier_supported);
}
