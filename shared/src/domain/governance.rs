//! Governance a tenant chooses (issue 12): which starts need a second person's approval or the
//! target's consent, whether the target is told, which accounts are protected, how long a
//! session may last and who may act in full mode. Plain data and rules; no I/O.

use crate::domain::error::{ActasError, Result};
use crate::domain::mode::Mode;
use crate::domain::policy::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// When the target must consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentRule {
    Never,
    /// Full-mode starts only.
    Full,
    Always,
}

/// What a start on a protected account gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtectedRule {
    /// It needs approval.
    Approval,
    /// It is refused (a super-admin's break-glass start excepted).
    Refuse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRules {
    pub always: bool,
    pub full_mode: bool,
    pub protected_accounts: bool,
    /// Starts on targets of these roles need approval.
    pub target_roles: Vec<Role>,
}

/// A tenant's settings. A tenant that never set any has the deployment's defaults: no
/// approval, no consent, no notice, the deployment's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub tenant: String,
    pub approval: ApprovalRules,
    pub consent: ConsentRule,
    pub notify_target: bool,
    pub protected_accounts: ProtectedRule,
    pub max_duration_seconds: i64,
    /// How long an impersonated session may go unused (not refreshed) before it is over. Settings
    /// stored before idle timeouts existed read `0`: the deployment's (`normalized`).
    #[serde(default)]
    pub idle_seconds: i64,
    pub full_mode_roles: Vec<Role>,
    /// RFC 3339, when last changed; `None` for defaults.
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// What the deployment allows a tenant to choose within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentLimits {
    pub max_duration_seconds: i64,
    pub full_mode_roles: Vec<Role>,
    /// How long after its start the last token of a first mint may still be valid: the mint
    /// window plus the impersonated tokens' validity. No hard end may come sooner, or a token
    /// would outlive its impersonation.
    pub token_horizon_seconds: i64,
    /// The deployment's idle timeout (`ImpersonationIdleSeconds`): a tenant's may only be
    /// shorter.
    pub idle_seconds: i64,
}

/// The shortest maximum duration a tenant may set, whatever the tokens' validity.
pub const MIN_DURATION_SECONDS: i64 = 300;

impl DeploymentLimits {
    /// The shortest maximum duration a tenant may set: no token may outlive its impersonation.
    pub fn min_duration_seconds(&self) -> i64 {
        MIN_DURATION_SECONDS.max(self.token_horizon_seconds)
    }
}

impl TenantSettings {
    pub fn defaults(tenant: &str, limits: &DeploymentLimits) -> TenantSettings {
        TenantSettings {
            tenant: tenant.to_string(),
            approval: ApprovalRules {
                always: false,
                full_mode: false,
                protected_accounts: true,
                target_roles: vec![],
            },
            consent: ConsentRule::Never,
            notify_target: false,
            protected_accounts: ProtectedRule::Approval,
            max_duration_seconds: limits.max_duration_seconds,
            idle_seconds: limits.idle_seconds,
            full_mode_roles: limits.full_mode_roles.clone(),
            updated_at: None,
            updated_by: None,
        }
    }

    /// The settings as they apply under these limits: an idle timeout never set (stored before
    /// idle timeouts existed) or longer than the deployment's now is the deployment's.
    pub fn normalized(mut self, limits: &DeploymentLimits) -> TenantSettings {
        if self.idle_seconds <= 0 || self.idle_seconds > limits.idle_seconds {
            self.idle_seconds = limits.idle_seconds;
        }
        self
    }

