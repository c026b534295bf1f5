//! How time is written: plain formatting of epoch milliseconds (the clock itself is a port).

/// RFC 3339 with milliseconds, UTC (`2025-03-28T12:34:56.789Z`), as the seeds show it.
pub fn rfc3339_millis(epoch_millis: i64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    let secs = epoch_millis.div_euclid(1000);
    let nanos = (epoch_millis.rem_euclid(1000) * 1_000_000) as u32;
    let formatted = DateTime::from_secs_and_nanos(secs, nanos)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    // Smithy drops a zero fraction and trims trailing zeros; the seeds always show three digits.
    match formatted.strip_suffix('Z') {
        Some(body) => {
            let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
            format!("{whole}.{:0<3}Z", &fraction[..fraction.len().min(3)])
        }
        None => formatted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_three_fraction_digits() {
        assert_eq!(
            rfc3339_millis(1_743_165_296_789),
            "2025-03-28T12:34:56.789Z"
        );
        assert_eq!(
            rfc3339_millis(1_743_165_296_000),
            "2025-03-28T12:34:56.000Z"
        );
        assert_eq!(
            rfc3339_millis(1_743_165_296_700),
            "2025-03-28T12:34:56.700Z"
        );
    }
}
