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
    /// How fresh the actor's sign-in must be to start, break glass or approve. Settings stored
    /// before step-up existed read the deployment's (`normalized`).
    #[serde(default)]
    pub step_up: StepUp,
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
    /// The deployment's step-up (`StepUpMaxAgeSeconds`), 0 for none: when it has one, a tenant's
    /// may only be stricter (shorter, and never off).
    pub step_up_max_age_seconds: i64,
}

/// The longest a step-up may allow (a day): beyond that it would not ask for anything.
pub const MAX_STEP_UP_SECONDS: i64 = 86_400;

/// Step-up: how recent the actor's sign-in (the token's `auth_time`) must be for a start, a
/// break-glass start and an approval. A stale sign-in on an unattended laptop is not enough to act
/// as someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUp {
    /// The oldest sign-in that will do, in seconds; 0: no step-up.
    pub max_age_seconds: i64,
    /// Whether read-only starts need it too (`full` starts, break-glass and approvals always do).
    pub read_only_starts: bool,
}

impl Default for StepUp {
    /// Off; when turned on it covers every start unless read-only starts are left out.
    fn default() -> Self {
        StepUp {
            max_age_seconds: 0,
            read_only_starts: true,
        }
    }
}

/// What a fresh sign-in is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUpAction {
    Start { mode: Mode, break_glass: bool },
    Approve,
}

/// How far a sign-in may seem to lie in the future (clocks differ a little), in seconds.
const AUTH_TIME_LEEWAY_SECS: i64 = 5;

impl StepUp {
    /// Whether `action` needs a fresh sign-in under this rule.
    pub fn applies_to(&self, action: StepUpAction) -> bool {
        self.max_age_seconds > 0
            && match action {
                StepUpAction::Start {
                    mode: Mode::ReadOnly,
                    break_glass: false,
                } => self.read_only_starts,
                _ => true,
            }
    }