    /// Applies the keys a change names (the others keep their values). Every key and value is
    /// checked before anything changes: an unknown key or a value out of range is a 422 naming
    /// it, and the settings stay as they were.
    pub fn apply(&mut self, changes: &Map<String, Value>, limits: &DeploymentLimits) -> Result<()> {
        let mut next = self.clone();
        for (key, value) in changes {
            match key.as_str() {
                "approval" => next.approval = approval_rules(value, &next.approval)?,
                "consent" => {
                    next.consent = match value.as_str() {
                        Some("never") => ConsentRule::Never,
                        Some("full") => ConsentRule::Full,
                        Some("always") => ConsentRule::Always,
                        _ => return Err(invalid("consent must be never, full or always")),
                    }
                }
                "notify_target" => {
                    next.notify_target = value
                        .as_bool()
                        .ok_or_else(|| invalid("notify_target must be true or false"))?
                }
                "protected_accounts" => {
                    next.protected_accounts = match value.as_str() {
                        Some("approval") => ProtectedRule::Approval,
                        Some("refuse") => ProtectedRule::Refuse,
                        _ => return Err(invalid("protected_accounts must be approval or refuse")),
                    }
                }
                "max_duration_seconds" => {
                    let min = limits.min_duration_seconds();
                    let seconds = value
                        .as_i64()
                        .filter(|s| (min..=limits.max_duration_seconds).contains(s))
                        .ok_or_else(|| {
                            invalid(&format!(
                                "max_duration_seconds must be a whole number from {min} (the mint window and the impersonated tokens' validity, {} s: no token may outlive its impersonation) to {} (the deployment's limit)",
                                limits.token_horizon_seconds,
                                limits.max_duration_seconds
                            ))
                        })?;
                    next.max_duration_seconds = seconds;
                }
                "idle_seconds" => {
                    let min = limits.min_duration_seconds();
                    let seconds = value
                        .as_i64()
                        .filter(|s| (min..=limits.idle_seconds).contains(s))
                        .ok_or_else(|| {
                            invalid(&format!(
                                "idle_seconds must be a whole number from {min} (the mint window and the impersonated tokens' validity, {} s: a session must be able to refresh before it goes idle) to {} (the deployment's idle timeout)",
                                limits.token_horizon_seconds,
                                limits.idle_seconds
                            ))
                        })?;
                    next.idle_seconds = seconds;
                }
                "full_mode_roles" => {
                    let roles = roles(value, "full_mode_roles")?;
                    if roles.iter().any(|r| !limits.full_mode_roles.contains(r)) {
                        return Err(invalid(
                            "full_mode_roles may only name roles the deployment allows full mode",
                        ));
                    }
                    next.full_mode_roles = roles;
                }
                other => {
                    return Err(invalid(&format!(
                        "unknown setting {:?}",
                        crate::domain::audit::bounded(other, 64)
                    )))
                }
            }
        }
        *self = next;
        Ok(())
    }

    /// What a start needs under these settings. `protected`: the target's account is
    /// protected; `break_glass`: a super-admin's emergency start. Break-glass skips approval,
    /// consent and a protected account's refusal, and is always notified; every other rule
    /// (who may start `full`, tickets, the maximum duration, rank) still applies.
    pub fn needs(&self, start: &StartFacts) -> Result<Needs> {
        let full = start.mode == Mode::Full;
        if full && !self.full_mode_roles.contains(&start.actor_role) {
            return Err(crate::domain::policy::Denial::FullModeNotPermitted.into());
        }
        if start.break_glass {
            return Ok(Needs {
                approval: false,
                consent: false,
                notify: true,
            });
        }
        if start.protected && self.protected_accounts == ProtectedRule::Refuse {
            return Err(ActasError::Forbidden(
                "the account is protected: impersonating it is refused in this tenant".into(),
            ));
        }
        let approval = self.approval.always
            || (full && self.approval.full_mode)
            || (start.protected
                && (self.approval.protected_accounts
                    || self.protected_accounts == ProtectedRule::Approval))
            || self.approval.target_roles.contains(&start.target_role);
        let consent = match self.consent {
            ConsentRule::Never => false,
            ConsentRule::Full => full,
            ConsentRule::Always => true,
        };
        Ok(Needs {
            approval,
            consent,
            notify: self.notify_target,
        })
    }
}

/// The facts about a start the settings decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFacts {
    pub actor_role: Role,
    pub target_role: Role,
    pub mode: Mode,
    pub protected: bool,
    pub break_glass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub approval: bool,
    pub consent: bool,
    pub notify: bool,
}

fn invalid(message: &str) -> ActasError {
    ActasError::Unprocessable(message.to_string())
}

