//! Settings from the environment, for services deployed next to actas (Lambda functions):
//! every problem is named at start-up, not at the first request.
//!
//! | Variable | |
//! |---|---|
//! | `TOKEN_ISSUER` | required: the pool's issuer |
//! | `JWKS_URL` | default `{TOKEN_ISSUER}/.well-known/jwks.json` |
//! | `ACCEPTED_CLIENT_IDS` | required: comma-separated app client ids |
//! | `WRITE_METHODS` | optional comma list; default every method but GET, HEAD, OPTIONS, TRACE |
//! | `CHECK_REVOCATION` | `true` (default) or `false` |
//! | `ACTAS_API_URL` | actas's base URL; empty: derived per request from API Gateway's context |
//! | `REVOCATION_CACHE_SECONDS` | default 0 (no cache) |
//! | `TOKEN_LEEWAY_SECONDS` | default 5 |
//! | `AWS_ENDPOINT_URL`, `AWS_REGION` | for deriving actas's URL (a local emulator, or AWS) |

use crate::error::VerifyError;
use crate::guard::Guard;
use crate::revocation::RevocationCheck;
use crate::verifier::{Verifier, VerifierConfig};
use crate::write_rule::WriteRule;
use std::time::Duration;

/// What a deployed service needs to build its `Guard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub verifier: VerifierConfig,
    pub write_rule: WriteRule,
    pub check_revocation: bool,
    /// `ACTAS_API_URL`, when set.
    pub actas_api_url: Option<String>,
    pub revocation_cache: Duration,
    /// `AWS_ENDPOINT_URL`: a local emulator, whose API Gateway is under `/_aws/execute-api`.
    pub aws_endpoint_url: Option<String>,
    pub aws_region: Option<String>,
}

impl Settings {
    pub fn from_env() -> Result<Settings, VerifyError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any lookup (tests pass a map). Blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, VerifyError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let issuer = get("TOKEN_ISSUER").unwrap_or_else(|| {
            problems.push("TOKEN_ISSUER is required".to_string());
            String::new()
        });
        let issuer = issuer.trim_end_matches('/').to_string();
        let jwks_url = get("JWKS_URL").unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        let client_ids: Vec<String> = get("ACCEPTED_CLIENT_IDS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if client_ids.is_empty() {
            problems.push("ACCEPTED_CLIENT_IDS is required (comma-separated client ids)".into());
        }
        let write_rule = WriteRule::parse_list(&get("WRITE_METHODS").unwrap_or_default())
            .unwrap_or_else(|e| {
                problems.push(format!("WRITE_METHODS: {}", error_text(&e)));
                WriteRule::default()
            });
        let check_revocation = match get("CHECK_REVOCATION").as_deref() {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                problems.push(format!("CHECK_REVOCATION must be true or false, not {v:?}"));
                true
            }
        };
        let mut seconds = |name: &str, default: u64| match get(name) {
            None => Duration::from_secs(default),
            Some(v) => v.parse().map(Duration::from_secs).unwrap_or_else(|_| {
                problems.push(format!(
                    "{name} must be a whole number of seconds, not {v:?}"
                ));
                Duration::from_secs(default)
            }),
        };
        let revocation_cache = seconds("REVOCATION_CACHE_SECONDS", 0);
        let leeway = seconds("TOKEN_LEEWAY_SECONDS", 5);
        let actas_api_url = get("ACTAS_API_URL").map(|u| u.trim_end_matches('/').to_string());
        let aws_endpoint_url = get("AWS_ENDPOINT_URL").map(|u| u.trim_end_matches('/').to_string());
        let aws_region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        if check_revocation
            && actas_api_url.is_none()
            && aws_endpoint_url.is_none()
            && aws_region.is_none()
        {
            problems.push(
                "CHECK_REVOCATION needs ACTAS_API_URL, or AWS_REGION to derive it from".into(),
            );
        }
        let mut verifier = VerifierConfig::new(issuer, jwks_url, client_ids);
        verifier.leeway = leeway;
        let settings = Settings {
            verifier,
            write_rule,
            check_revocation,
            actas_api_url,
            revocation_cache,
            aws_endpoint_url,
            aws_region,
        };
        if problems.is_empty() {
            // The URLs are checked by building what uses them.
            if let Err(e) = settings.guard() {
                problems.push(error_text(&e));
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(VerifyError::Config(problems.join("; ")))
        }
    }

    /// The verifier (keys over HTTP) with the revocation check when it is on.
    pub fn guard(&self) -> Result<Guard, VerifyError> {
        let mut guard =
            Guard::new(Verifier::new(self.verifier.clone())?).write_rule(self.write_rule.clone());
        if self.check_revocation {
            if let Some(url) = &self.actas_api_url {
                crate::fetch::check_url(url, "ACTAS_API_URL")?;
            }
            let check = RevocationCheck::new(self.actas_api_url.clone().unwrap_or_default())
                .cache_for(self.revocation_cache);
            guard = guard.revocation(check);
        }
        Ok(guard)
    }

    /// actas's base URL for a request API Gateway says is for `api_id` at `stage`: the
    /// configured one, else the same API's (actas and the service share the gateway). `None`
    /// when the values are not plausible identifiers.
    pub fn actas_api_url_for(&self, api_id: &str, stage: &str) -> Option<String> {
        if let Some(url) = &self.actas_api_url {
            return Some(url.clone());
        }
        let plausible = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !plausible(api_id) || !plausible(stage) {
            return None;
        }
        match (&self.aws_endpoint_url, &self.aws_region) {
            (Some(endpoint), _) => Some(format!("{endpoint}/_aws/execute-api/{api_id}/{stage}")),
            (None, Some(region)) => Some(format!(
                "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"
            )),
            (None, None) => None,
        }
    }
}

