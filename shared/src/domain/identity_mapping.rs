//! Where a pool keeps what the policy needs: role, tenant, team, team role and protection. A pool
//! that actas creates uses actas's own names (`custom:tenant_id`, groups `super-admin`, ...); a
//! product's existing pool names them its own way, and this mapping says how. Everything that
//! reads a user (policy, directory, profiles, console, governance) reads through it.

use crate::domain::policy::Role;
use std::collections::HashMap;

/// The roles a mapping may name; a user of none of them is a plain user.
const MAPPED_ROLES: [Role; 4] = [
    Role::SuperAdmin,
    Role::Admin,
    Role::Operator,
    Role::TeamAdmin,
];

/// Where roles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSource {
    /// Membership of the pool's groups, highest role first.
    Groups(Vec<(Role, String)>),
    /// One attribute whose value names the role (values mapped, highest role first).
    Attribute {
        name: String,
        values: Vec<(Role, String)>,
    },
}

/// The tenant of every user of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSource {
    Attribute(String),
    /// A single-tenant pool: every user is in this one tenant.
    Single(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityMapping {
    pub roles: RoleSource,
    pub tenant: TenantSource,
    pub team_attribute: Option<String>,
    pub team_role_attribute: Option<String>,
    /// The team role value that makes a team admin.
    pub team_admin_value: String,
    /// `"true"` marks a protected account; `None`: the pool has no protection attribute.
    pub protected_attribute: Option<String>,
}

/// What the mapping reads of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    pub tenant: Option<String>,
    pub team: Option<String>,
    pub protected: bool,
}

impl Default for IdentityMapping {
    /// actas's own pool: groups `super-admin`, `admin`, `operator`; `custom:tenant_id`,
    /// `custom:team_id`, `custom:team_role` (`admin` makes a team admin), `custom:protected`.
    fn default() -> Self {
        IdentityMapping {
            roles: RoleSource::Groups(vec![
                (Role::SuperAdmin, "super-admin".into()),
                (Role::Admin, "admin".into()),
                (Role::Operator, "operator".into()),
            ]),
            tenant: TenantSource::Attribute("custom:tenant_id".into()),
            team_attribute: Some("custom:team_id".into()),
            team_role_attribute: Some("custom:team_role".into()),
            team_admin_value: "admin".into(),
            protected_attribute: Some("custom:protected".into()),
        }
    }
}

/// The mapping as written in the template's parameters (and the CLI's flags): `None` is "not
/// given" (the default), `Some("")` is "none" where that is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingSettings {
    /// `super-admin=PlatformAdmins,admin=Admins,operator=Support,team-admin=TeamLeads`.
    pub role_groups: Option<String>,
    /// Roles from this attribute instead of groups.
    pub role_attribute: Option<String>,
    /// The attribute's values, like `role_groups` (default: the role slugs themselves).
    pub role_attribute_values: Option<String>,
    pub tenant_attribute: Option<String>,
    /// The tenant of a single-tenant pool (`tenant_attribute` empty). Default `default`.
    pub single_tenant: Option<String>,
    pub team_attribute: Option<String>,
    pub team_role_attribute: Option<String>,
    pub team_admin_value: Option<String>,
    pub protected_attribute: Option<String>,
}