    /// Refuses (401 `step_up_required`) an action that needs a fresh sign-in when the actor's is
    /// older than the maximum age, or cannot be told: a token without `auth_time` fails closed.
    pub fn check(&self, action: StepUpAction, auth_time: Option<i64>, now_secs: i64) -> Result<()> {
        if !self.applies_to(action) {
            return Ok(());
        }
        match auth_time {
            Some(at)
                if at <= now_secs + AUTH_TIME_LEEWAY_SECS
                    && now_secs - at <= self.max_age_seconds =>
            {
                Ok(())
            }
            _ => Err(ActasError::StepUpRequired {
                max_age_seconds: self.max_age_seconds,
            }),
        }
    }
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
            step_up: StepUp {
                max_age_seconds: limits.step_up_max_age_seconds,
                read_only_starts: true,
            },
            updated_at: None,
            updated_by: None,
        }
    }

    /// The settings as they apply under these limits: an idle timeout never set (stored before
    /// idle timeouts existed) or longer than the deployment's now is the deployment's; so is a
    /// step-up that is off or looser while the deployment has one.
    pub fn normalized(mut self, limits: &DeploymentLimits) -> TenantSettings {
        if self.idle_seconds <= 0 || self.idle_seconds > limits.idle_seconds {
            self.idle_seconds = limits.idle_seconds;
        }
        let deployment = limits.step_up_max_age_seconds;
        if deployment > 0
            && (self.step_up.max_age_seconds <= 0 || self.step_up.max_age_seconds > deployment)
        {
            self.step_up.max_age_seconds = deployment;
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
                "step_up" => next.step_up = step_up(value, &next.step_up, limits)?,
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

fn step_up(value: &Value, current: &StepUp, limits: &DeploymentLimits) -> Result<StepUp> {
    let fields = value
        .as_object()
        .ok_or_else(|| invalid("step_up must be an object"))?;
    let mut rule = *current;
    for (key, value) in fields {
        match key.as_str() {
            "max_age_seconds" => {
                let deployment = limits.step_up_max_age_seconds;
                let (min, max) = if deployment > 0 {
                    (1, deployment)
                } else {
                    (0, MAX_STEP_UP_SECONDS)
                };
                rule.max_age_seconds = value
                    .as_i64()
                    .filter(|s| (min..=max).contains(s))
                    .ok_or_else(|| {
                        invalid(&if deployment > 0 {
                            format!("step_up.max_age_seconds must be a whole number from 1 to {deployment} (the deployment's step-up: a tenant's may only be stricter)")
                        } else {
                            format!("step_up.max_age_seconds must be a whole number from 0 (off) to {MAX_STEP_UP_SECONDS}")
                        })
                    })?;
            }
            "read_only_starts" => {
                rule.read_only_starts = value
                    .as_bool()
                    .ok_or_else(|| invalid("step_up.read_only_starts must be true or false"))?
            }
            other => {
                return Err(invalid(&format!(
                    "unknown setting step_up.{}",
                    crate::domain::audit::bounded(other, 64)
                )))
            }
        }
    }
    Ok(rule)
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
    /// The approver's terms: the mode the session gets when narrower than asked (`full` asked,
    /// `read_only` approved); `None`: as asked.
    pub approved_mode: Option<Mode>,
    /// The approver's terms: the longest the session may last; `None`: the tenant's maximum.
    pub approved_duration_seconds: Option<i64>,
    pub used: bool,
}

/// What an approver sets: a shorter duration and a narrower mode than the start would get, never
/// more. `None`s leave the request's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApprovedTerms {
    pub mode: Option<Mode>,
    pub duration_seconds: Option<i64>,
}

impl ApprovedTerms {
    /// Checks an approver's terms against the request and the tenant's limits: the mode may go
    /// from `full` to `read_only` (the same mode is no change), the duration may be anything from
    /// the shortest a session may last (no token may outlive its impersonation) to the tenant's
    /// maximum, which is what the start would get. Widening either is a 400.
    pub fn checked(
        self,
        request: &AccessRequest,
        max_duration_seconds: i64,
        min_duration_seconds: i64,
    ) -> Result<ApprovedTerms> {
        let mode = match (request.mode, self.mode) {
            (_, None) => None,
            (asked, Some(mode)) if mode == asked => None,
            (Mode::Full, Some(Mode::ReadOnly)) => Some(Mode::ReadOnly),
            (asked, Some(mode)) => {
                return Err(ActasError::BadRequest(format!(
                    "an approval may narrow the mode (full to read_only), never widen it: the request asks for {asked}, not {mode}"
                )))
            }
        };
        if let Some(seconds) = self.duration_seconds {
            if seconds > max_duration_seconds {
                return Err(ActasError::BadRequest(format!(
                    "an approval may shorten the session, never lengthen it: duration_seconds may be at most {max_duration_seconds} (what the start would get)"
                )));
            }
            if seconds < min_duration_seconds {
                return Err(ActasError::Unprocessable(format!(
                    "duration_seconds must be at least {min_duration_seconds}: no token may outlive its impersonation"
                )));
            }
        }
        Ok(ApprovedTerms {
            mode,
            duration_seconds: self.duration_seconds,
        })
    }

    /// "read_only, at most 900 s" — what the approver changed, for the audit record and the
    /// notice; `None` when they changed nothing.
    pub fn describe(mode: Option<Mode>, duration_seconds: Option<i64>) -> Option<String> {
        let parts: Vec<String> = [
            mode.map(|m| m.as_str().to_string()),
            duration_seconds.map(|s| format!("at most {s} s")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
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
    /// The mode a session redeeming this request gets: the approver's when they narrowed it.
    pub fn granted_mode(&self) -> Mode {
        self.approved_mode.unwrap_or(self.mode)
    }

    /// The approver's terms in words, if they set any: "read_only, at most 900 s".
    pub fn approved_terms(&self) -> Option<String> {
        ApprovedTerms::describe(self.approved_mode, self.approved_duration_seconds)
    }

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

    /// The same start: requester, target, mode (as asked, or as the approver narrowed it),
    /// reason and ticket (an approval is given for one ticket, not for whatever ticket comes next).
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
            && (self.mode == mode || self.approved_mode == Some(mode))
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
            step_up_max_age_seconds: 0,
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
            approved_mode: None,
            approved_duration_seconds: None,
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

    #[test]
    fn step_up_asks_for_a_fresh_sign_in_where_it_applies() {
        let rule = StepUp {
            max_age_seconds: 300,
            read_only_starts: false,
        };
        let full = StepUpAction::Start {
            mode: Mode::Full,
            break_glass: false,
        };
        let read_only = StepUpAction::Start {
            mode: Mode::ReadOnly,
            break_glass: false,
        };
        let glass = StepUpAction::Start {
            mode: Mode::ReadOnly,
            break_glass: true,
        };
        let now = 10_000;
        for (action, auth_time, passes) in [
            (full, Some(now - 300), true),
            (full, Some(now - 301), false),
            (full, None, false),
            (full, Some(now + 60), false),
            (StepUpAction::Approve, Some(now - 10), true),
            (StepUpAction::Approve, Some(now - 3600), false),
            (glass, Some(now - 3600), false),
            (glass, Some(now), true),
            // Left out by the setting: a stale or missing sign-in is enough.
            (read_only, Some(now - 3600), true),
            (read_only, None, true),
        ] {
            match rule.check(action, auth_time, now) {
                Ok(()) => assert!(passes, "{action:?} {auth_time:?} passed"),
                Err(err) => {
                    assert!(!passes, "{action:?} {auth_time:?} refused");
                    assert_eq!(err.status(), 401);
                    assert!(matches!(
                        err,
                        ActasError::StepUpRequired {
                            max_age_seconds: 300
                        }
                    ));
                }
            }
        }
        let every_start = StepUp {
            read_only_starts: true,
            ..rule
        };
        assert!(every_start.check(read_only, Some(now - 301), now).is_err());
        let off = StepUp::default();
        assert!(off.check(full, None, now).is_ok(), "0 is off");
    }

    #[test]
    fn a_tenants_step_up_is_bounded_by_the_deployments() {
        // The deployment has none: a tenant may turn it on, with any age up to a day, or off.
        let s = changed(json!({"step_up": {"max_age_seconds": 2}})).unwrap();
        assert_eq!(
            s.step_up,
            StepUp {
                max_age_seconds: 2,
                read_only_starts: true
            }
        );
        let s =
            changed(json!({"step_up": {"max_age_seconds": 0, "read_only_starts": false}})).unwrap();
        assert!(!s.step_up.read_only_starts);
        for bad in [
            json!({"step_up": {"max_age_seconds": -1}}),
            json!({"step_up": {"max_age_seconds": 86_401}}),
            json!({"step_up": {"max_age_seconds": "900"}}),
            json!({"step_up": {"read_only_starts": "no"}}),
            json!({"step_up": {"max_age": 900}}),
            json!({"step_up": 900}),
        ] {
            assert_eq!(changed(bad.clone()).unwrap_err().status(), 422, "{bad}");
        }
        // The deployment has one: a tenant's may only be stricter, never off.
        let strict = DeploymentLimits {
            step_up_max_age_seconds: 900,
            ..limits()
        };
        let mut settings = TenantSettings::defaults("acme", &strict);
        assert_eq!(settings.step_up.max_age_seconds, 900);
        for (age, accepted) in [
            (0, false),
            (1, true),
            (600, true),
            (900, true),
            (901, false),
        ] {
            let change = json!({"step_up": {"max_age_seconds": age}});
            let result = settings.apply(change.as_object().unwrap(), &strict);
            assert_eq!(result.is_ok(), accepted, "{age}");
            if let Err(err) = result {
                assert!(err.to_string().contains("900"), "{err}");
            }
        }
        // Stored before step-up existed, or looser than the deployment now: the deployment's.
        let mut stored = serde_json::to_value(TenantSettings::defaults("acme", &limits())).unwrap();
        stored.as_object_mut().unwrap().remove("step_up");
        let read: TenantSettings = serde_json::from_value(stored).unwrap();
        assert_eq!(read.step_up, StepUp::default());
        assert_eq!(read.normalized(&strict).step_up.max_age_seconds, 900);
        let mut looser = TenantSettings::defaults("acme", &limits());
        looser.step_up.max_age_seconds = 3600;
        assert_eq!(looser.normalized(&strict).step_up.max_age_seconds, 900);
        let mut stricter = TenantSettings::defaults("acme", &limits());
        stricter.step_up.max_age_seconds = 60;
        assert_eq!(stricter.normalized(&strict).step_up.max_age_seconds, 60);
    }

    #[test]
    fn an_approver_may_shorten_and_narrow_never_widen() {
        let request = |mode| AccessRequest {
            id: "r".into(),
            requester_sub: "a".into(),
            requester_username: "alice".into(),
            target_sub: "t".into(),
            target_username: "tom".into(),
            tenant: Some("acme".into()),
            mode,
            reason: Some("why".into()),
            ticket: None,
            approval: Approval::Pending,
            consent: Consent::NotRequired,
            created_at_millis: 0,
            expires_at: 100,
            decided_by: None,
            comment: None,
            approved_mode: None,
            approved_duration_seconds: None,
            used: false,
        };
        let terms = |mode, duration_seconds| ApprovedTerms {
            mode,
            duration_seconds,
        };
        let full = request(Mode::Full);
        let narrowed = terms(Some(Mode::ReadOnly), Some(900))
            .checked(&full, 3600, 360)
            .unwrap();
        assert_eq!(narrowed, terms(Some(Mode::ReadOnly), Some(900)));
        // The same mode is no change; nothing set is nothing changed.
        assert_eq!(
            terms(Some(Mode::Full), None)
                .checked(&full, 3600, 360)
                .unwrap(),
            terms(None, None)
        );
        let read_only = request(Mode::ReadOnly);
        for (asked, status) in [
            (terms(Some(Mode::Full), None), 400),
            (terms(None, Some(3601)), 400),
            (terms(None, Some(359)), 422),
        ] {
            let err = asked.checked(&read_only, 3600, 360).unwrap_err();
            assert_eq!(err.status(), status, "{asked:?}: {err}");
        }
        assert_eq!(
            ApprovedTerms::describe(Some(Mode::ReadOnly), Some(900)).as_deref(),
            Some("read_only, at most 900 s")
        );
        assert_eq!(ApprovedTerms::describe(None, None), None);
        // Redeemed by the start as asked, or as narrowed; the session gets the narrowed mode.
        let mut approved = full.clone();
        approved.approved_mode = Some(Mode::ReadOnly);
        assert!(approved.is_for("a", "t", Mode::Full, Some("why"), None));
        assert!(approved.is_for("a", "t", Mode::ReadOnly, Some("why"), None));
        assert_eq!(approved.granted_mode(), Mode::ReadOnly);
        assert!(!full.is_for("a", "t", Mode::ReadOnly, Some("why"), None));
    }
}
