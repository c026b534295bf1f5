//! Which HTTP methods count as writes.

use crate::error::VerifyError;
use http::Method;

/// What a read-only session may not do. By default every method but GET, HEAD, OPTIONS and
/// TRACE is a write (an unknown method is a write: fail closed); a deployer whose API writes
/// with GETs or has WebDAV-style methods lists its write methods instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WriteRule {
    #[default]
    AllButSafe,
    Methods(Vec<Method>),
}

impl WriteRule {
    /// An explicit list of write methods.
    pub fn methods<I, M>(methods: I) -> WriteRule
    where
        I: IntoIterator<Item = M>,
        M: Into<Method>,
    {
        WriteRule::Methods(methods.into_iter().map(Into::into).collect())
    }

    /// A comma-separated list (`POST,PUT,PATCH,DELETE,PROPFIND`); blank means the default.
    /// Method names are case-sensitive in HTTP, so they are taken as upper case.
    pub fn parse_list(list: &str) -> Result<WriteRule, VerifyError> {
        let names: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return Ok(WriteRule::AllButSafe);
        }
        names
            .into_iter()
            .map(|name| {
                Method::from_bytes(name.to_ascii_uppercase().as_bytes())
                    .map_err(|_| VerifyError::Config(format!("not an HTTP method: {name:?}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(WriteRule::Methods)
    }

    pub fn is_write(&self, method: &Method) -> bool {
        match self {
            WriteRule::AllButSafe => !matches!(
                *method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
            ),
            WriteRule::Methods(methods) => methods.contains(method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(name: &str) -> Method {
        Method::from_bytes(name.as_bytes()).unwrap()
    }

    #[test]
    fn default_rule_writes_are_all_but_the_safe_methods() {
        let rule = WriteRule::default();
        for read in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert!(!rule.is_write(&method(read)), "{read}");
        }
        for write in [
            "POST", "PUT", "PATCH", "DELETE", "CONNECT", "PROPFIND", "PURGE",
        ] {
            assert!(rule.is_write(&method(write)), "{write}");
        }
    }

    #[test]
    fn an_explicit_list_is_exactly_its_methods() {
        let rule = WriteRule::parse_list(" post, PUT,patch ,DELETE,PROPFIND ").unwrap();
        for write in ["POST", "PUT", "PATCH", "DELETE", "PROPFIND"] {
            assert!(rule.is_write(&method(write)), "{write}");
        }
        for read in ["GET", "HEAD", "OPTIONS", "PURGE", "MKCOL"] {
            assert!(!rule.is_write(&method(read)), "{read}");
        }
        assert_eq!(
            WriteRule::methods([Method::POST]),
            WriteRule::parse_list("POST").unwrap()
        );
        assert_eq!(WriteRule::parse_list(" , ").unwrap(), WriteRule::AllButSafe);
        assert!(matches!(
            WriteRule::parse_list("POST,GE T"),
            Err(VerifyError::Config(_))
        ));
    }
}
