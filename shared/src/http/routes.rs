//! The API's routes, as `template.yaml` declares them (a unit test keeps the two in step), and
//! the answer for every request that matches none: API Gateway sends those to the fallback
//! function (`ANY /{proxy+}`), which answers 404 for an unknown path and 405 (with `Allow`) for
//! a known path asked with another method — in the error shape, like every other answer.

use crate::domain::error::ActasError;
use crate::http::respond::error_response;
use lambda_http::http::{HeaderValue, Method};
use lambda_http::{Body, Request, Response};

/// Every route: its path template and methods.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/auth/impersonate", &["POST", "DELETE"]),
    ("/auth/impersonate/revert", &["POST"]),
    ("/auth/impersonations", &["GET"]),
    ("/auth/impersonations/{id}", &["DELETE"]),
    ("/auth/token", &["GET"]),
    ("/auth/cognito", &["POST"]),
    ("/api/public/coworkers/profiles", &["GET"]),
    ("/api/public/coworkers/{coworkerId}/impersonate", &["GET"]),
    ("/api/public/auth/login/{token}", &["POST"]),
    ("/api/sys/users/impersonate", &["GET"]),
    ("/api/sys/users/exchange", &["POST"]),
    // The sample downstream service (functions/demo-notes), behind the actas authorizer.
    ("/demo/notes", &["GET", "POST", "DELETE"]),
    ("/demo/notes/{id}", &["DELETE"]),
    ("/demo/ssf/events", &["POST"]),
    ("/auth/me", &["GET"]),
    ("/auth/audit", &["GET"]),
    ("/auth/settings", &["GET", "PUT"]),
    ("/auth/requests", &["GET"]),
    ("/auth/requests/{id}/approve", &["POST"]),
    ("/auth/requests/{id}/deny", &["POST"]),
    ("/auth/requests/{id}/consent", &["POST"]),
    ("/auth/users/{id}/protection", &["GET", "PUT"]),
    // The console's static files (functions/console).
    ("/console", &["GET"]),
    ("/console/{proxy+}", &["GET"]),
    // The Shared Signals transmitter (functions/ssf).
    ("/.well-known/ssf-configuration", &["GET"]),
    ("/ssf/jwks", &["GET"]),
    ("/ssf/streams", &["POST", "GET", "PUT", "PATCH", "DELETE"]),
    ("/ssf/status", &["GET", "POST"]),
    ("/ssf/verify", &["POST"]),
];

fn matches(template: &str, path: &str) -> bool {
    let wanted: Vec<&str> = template.trim_matches('/').split('/').collect();
    let given: Vec<&str> = path.trim_matches('/').split('/').collect();
    // A greedy last segment (`{proxy+}`) takes one or more segments.
    if let Some((last, head)) = wanted.split_last() {
        if last.ends_with("+}") {
            return given.len() > head.len()
                && head.iter().zip(&given).all(|(w, g)| w == g)
                && given[head.len()..].iter().all(|g| !g.is_empty());
        }
    }
    wanted.len() == given.len()
        && wanted.iter().zip(&given).all(|(w, g)| {
            if w.starts_with('{') {
                !g.is_empty()
            } else {
                w == g
            }
        })
}

/// The methods a path serves; `None` when no route has that path.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    ROUTES
        .iter()
        .find(|(template, _)| matches(template, path))
        .map(|(_, methods)| *methods)
}

/// The fallback function's answer.
pub fn no_route(req: &Request) -> Response<Body> {
    // The greedy parameter is the path below the stage, as the routes name it (the request's
    // URI may carry the stage in front).
    let path = match crate::http::extract::path_param(req, "proxy") {
        Some(proxy) => format!("/{proxy}"),
        None => req.uri().path().to_string(),
    };
    let path = path.as_str();
    match allowed_methods(path) {
        Some(methods) if !methods.contains(&req.method().as_str()) => {
            let mut response = error_response(&ActasError::MethodNotAllowed(format!(
                "{} is not served on {path}; use {}",
                req.method(),
                methods.join(" or ")
            )));
            if let Ok(allow) = HeaderValue::from_str(&methods.join(", ")) {
                response.headers_mut().insert("allow", allow);
            }
            response
        }
        _ if req.method() == Method::OPTIONS && allowed_methods(path).is_some() => error_response(
            &ActasError::MethodNotAllowed("OPTIONS is not served".into()),
        ),
        _ => error_response(&ActasError::NotFound("no such route".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_templates_only() {
        assert_eq!(allowed_methods("/auth/token"), Some(&["GET"][..]));
        assert_eq!(
            allowed_methods("/auth/impersonations/abc"),
            Some(&["DELETE"][..])
        );
        assert_eq!(allowed_methods("/auth/impersonations/"), Some(&["GET"][..]));
        assert_eq!(
            allowed_methods("/api/public/auth/login"),
            None,
            "an empty {{token}}"
        );
        assert_eq!(allowed_methods("/auth/../auth/token"), None);
        assert_eq!(allowed_methods("/console/app.js"), Some(&["GET"][..]));
        assert_eq!(
            allowed_methods("/console/vendor/actas/index.js"),
            Some(&["GET"][..])
        );
        assert_eq!(allowed_methods("/console"), Some(&["GET"][..]));
        assert_eq!(allowed_methods("/nope"), None);
    }

    /// The table above and the template's `Api` events name the same routes.
    #[test]
    fn the_route_table_is_the_templates() {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
                .expect("template.yaml");
        let mut declared: Vec<(String, String)> = Vec::new();
        let mut path = None;
        for line in template.lines().map(str::trim) {
            if let Some(p) = line.strip_prefix("Path: ") {
                path = Some(p.to_string());
            } else if let (Some(m), Some(p)) = (line.strip_prefix("Method: "), path.take()) {
                if p != "/{proxy+}" {
                    declared.push((p, m.to_uppercase()));
                }
            }
        }
        let mut listed: Vec<(String, String)> = ROUTES
            .iter()
            .flat_map(|(p, methods)| methods.iter().map(|m| (p.to_string(), m.to_string())))
            .collect();
        declared.sort();
        listed.sort();
        assert_eq!(declared, listed);
    }
}