fn roles(value: &Value, key: &str) -> Result<Vec<Role>> {
    let list = value
        .as_array()
        .ok_or_else(|| invalid(&format!("{key} must be a list of role names")))?;
    list.iter()
        .map(|v| {
            v.as_str()
                .and_then(Role::from_slug)
                .filter(|r| *r != Role::SuperAdmin || key == "full_mode_roles")
                .ok_or_else(|| {
                    invalid(&format!(
                        "{key}: role names are user, team-admin, operator, admin{}",
                        if key == "full_mode_roles" {
                            ", super-admin"
                        } else {
                            ""
                        }
                    ))
                })
        })
        .collect()
}

fn approval_rules(value: &Value, current: &ApprovalRules) -> Result<ApprovalRules> {
    let fields = value
        .as_object()
        .ok_or_else(|| invalid("approval must be an object"))?;
    let mut rules = current.clone();
    for (key, value) in fields {
        let flag = || {
            value
                .as_bool()
                .ok_or_else(|| invalid(&format!("approval.{key} must be true or false")))
        };
        match key.as_str() {
            "always" => rules.always = flag()?,
            "full_mode" => rules.full_mode = flag()?,
            "protected_accounts" => rules.protected_accounts = flag()?,
            "target_roles" => rules.target_roles = roles(value, "approval.target_roles")?,
            other => {
                return Err(invalid(&format!(
                    "unknown setting approval.{}",
                    crate::domain::audit::bounded(other, 64)
                )))
            }
        }
    }
    Ok(rules)
}

/// Where a request's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    NotRequired,
    Pending,
    Approved,
    Denied,
}

/// Where a request's consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    NotRequired,
    Pending,
    Given,
    Declined,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::NotRequired => "not_required",
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::Denied => "denied",
        }
    }
    pub fn parse(value: &str) -> Option<Approval> {
        [
            Approval::NotRequired,
            Approval::Pending,
            Approval::Approved,
            Approval::Denied,
        ]
        .into_iter()
        .find(|a| a.as_str() == value)
    }
}

impl Consent {
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::NotRequired => "not_required",
            Consent::Pending => "pending",
            Consent::Given => "given",
            Consent::Declined => "declined",
        }
    }
    pub fn parse(value: &str) -> Option<Consent> {
        [
            Consent::NotRequired,
            Consent::Pending,
            Consent::Given,
            Consent::Declined,
        ]
        .into_iter()
        .find(|c| c.as_str() == value)
    }
}

/// A start waiting for a second person's approval and/or the target's consent. Bound to
/// requester, target, mode and reason; single use; it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    pub id: String,
    pub requester_sub: String,
    pub requester_username: String,
    pub target_sub: String,
    pub target_username: String,
    pub tenant: Option<String>,
    pub mode: Mode,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub approval: Approval,
    pub consent: Consent,
    pub created_at_millis: i64,
    /// Epoch seconds.
    pub expires_at: i64,
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    pub used: bool,
}

/// Where a request stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    Expired,
    Used,
}

impl AccessRequest {
    pub fn status(&self, now_secs: i64) -> RequestStatus {
        if self.used {
            RequestStatus::Used
        } else if self.approval == Approval::Denied || self.consent == Consent::Declined {
            RequestStatus::Denied
        } else if now_secs >= self.expires_at {
            RequestStatus::Expired
        } else if matches!(self.approval, Approval::NotRequired | Approval::Approved)
            && matches!(self.consent, Consent::NotRequired | Consent::Given)
        {
            RequestStatus::Approved
        } else {
            RequestStatus::Pending
        }
    }

    /// The same start: requester, target, mode, reason and ticket (an approval is given for
    /// one ticket, not for whatever ticket comes next).
    pub fn is_for(
        &self,
        requester: &str,
        target: &str,
        mode: Mode,
        reason: Option<&str>,
        ticket: Option<&str>,
    ) -> bool {
        self.requester_sub == requester
            && self.target_sub == target
            && self.mode == mode
            && self.reason.as_deref() == reason
            && self.ticket.as_deref() == ticket
    }