impl IdentityMapping {
    /// Reads and checks a mapping; every problem is named (`RoleGroups: "boss" is not a role`).
    pub fn parse(settings: &MappingSettings) -> Result<IdentityMapping, Vec<String>> {
        let defaults = IdentityMapping::default();
        let mut problems = Vec::new();
        let role_attribute = settings
            .role_attribute
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let roles = match role_attribute {
            Some(name) => {
                check_attribute("RoleAttribute", name, &mut problems);
                let values = match settings.role_attribute_values.as_deref().map(str::trim) {
                    Some(text) if !text.is_empty() => {
                        role_pairs("RoleAttributeValues", text, &mut problems)
                    }
                    _ => MAPPED_ROLES
                        .iter()
                        .map(|role| (*role, role.slug().to_string()))
                        .collect(),
                };
                RoleSource::Attribute {
                    name: name.to_string(),
                    values,
                }
            }
            None => match settings.role_groups.as_deref().map(str::trim) {
                None => defaults.roles.clone(),
                Some("") => {
                    problems.push(
                        "RoleGroups: empty; name at least one group (e.g. admin=Admins) or set RoleAttribute".into(),
                    );
                    RoleSource::Groups(Vec::new())
                }
                Some(text) => RoleSource::Groups(role_pairs("RoleGroups", text, &mut problems)),
            },
        };
        let tenant = match settings.tenant_attribute.as_deref().map(str::trim) {
            None => defaults.tenant.clone(),
            Some("") => {
                let name = settings
                    .single_tenant
                    .as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .unwrap_or("default");
                if !crate::domain::user::is_valid_tenant_id(name) {
                    problems.push(format!("SingleTenantId: {name:?} is not a valid tenant id"));
                }
                TenantSource::Single(name.to_string())
            }
            Some(name) => {
                check_attribute("TenantAttribute", name, &mut problems);
                TenantSource::Attribute(name.to_string())
            }
        };
        let optional_attribute = |label: &str,
                                  given: &Option<String>,
                                  default: &Option<String>,
                                  problems: &mut Vec<String>| {
            match given.as_deref().map(str::trim) {
                None => default.clone(),
                Some("") => None,
                Some(name) => {
                    check_attribute(label, name, problems);
                    Some(name.to_string())
                }
            }
        };
        let team_attribute = optional_attribute(
            "TeamAttribute",
            &settings.team_attribute,
            &defaults.team_attribute,
            &mut problems,
        );
        let team_role_attribute = optional_attribute(
            "TeamRoleAttribute",
            &settings.team_role_attribute,
            &defaults.team_role_attribute,
            &mut problems,
        );
        let protected_attribute = optional_attribute(
            "ProtectedAttribute",
            &settings.protected_attribute,
            &defaults.protected_attribute,
            &mut problems,
        );
        let team_admin_value = settings
            .team_admin_value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or("admin")
            .to_string();
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (label, name) in [
            ("TenantAttribute", tenant_attribute_name(&tenant)),
            ("TeamAttribute", team_attribute.as_deref()),
            ("TeamRoleAttribute", team_role_attribute.as_deref()),
            ("ProtectedAttribute", protected_attribute.as_deref()),
            ("RoleAttribute", role_attribute),
        ] {
            if let Some(name) = name {
                if let Some(other) = seen.insert(name, label) {
                    problems.push(format!("{label} and {other} both name {name:?}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(IdentityMapping {
                roles,
                tenant,
                team_attribute,
                team_role_attribute,
                team_admin_value,
                protected_attribute,
            })
        } else {
            Err(problems)
        }
    }

    /// Reads one user: role, tenant, team and protection from their groups and attributes.
    pub fn identity_of<S: AsRef<str>>(
        &self,
        groups: &[S],
        attributes: &HashMap<String, String>,
    ) -> Identity {
        let attribute = |name: &str| {
            attributes
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let mapped = match &self.roles {
            RoleSource::Groups(pairs) => pairs
                .iter()
                .filter(|(_, group)| groups.iter().any(|g| g.as_ref() == group))
                .map(|(role, _)| *role)
                .max(),
            RoleSource::Attribute { name, values } => attribute(name).and_then(|value| {
                values
                    .iter()
                    .filter(|(_, v)| v == value)
                    .map(|(role, _)| *role)
                    .max()
            }),
        };
        let team_admin = self
            .team_role_attribute
            .as_deref()
            .and_then(attribute)
            .is_some_and(|v| v == self.team_admin_value);
        let role = match mapped {
            Some(role) => role,
            None if team_admin => Role::TeamAdmin,
            None => Role::User,
        };
        let tenant = match &self.tenant {
            TenantSource::Attribute(name) => attribute(name).map(str::to_string),
            TenantSource::Single(name) => Some(name.clone()),
        };
        Identity {
            role,
            tenant,
            team: self
                .team_attribute
                .as_deref()
                .and_then(attribute)
                .map(str::to_string),
            protected: self
                .protected_attribute
                .as_deref()
                .and_then(attribute)
                .is_some_and(|v| v == "true"),
        }
    }

    /// The pool's groups the mapping names (to check they exist, or to create them).
    pub fn group_names(&self) -> Vec<&str> {
        match &self.roles {
            RoleSource::Groups(pairs) => pairs.iter().map(|(_, g)| g.as_str()).collect(),
            RoleSource::Attribute { .. } => Vec::new(),
        }
    }

    /// The pool's attributes the mapping reads, each with the parameter that names it.
    pub fn attribute_names(&self) -> Vec<(&'static str, &str)> {
        let mut names = Vec::new();
        if let RoleSource::Attribute { name, .. } = &self.roles {
            names.push(("RoleAttribute", name.as_str()));
        }
        if let Some(name) = tenant_attribute_name(&self.tenant) {
            names.push(("TenantAttribute", name));
        }
        for (label, name) in [
            ("TeamAttribute", &self.team_attribute),
            ("TeamRoleAttribute", &self.team_role_attribute),
            ("ProtectedAttribute", &self.protected_attribute),
        ] {
            if let Some(name) = name {
                names.push((label, name.as_str()));
            }
        }
        names
    }

    /// The group of a role, when roles come from groups.
    pub fn group_of(&self, role: Role) -> Option<&str> {
        match &self.roles {
            RoleSource::Groups(pairs) => pairs
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, g)| g.as_str()),
            RoleSource::Attribute { .. } => None,
        }
    }
}

fn tenant_attribute_name(tenant: &TenantSource) -> Option<&str> {
    match tenant {
        TenantSource::Attribute(name) => Some(name),
        TenantSource::Single(_) => None,
    }
}

/// `role=name,role=name`: each role at most once, each a role a mapping may name.
fn role_pairs(label: &str, text: &str, problems: &mut Vec<String>) -> Vec<(Role, String)> {
    let mut pairs: Vec<(Role, String)> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((slug, name)) = entry.split_once('=') else {
            problems.push(format!(
                "{label}: {entry:?} is not role=name (e.g. admin=Admins)"
            ));
            continue;
        };
        let (slug, name) = (slug.trim(), name.trim());
        let Some(role) = Role::from_slug(slug).filter(|r| MAPPED_ROLES.contains(r)) else {
            problems.push(format!(
                "{label}: {slug:?} is not a role (super-admin, admin, operator or team-admin)"
            ));
            continue;
        };
        if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
            problems.push(format!("{label}: {name:?} is not a valid name for {slug}"));
            continue;
        }
        if pairs.iter().any(|(r, _)| *r == role) {
            problems.push(format!("{label}: {slug} is named twice"));
            continue;
        }
        if let Some((other, _)) = pairs.iter().find(|(_, n)| n == name) {
            problems.push(format!(
                "{label}: {name:?} is named for both {} and {slug}",
                other.slug()
            ));
            continue;
        }
        pairs.push((role, name.to_string()));
    }
    pairs.sort_by_key(|pair| std::cmp::Reverse(pair.0));
    pairs
}

