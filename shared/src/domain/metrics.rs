//! Metrics in CloudWatch's Embedded Metric Format: one JSON log line per data point, which
//! CloudWatch turns into metrics with no API call and no agent. Namespace `actas`; dimensions
//! the tenant and the dialect (one-step starts, two-step tokens) or the cause of an end.

use crate::domain::audit::{AuditEvent, AuditRecord};
use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "actas";

/// One data point: a count of 1 (or `value`) of `name`, with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub name: &'static str,
    pub value: f64,
    pub dimensions: Vec<(&'static str, String)>,
}

impl MetricPoint {
    /// The EMF line (CloudWatch's `_aws` envelope), at `at_millis`.
    pub fn emf_line(&self, at_millis: i64) -> String {
        let mut root = Map::new();
        let names: Vec<&str> = self.dimensions.iter().map(|(k, _)| *k).collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": at_millis,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [names],
                    "Metrics": [{"Name": self.name, "Unit": "Count"}],
                }],
            }),
        );
        for (key, value) in &self.dimensions {
            root.insert((*key).into(), Value::String(value.clone()));
        }
        root.insert(self.name.into(), json!(self.value));
        Value::Object(root).to_string()
    }
}

fn dialect(event: AuditEvent) -> &'static str {
    match event {
        AuditEvent::Exchanged | AuditEvent::TokenIssued => "two-step",
        _ => "one-step",
    }
}

/// What an audit record counts for: starts, refusals by reason, failures, ends by cause,
/// approvals, break-glass.
pub fn points_of(record: &AuditRecord) -> Vec<MetricPoint> {
    let tenant = record.tenant.clone().unwrap_or_else(|| "-".into());
    let by_dialect = |name| MetricPoint {
        name,
        value: 1.0,
        dimensions: vec![
            ("Tenant", tenant.clone()),
            ("Dialect", dialect(record.event).into()),
        ],
    };
    let mut points = Vec::new();
    match record.event {
        AuditEvent::Started | AuditEvent::Exchanged => {
            if record.outcome == "success" {
                points.push(by_dialect("Starts"));
                if record.break_glass {
                    points.push(MetricPoint {
                        name: "BreakGlass",
                        value: 1.0,
                        dimensions: vec![],
                    });
                }
            } else {
                points.push(by_dialect("Failures"));
            }
        }
        AuditEvent::Denied => points.push(MetricPoint {
            name: "Refusals",
            value: f64::from(record.count.max(1)),
            dimensions: vec![
                ("Tenant", tenant),
                (
                    "Reason",
                    record
                        .cause
                        .as_deref()
                        .filter(|c| c.len() <= 40 && !c.contains(' '))
                        .unwrap_or("other")
                        .into(),
                ),
            ],
        }),
        AuditEvent::Stopped | AuditEvent::Expired | AuditEvent::Reverted => {
            let cause = match record.event {
                AuditEvent::Expired => "expired",
                AuditEvent::Reverted => "reverted",
                _ => match record.cause.as_deref() {
                    Some(c) if c.starts_with("ended by a policy change") => "policy",
                    Some(c) if c.starts_with("ended for idleness") => "idle",
                    _ => "stopped",
                },
            };
            points.push(MetricPoint {
                name: "Ends",
                value: 1.0,
                dimensions: vec![("Tenant", tenant), ("Cause", cause.into())],
            });
        }
        AuditEvent::ApprovalApproved => points.push(MetricPoint {
            name: "Approvals",
            value: 1.0,
            dimensions: vec![("Tenant", tenant)],
        }),
        _ => {}
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::RequestOrigin;

    #[test]
    fn records_count_as_the_metrics_the_alarms_and_dashboard_read() {
        let mut start = AuditRecord::new(AuditEvent::Started, 1_000, &RequestOrigin::default());
        start.tenant = Some("acme".into());
        start.break_glass = true;
        let names: Vec<&str> = points_of(&start).iter().map(|p| p.name).collect();
        assert_eq!(names, ["Starts", "BreakGlass"]);
        let line: Value = serde_json::from_str(&points_of(&start)[0].emf_line(1_000)).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "actas");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
            json!(["Tenant", "Dialect"])
        );
        assert_eq!(line["Starts"], 1.0);
        assert_eq!(line["Tenant"], "acme");
        assert_eq!(line["Dialect"], "one-step");

        let mut refused = AuditRecord::new(AuditEvent::Denied, 1_000, &RequestOrigin::default());
        refused.cause = Some("rank_not_lower".into());
        let point = &points_of(&refused)[0];
        assert_eq!(
            (point.name, point.dimensions[1].1.as_str()),
            ("Refusals", "rank_not_lower")
        );

        let mut ended = AuditRecord::new(AuditEvent::Stopped, 1_000, &RequestOrigin::default());
        ended.cause = Some("ended by a policy change: your account is disabled".into());
        assert_eq!(points_of(&ended)[0].dimensions[1].1, "policy");
        let token = AuditRecord::new(AuditEvent::TokenIssued, 1_000, &RequestOrigin::default());
        assert!(points_of(&token).is_empty());
    }
}