    /// Whether the request lacks something the rules in force now need: made when approval
    /// (or consent) was not required, and it is now.
    pub fn lacks(&self, needs: &Needs) -> bool {
        (needs.approval && self.approval == Approval::NotRequired)
            || (needs.consent && self.consent == Consent::NotRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> DeploymentLimits {
        DeploymentLimits {
            max_duration_seconds: 3600,
            full_mode_roles: vec![Role::Operator, Role::Admin, Role::SuperAdmin],
            token_horizon_seconds: 360,
            idle_seconds: 1800,
        }
    }

    fn changed(change: Value) -> Result<TenantSettings> {
        let mut settings = TenantSettings::defaults("acme", &limits());
        settings.apply(change.as_object().unwrap(), &limits())?;
        Ok(settings)
    }

    #[test]
    fn changes_apply_by_key_and_bad_ones_change_nothing() {
        let s = changed(json!({"consent": "full", "approval": {"always": true}})).unwrap();
        assert_eq!(s.consent, ConsentRule::Full);
        assert!(
            s.approval.always && s.approval.protected_accounts,
            "others keep theirs"
        );
        for bad in [
            json!({"colour": "red"}),
            json!({"approval": {"sometimes": true}}),
            json!({"approval": {"always": "yes"}}),
            json!({"approval": {"target_roles": ["super-admin"]}}),
            json!({"consent": "maybe"}),
            json!({"notify_target": "yes"}),
            json!({"protected_accounts": "ignore"}),
            json!({"max_duration_seconds": 3601}),
            json!({"max_duration_seconds": 299}),
            json!({"max_duration_seconds": 359}),
            json!({"max_duration_seconds": "an hour"}),
            json!({"full_mode_roles": ["team-admin"]}),
            json!({"full_mode_roles": "admin"}),
            json!({"consent": "always", "colour": "red"}),
        ] {
            let err = changed(bad.clone()).unwrap_err();
            assert_eq!(err.status(), 422, "{bad}");
        }
    }

    #[test]
    fn the_idle_timeout_is_between_the_token_horizon_and_the_deployments() {
        assert_eq!(
            changed(json!({})).unwrap().idle_seconds,
            1800,
            "the deployment's by default"
        );
        for (seconds, accepted) in [
            (json!(359), false),
            (json!(360), true),
            (json!(900), true),
            (json!(1800), true),
            (json!(1801), false),
            (json!(0), false),
            (json!("600"), false),
            (json!(600.5), false),
        ] {
            match changed(json!({ "idle_seconds": seconds })) {
                Ok(settings) => {
                    assert!(accepted, "{seconds} accepted");
                    assert_eq!(json!(settings.idle_seconds), seconds);
                }
                Err(err) => {
                    assert!(!accepted, "{seconds} refused: {err}");
                    assert_eq!(err.status(), 422);
                    // The 422 names both bounds.
                    let text = err.to_string();
                    assert!(text.contains("360") && text.contains("1800"), "{text}");
                }
            }
        }
    }

    #[test]
    fn stored_settings_without_an_idle_timeout_read_the_deployments() {
        let mut stored = serde_json::to_value(TenantSettings::defaults("acme", &limits())).unwrap();
        stored.as_object_mut().unwrap().remove("idle_seconds");
        let read: TenantSettings = serde_json::from_value(stored).unwrap();
        assert_eq!(read.idle_seconds, 0);
        assert_eq!(read.normalized(&limits()).idle_seconds, 1800);
        // Set when the deployment allowed more: no longer than the deployment's now.
        let mut longer = TenantSettings::defaults("acme", &limits());
        longer.idle_seconds = 3600;
        assert_eq!(longer.normalized(&limits()).idle_seconds, 1800);
        let mut shorter = TenantSettings::defaults("acme", &limits());
        shorter.idle_seconds = 600;
        assert_eq!(shorter.normalized(&limits()).idle_seconds, 600);
    }

    fn start(mode: Mode, protected: bool, target_role: Role) -> StartFacts {
        StartFacts {
            actor_role: Role::Admin,
            target_role,
            mode,
            protected,
            break_glass: false,
        }
    }

    #[test]
    fn needs_follow_the_settings() {
        let open = TenantSettings::defaults("acme", &limits());
        let n = open.needs(&start(Mode::Full, false, Role::User)).unwrap();
        assert_eq!((n.approval, n.consent, n.notify), (false, false, false));
        let n = open
            .needs(&start(Mode::ReadOnly, true, Role::User))
            .unwrap();
        assert!(n.approval, "protected accounts need approval by default");

        let strict = changed(json!({
            "approval": {"full_mode": true, "target_roles": ["operator"], "protected_accounts": false},
            "consent": "full", "notify_target": true, "protected_accounts": "refuse"
        }))
        .unwrap();
        let n = strict.needs(&start(Mode::Full, false, Role::User)).unwrap();
        assert_eq!((n.approval, n.consent, n.notify), (true, true, true));
        let n = strict
            .needs(&start(Mode::ReadOnly, false, Role::User))
            .unwrap();
        assert_eq!((n.approval, n.consent), (false, false));
        assert!(
            strict
                .needs(&start(Mode::ReadOnly, false, Role::Operator))
                .unwrap()
                .approval
        );
        assert_eq!(
            strict
                .needs(&start(Mode::ReadOnly, true, Role::User))
                .unwrap_err()
                .status(),
            403
        );
        let glass = StartFacts {
            break_glass: true,
            ..start(Mode::Full, true, Role::User)
        };
        let n = strict.needs(&glass).unwrap();
        assert_eq!((n.approval, n.consent, n.notify), (false, false, true));

        let narrow = changed(json!({"full_mode_roles": ["super-admin"]})).unwrap();
        assert_eq!(
            narrow
                .needs(&start(Mode::Full, false, Role::User))
                .unwrap_err()
                .status(),
            403
        );
        // Break-glass skips approval, consent and protection, never who may start `full`.
        let admins_only = changed(json!({"full_mode_roles": ["admin"]})).unwrap();
        let super_glass = |mode| StartFacts {
            actor_role: Role::SuperAdmin,
            break_glass: true,
            ..start(mode, true, Role::User)
        };
        assert_eq!(
            admins_only
                .needs(&super_glass(Mode::Full))
                .unwrap_err()
                .to_string(),
            crate::domain::policy::Denial::FullModeNotPermitted.to_string()
        );
        assert!(
            admins_only
                .needs(&super_glass(Mode::ReadOnly))
                .unwrap()
                .notify
        );
    }

    #[test]
    fn a_request_is_approved_only_when_everything_needed_is_given() {
        let mut r = AccessRequest {
            id: "r".into(),
            requester_sub: "a".into(),
            requester_username: "alice".into(),
            target_sub: "t".into(),
            target_username: "tom".into(),
            tenant: Some("acme".into()),
            mode: Mode::ReadOnly,
            reason: Some("why".into()),
            ticket: None,
            approval: Approval::Pending,
            consent: Consent::Pending,
            created_at_millis: 0,
            expires_at: 100,
            decided_by: None,
            comment: None,
            used: false,
        };
        assert_eq!(r.status(10), RequestStatus::Pending);
        r.approval = Approval::Approved;
        assert_eq!(
            r.status(10),
            RequestStatus::Pending,
            "consent still missing"
        );
        r.consent = Consent::Given;
        assert_eq!(r.status(10), RequestStatus::Approved);
        assert_eq!(r.status(100), RequestStatus::Expired);
        r.used = true;
        assert_eq!(r.status(10), RequestStatus::Used);
        r.used = false;
        r.consent = Consent::Declined;
        assert_eq!(r.status(10), RequestStatus::Denied);
        assert!(r.is_for("a", "t", Mode::ReadOnly, Some("why"), None));
        assert!(!r.is_for("a", "t", Mode::Full, Some("why"), None));
        assert!(!r.is_for("a", "t", Mode::ReadOnly, Some("other"), None));
        // Bound to its requester, its target and its ticket.
        assert!(!r.is_for("b", "t", Mode::ReadOnly, Some("why"), None));
        assert!(!r.is_for("a", "u", Mode::ReadOnly, Some("why"), None));
        assert!(!r.is_for("a", "t", Mode::ReadOnly, Some("why"), Some("T-2")));
        // The rules now need consent the request was made without: it lacks it.
        let both = Needs {
            approval: true,
            consent: true,
            notify: false,
        };
        let approval_only = Needs {
            approval: true,
            consent: false,
            notify: false,
        };
        r.approval = Approval::Approved;
        r.consent = Consent::NotRequired;
        assert!(r.lacks(&both));
        assert!(!r.lacks(&approval_only));
        r.consent = Consent::Given;
        assert!(!r.lacks(&both));
    }
}
