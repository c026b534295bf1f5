//! The resource server's scopes an impersonated access token carries: `read` always, `write`
//! unless the session is read-only. The names are configuration (`READ_SCOPE`, `WRITE_SCOPE`).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionScopes {
    pub read: String,
    pub write: String,
}

impl Default for SessionScopes {
    fn default() -> Self {
        SessionScopes {
            read: "actas/read".into(),
            write: "actas/write".into(),
        }
    }
}
