//! `GET /console/{path}`: the console's static files, compiled into the function, and
//! `config.json`, the pool's sign-in settings (its `UserPool`, from the function's
//! configuration). The console is served by the API it calls, so its requests are same-origin on
//! AWS and locally.

use crate::domain::error::ActasError;
use crate::domain::settings::UserPool;
use crate::http::extract::path_param;
use crate::http::respond::error_response;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use tracing::instrument;

/// The console's files: path below `console/dist/`, and contents.
pub type ConsoleFiles = &'static [(&'static str, &'static [u8])];

/// What the console function serves.
pub struct ConsoleState {
    pub files: ConsoleFiles,
    /// What the console needs to sign users in (Cognito's endpoint, the region, the pool and
    /// its sign-in client).
    pub config_json: String,
    /// The pages' Content-Security-Policy: only the console's own scripts (and the inline
    /// import maps it ships, by hash), calls to the API and to Cognito, never framed.
    pub csp: String,
}

impl ConsoleState {
    pub fn new(pool: &UserPool, files: ConsoleFiles) -> ConsoleState {
        let config_json = json!({
            "cognitoEndpoint": pool.cognito_public_endpoint,
            "region": pool.region,
            "userPoolId": pool.user_pool_id,
            "signInClientId": pool.sign_in_client_id,
        })
        .to_string();
        let cognito = pool.cognito_public_endpoint.trim_end_matches('/');
        let inline_scripts: String = files
            .iter()
            .filter(|(name, _)| name.ends_with(".html"))
            .flat_map(|(_, html)| inline_script_hashes(&String::from_utf8_lossy(html)))
            .map(|hash| format!(" 'sha256-{hash}'"))
            .collect();
        let csp = format!(
            "default-src 'self'; script-src 'self'{inline_scripts}; connect-src 'self' {cognito}; \
             img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; \
             base-uri 'self'; form-action 'self'"
        );
        ConsoleState {
            files,
            config_json,
            csp,
        }
    }
}

/// The base64 SHA-256 of each inline `<script>` (one without `src`) of a page, as CSP wants.
fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some(open_end) = rest[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = rest[open_end..].find("</script>").map(|i| open_end + i) else {
            break;
        };
        if !rest[start..open_end].contains(" src=") {
            let digest = Sha256::digest(&rest.as_bytes()[open_end..close]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &rest[close..];
    }
    hashes
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file_response(path: &str, contents: Body, cache: &str, csp: &str) -> Response<Body> {
    let mut response = Response::new(contents);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type(path)),
    );
    if let Ok(value) = header::HeaderValue::from_str(cache) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if let Ok(value) = header::HeaderValue::from_str(csp) {
        headers.insert(
            header::HeaderName::from_static("content-security-policy"),
            value,
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /console` (redirected to `/console/`, so relative URLs resolve), `GET /console/` (the
/// app), `GET /console/config.json`, `GET /console/<file>`.
#[instrument(name = "console", skip_all)]
pub async fn handle(state: &ConsoleState, req: Request) -> Response<Body> {
    let path = path_param(&req, "proxy").unwrap_or_default();
    if path.is_empty() && !req.uri().path().ends_with('/') {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
        response.headers_mut().insert(
            header::LOCATION,
            header::HeaderValue::from_static("console/"),
        );
        return response;
    }
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path
    };
    if path == "config.json" {
        return file_response(
            &path,
            Body::Text(state.config_json.clone()),
            "no-store",
            &state.csp,
        );
    }
    match state.files.iter().find(|(name, _)| *name == path) {
        Some((name, contents)) => {
            // Text goes out as text: API Gateway returns a base64 body as-is unless the API
            // lists the type as binary.
            let body = match std::str::from_utf8(contents) {
                Ok(text) => Body::Text(text.to_string()),
                Err(_) => Body::Binary(contents.to_vec()),
            };
            file_response(name, body, "no-cache", &state.csp)
        }
        None if state.files.is_empty() => error_response(&ActasError::Upstream(
            "the console was not built into this function (run scripts/up)".into(),
        )),
        None => error_response(&ActasError::NotFound("no such file".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FILES: &[(&str, &[u8])] = &[
        ("index.html", b"<!doctype html><title>actas</title>"),
        ("app.js", b"export {};"),
        ("vendor/actas/index.js", b"export {};"),
    ];

    fn state() -> ConsoleState {
        ConsoleState {
            files: FILES,
            config_json: r#"{"region":"us-east-1"}"#.into(),
            csp: "default-src 'self'".into(),
        }
    }

    async fn get(uri: &str, proxy: Option<&str>) -> Response<Body> {
        use lambda_http::RequestExt;
        let mut req = lambda_http::http::Request::builder()
            .uri(uri)
            .body(Body::Empty)
            .unwrap();
        if let Some(proxy) = proxy {
            req = req.with_path_parameters(std::collections::HashMap::from([(
                "proxy".to_string(),
                proxy.to_string(),
            )]));
        }
        handle(&state(), req).await
    }

    fn content_type_of(response: &Response<Body>) -> &str {
        response.headers()[header::CONTENT_TYPE].to_str().unwrap()
    }

    #[tokio::test]
    async fn serves_files_index_and_config_with_their_types() {
        let index = get("https://x/v1/console/", None).await;
        assert_eq!(index.status(), 200);
        assert!(content_type_of(&index).starts_with("text/html"));
        assert_eq!(index.body().as_ref(), FILES[0].1);

        let script = get(
            "https://x/v1/console/vendor/actas/index.js",
            Some("vendor/actas/index.js"),
        )
        .await;
        assert_eq!(script.status(), 200);
        assert!(content_type_of(&script).starts_with("text/javascript"));
        assert_eq!(script.headers()["x-content-type-options"], "nosniff");

        let config = get("https://x/v1/console/config.json", Some("config.json")).await;
        assert_eq!(config.status(), 200);
        assert_eq!(config.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(config.body().as_ref(), br#"{"region":"us-east-1"}"#);
    }

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_only_those() {
        let html = r#"<script type="importmap">{"imports":{}}</script><script type="module" src="./app.js"></script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1, "the external script needs no hash");
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(br#"{"imports":{}}"#));
        assert_eq!(hashes[0], expected);
    }

    #[tokio::test]
    async fn redirects_the_bare_path_and_refuses_unknown_files() {
        let bare = get("https://x/v1/console", None).await;
        assert_eq!(bare.status(), 301);
        assert_eq!(bare.headers()[header::LOCATION], "console/");

        for path in ["nope.js", "../template.yaml", "vendor/../../secret"] {
            let missing = get(&format!("https://x/v1/console/{path}"), Some(path)).await;
            assert_eq!(missing.status(), 404, "{path}");
        }
    }
}