/// A standard attribute (`email`, `zoneinfo`, ...) or `custom:<name>`.
fn check_attribute(label: &str, name: &str, problems: &mut Vec<String>) {
    let body = name.strip_prefix("custom:").unwrap_or(name);
    let valid = !body.is_empty()
        && name.len() <= 39
        && body
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == ':');
    if !valid {
        problems.push(format!(
            "{label}: {name:?} is not a user pool attribute name"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_default_mapping_reads_actas_own_pool() {
        let mapping = IdentityMapping::parse(&MappingSettings::default()).unwrap();
        assert_eq!(mapping, IdentityMapping::default());
        let user = mapping.identity_of(
            &["operator", "unrelated"],
            &attrs(&[
                ("custom:tenant_id", "acme"),
                ("custom:team_id", "support"),
                ("custom:protected", "true"),
            ]),
        );
        assert_eq!(
            user,
            Identity {
                role: Role::Operator,
                tenant: Some("acme".into()),
                team: Some("support".into()),
                protected: true
            }
        );
        let team_admin = mapping.identity_of::<&str>(&[], &attrs(&[("custom:team_role", "admin")]));
        assert_eq!(team_admin.role, Role::TeamAdmin);
        assert!(!team_admin.protected);
        let role = |groups: &[&str], team_role: &str| {
            mapping
                .identity_of(groups, &attrs(&[("custom:team_role", team_role)]))
                .role
        };
        assert_eq!(role(&["admin", "super-admin"], ""), Role::SuperAdmin);
        assert_eq!(role(&["operator", "admin"], ""), Role::Admin);
        assert_eq!(role(&["operator"], "admin"), Role::Operator);
        assert_eq!(role(&[], "member"), Role::User);
        assert_eq!(role(&["unrelated"], ""), Role::User);
    }

    #[test]
    fn a_product_pool_maps_its_own_groups_and_attributes() {
        let mapping = IdentityMapping::parse(&MappingSettings {
            role_groups: Some(
                "super-admin=PlatformAdmins, admin=Admins,operator=Support,team-admin=TeamLeads"
                    .into(),
            ),
            tenant_attribute: Some("custom:org".into()),
            team_attribute: Some("custom:dept".into()),
            team_role_attribute: Some(String::new()),
            protected_attribute: Some(String::new()),
            ..MappingSettings::default()
        })
        .unwrap();
        let lead = mapping.identity_of(
            &["TeamLeads"],
            &attrs(&[
                ("custom:org", "initech"),
                ("custom:dept", "tps"),
                ("custom:tenant_id", "x"),
            ]),
        );
        assert_eq!(lead.role, Role::TeamAdmin);
        assert_eq!(lead.tenant.as_deref(), Some("initech"));
        assert_eq!(lead.team.as_deref(), Some("tps"));
        // actas's own names mean nothing in this pool.
        assert_eq!(
            mapping.identity_of(&["admin"], &HashMap::new()).role,
            Role::User
        );
        assert_eq!(
            mapping
                .identity_of(&["Support", "PlatformAdmins"], &HashMap::new())
                .role,
            Role::SuperAdmin
        );
        assert_eq!(
            mapping.group_names(),
            vec!["PlatformAdmins", "Admins", "Support", "TeamLeads"]
        );
        assert_eq!(
            mapping.attribute_names(),
            vec![
                ("TenantAttribute", "custom:org"),
                ("TeamAttribute", "custom:dept")
            ]
        );
    }

    #[test]
    fn roles_from_an_attribute_and_a_single_tenant() {
        let mapping = IdentityMapping::parse(&MappingSettings {
            role_attribute: Some("custom:level".into()),
            role_attribute_values: Some("admin=boss,operator=helpdesk".into()),
            tenant_attribute: Some(String::new()),
            single_tenant: Some("initech".into()),
            ..MappingSettings::default()
        })
        .unwrap();
        let boss = mapping.identity_of(&["admin"], &attrs(&[("custom:level", "boss")]));
        assert_eq!(boss.role, Role::Admin);
        assert_eq!(boss.tenant.as_deref(), Some("initech"));
        assert_eq!(
            mapping
                .identity_of::<&str>(&[], &attrs(&[("custom:level", "admin")]))
                .role,
            Role::User
        );
        let slugs = IdentityMapping::parse(&MappingSettings {
            role_attribute: Some("custom:level".into()),
            ..MappingSettings::default()
        })
        .unwrap();
        assert_eq!(
            slugs
                .identity_of::<&str>(&[], &attrs(&[("custom:level", "operator")]))
                .role,
            Role::Operator
        );
        assert!(mapping.group_names().is_empty());
    }

    #[test]
    fn bad_mappings_name_what_is_wrong() {
        let cases: &[(MappingSettings, &str)] = &[
            (
                MappingSettings {
                    role_groups: Some("boss=Bosses".into()),
                    ..Default::default()
                },
                "RoleGroups: \"boss\" is not a role",
            ),
            (
                MappingSettings {
                    role_groups: Some("user=Everyone".into()),
                    ..Default::default()
                },
                "RoleGroups: \"user\" is not a role",
            ),
            (
                MappingSettings {
                    role_groups: Some("admin".into()),
                    ..Default::default()
                },
                "RoleGroups: \"admin\" is not role=name",
            ),
            (
                MappingSettings {
                    role_groups: Some("admin=A,admin=B".into()),
                    ..Default::default()
                },
                "RoleGroups: admin is named twice",
            ),
            (
                MappingSettings {
                    role_groups: Some("admin=Staff,operator=Staff".into()),
                    ..Default::default()
                },
                "named for both admin and operator",
            ),
            (
                MappingSettings {
                    role_groups: Some(String::new()),
                    ..Default::default()
                },
                "RoleGroups: empty",
            ),
            (
                MappingSettings {
                    tenant_attribute: Some("custom:has space".into()),
                    ..Default::default()
                },
                "TenantAttribute: \"custom:has space\" is not a user pool attribute name",
            ),
            (
                MappingSettings {
                    team_attribute: Some("custom:tenant_id".into()),
                    ..Default::default()
                },
                "TeamAttribute and TenantAttribute both name \"custom:tenant_id\"",
            ),
            (
                MappingSettings {
                    tenant_attribute: Some(String::new()),
                    single_tenant: Some("bad tenant".into()),
                    ..Default::default()
                },
                "SingleTenantId",
            ),
        ];
        for (settings, expected) in cases {
            let problems = IdentityMapping::parse(settings).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{settings:?}: {problems:?} should name {expected:?}"
            );
        }
    }
}
