//! The listing's and the audit trail's query filters, parsed into the types their use cases
//! take (`app::list_impersonations::ListFilters`, `app::audit_log::AuditFilters`): a malformed
//! filter is a 400 here, and `app` never parses a string.

use crate::app::audit_log::AuditFilters;
use crate::app::list_impersonations::{ListFilters, TargetFilter};
use crate::domain::audit::AuditEvent;
use crate::domain::error::{ActasError, Result};
use crate::domain::user::UserRef;
use crate::http::extract::query_param;
use lambda_http::Request;

/// A query parameter, blank as absent.
fn param(req: &Request, name: &str) -> Option<String> {
    query_param(req, name).filter(|v| !v.trim().is_empty())
}

/// `GET /auth/impersonations?active=&actor=&target=&since=&nextToken=`.
pub(crate) fn list_filters(req: &Request) -> Result<ListFilters> {
    let active = match param(req, "active").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ActasError::BadRequest(
                "active must be true or false".into(),
            ))
        }
    };
    let since_millis = param(req, "since")
        .map(|v| parse_instant("since", &v))
        .transpose()?;
    Ok(ListFilters {
        active,
        since_millis,
        actor: person(req, "actor")?,
        target: target(req)?,
        next_token: param(req, "nextToken"),
    })
}

/// `GET /auth/audit?actor=&target=&event=&since=&until=&nextToken=`.
pub(crate) fn audit_filters(req: &Request) -> Result<AuditFilters> {
    let events = match param(req, "event").as_deref() {
        None => Vec::new(),
        // Every start, whatever dialect made it: a one-step start, or a two-step token
        // exchanged for its session.
        Some("starts") => vec![AuditEvent::Started, AuditEvent::Exchanged],
        Some(name) => vec![AuditEvent::parse(name).ok_or_else(|| {
            ActasError::BadRequest(
                "event must be starts (every start, any dialect) or one of started, token_issued, exchanged, reverted, stopped, expired, denied, approval_requested, approval_approved, approval_denied, consent_given, consent_declined, notice_sent, settings_changed, protection_changed".into(),
            )
        })?],
    };
    let (since_millis, until_millis) = parse_window(
        param(req, "since").as_deref(),
        param(req, "until").as_deref(),
    )?;
    Ok(AuditFilters {
        events,
        since_millis,
        until_millis,
        actor: person(req, "actor")?,
        target: target(req)?,
        next_token: param(req, "nextToken"),
    })
}

/// A username or `sub`.
fn person(req: &Request, name: &str) -> Result<Option<UserRef>> {
    param(req, name).map(|v| UserRef::parse(&v)).transpose()
}

/// `me`, a username or a `sub`.
fn target(req: &Request) -> Result<Option<TargetFilter>> {
    Ok(match param(req, "target") {
        None => None,
        Some(me) if me == "me" => Some(TargetFilter::Me),
        Some(user) => Some(TargetFilter::User(UserRef::parse(&user)?)),
    })
}

/// The latest instant a filter may name: 13 digits of epoch milliseconds (the sort keys'
/// width), in the year 2286.
const LATEST_MILLIS: i64 = 9_999_999_999_999;

/// RFC 3339 or epoch milliseconds, between 1970 and [`LATEST_MILLIS`]; `name` is the
/// parameter, for the message.
fn parse_instant(name: &str, value: &str) -> Result<i64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let millis = value.parse::<i64>().ok().or_else(|| {
        DateTime::from_str(value, Format::DateTime)
            .ok()
            .and_then(|d| d.to_millis().ok())
    });
    match millis {
        Some(millis) if (0..=LATEST_MILLIS).contains(&millis) => Ok(millis),
        Some(_) => Err(ActasError::BadRequest(format!(
            "{name} must be between 1970 and the year 2286"
        ))),
        None => Err(ActasError::BadRequest(format!(
            "{name} must be RFC 3339 or epoch milliseconds"
        ))),
    }
}

/// A `since`/`until` window: each valid, and `since` not after `until`.
fn parse_window(since: Option<&str>, until: Option<&str>) -> Result<(Option<i64>, Option<i64>)> {
    let since = since.map(|v| parse_instant("since", v)).transpose()?;
    let until = until.map(|v| parse_instant("until", v)).transpose()?;
    if let (Some(from), Some(to)) = (since, until) {
        if from > to {
            return Err(ActasError::BadRequest(
                "since must not be after until".into(),
            ));
        }
    }
    Ok((since, until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use std::collections::HashMap;

    fn request(query: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Request::default().with_query_string_parameters(query)
    }

    #[test]
    fn time_windows_outside_the_sort_keys_or_backwards_are_bad_requests() {
        for (since, until) in [
            (Some("2000000000000"), Some("1000000000000")),
            (Some("1"), Some("0")),
            (Some("99999999999999"), None),
            (None, Some("-5")),
            (Some("2026-02-01T00:00:00Z"), Some("2026-01-01T00:00:00Z")),
            (Some("yesterday"), None),
        ] {
            let err = parse_window(since, until).unwrap_err();
            assert_eq!(err.status(), 400, "{since:?}..{until:?}");
        }
        assert_eq!(
            parse_window(Some("1000"), Some("2026-01-01T00:00:00Z")).unwrap(),
            (Some(1000), Some(1_767_225_600_000))
        );
        assert_eq!(
            parse_window(Some("5"), Some("5")).unwrap(),
            (Some(5), Some(5))
        );
        assert_eq!(parse_window(None, None).unwrap(), (None, None));
    }

    #[test]
    fn filters_parse_into_their_types_and_blank_is_absent() {
        let filters = list_filters(&request(&[
            ("active", "false"),
            ("actor", "alice"),
            ("target", "me"),
            ("since", "1000"),
            ("nextToken", " "),
        ]))
        .unwrap();
        assert_eq!(filters.active, Some(false));
        assert_eq!(filters.actor.as_ref().map(UserRef::as_str), Some("alice"));
        assert_eq!(filters.target, Some(TargetFilter::Me));
        assert_eq!(filters.since_millis, Some(1000));
        assert_eq!(filters.next_token, None);

        let audit = audit_filters(&request(&[("event", "starts"), ("target", "bob")])).unwrap();
        assert_eq!(audit.events, [AuditEvent::Started, AuditEvent::Exchanged]);
        assert_eq!(
            audit.target,
            Some(TargetFilter::User(UserRef::parse("bob").unwrap()))
        );
    }

    #[test]
    fn malformed_filters_are_bad_requests_that_name_the_parameter() {
        for (query, says) in [
            (vec![("active", "maybe")], "active"),
            (vec![("since", "yesterday")], "since"),
            (vec![("actor", "two words")], "username"),
            (vec![("target", "a\\b")], "username"),
        ] {
            let err = list_filters(&request(&query)).unwrap_err();
            assert_eq!(err.status(), 400, "{query:?}");
            assert!(err.to_string().contains(says), "{query:?}: {err}");
        }
        for (query, says) in [
            (vec![("event", "nonsense")], "event"),
            (vec![("until", "-5")], "until"),
            (vec![("since", "5"), ("until", "4")], "since"),
        ] {
            let err = audit_filters(&request(&query)).unwrap_err();
            assert_eq!(err.status(), 400, "{query:?}");
            assert!(err.to_string().contains(says), "{query:?}: {err}");
        }
    }
}