fn error_text(error: &VerifyError) -> String {
    match error {
        VerifyError::Config(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, VerifyError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    const BASE: [(&str, &str); 3] = [
        (
            "TOKEN_ISSUER",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
        ),
        ("ACCEPTED_CLIENT_IDS", " a, b ,,c "),
        ("AWS_REGION", "eu-west-1"),
    ];

    #[test]
    fn defaults() {
        let s = settings(&BASE).unwrap();
        assert_eq!(
            s.verifier.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
        );
        assert_eq!(s.verifier.client_ids, ["a", "b", "c"]);
        assert_eq!(s.verifier.leeway, Duration::from_secs(5));
        assert_eq!(s.write_rule, WriteRule::AllButSafe);
        assert!(s.check_revocation);
        assert_eq!(s.revocation_cache, Duration::ZERO);
        assert_eq!(
            s.actas_api_url_for("abc123", "v1").as_deref(),
            Some("https://abc123.execute-api.eu-west-1.amazonaws.com/v1")
        );
        assert!(s.guard().unwrap().needs_api_url());
    }

    #[test]
    fn derives_the_local_emulator_url_and_refuses_implausible_ids() {
        let mut vars = BASE.to_vec();
        vars.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"));
        vars.push((
            "JWKS_URL",
            "http://127.0.0.1:4566/pool/.well-known/jwks.json",
        ));
        let s = settings(&vars).unwrap();
        assert_eq!(
            s.actas_api_url_for("abc123", "v1").as_deref(),
            Some("http://127.0.0.1:4566/_aws/execute-api/abc123/v1")
        );
        for (api, stage) in [
            ("", "v1"),
            ("abc", ""),
            ("evil.com/x", "v1"),
            ("a", "v1/../x"),
        ] {
            assert_eq!(s.actas_api_url_for(api, stage), None, "{api} {stage}");
        }
    }

    #[test]
    fn a_fixed_url_wins() {
        let mut vars = BASE.to_vec();
        vars.push(("ACTAS_API_URL", "https://auth.example.com/"));
        vars.push(("REVOCATION_CACHE_SECONDS", "3"));
        vars.push(("WRITE_METHODS", "POST,DELETE"));
        let s = settings(&vars).unwrap();
        assert_eq!(
            s.actas_api_url_for("abc", "v1").as_deref(),
            Some("https://auth.example.com")
        );
        assert_eq!(s.revocation_cache, Duration::from_secs(3));
        assert!(!s.guard().unwrap().needs_api_url());
    }

    #[test]
    fn every_problem_is_named() {
        let err = settings(&[
            ("CHECK_REVOCATION", "maybe"),
            ("WRITE_METHODS", "PO ST"),
            ("REVOCATION_CACHE_SECONDS", "-1"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in [
            "TOKEN_ISSUER",
            "ACCEPTED_CLIENT_IDS",
            "CHECK_REVOCATION",
            "WRITE_METHODS",
            "REVOCATION_CACHE_SECONDS",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        let mut vars = BASE.to_vec();
        vars.push(("ACTAS_API_URL", "ftp://x"));
        assert!(settings(&vars)
            .unwrap_err()
            .to_string()
            .contains("ACTAS_API_URL"));
        let off = settings(&[BASE[0], BASE[1], ("CHECK_REVOCATION", "false")]).unwrap();
        assert!(off.guard().unwrap().revocation_check().is_none());
    }
}
