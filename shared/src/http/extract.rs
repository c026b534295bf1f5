//! Reading API Gateway REST (v1) requests: headers, query and path parameters, a JSON body.

use crate::domain::error::{ActasError, Result};
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

/// Largest request body actas reads; anything bigger is not a request it understands.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

/// The body as a JSON object; `None` when there is no body at all.
pub fn json_object_body(req: &Request) -> Result<Option<Map<String, Value>>> {
    let bytes = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ActasError::BadRequest("request body too large".into()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(ActasError::BadRequest(
            "request body must be a JSON object".into(),
        )),
        Err(_) => Err(ActasError::BadRequest(
            "request body is not valid JSON".into(),
        )),
    }
}

/// A request's JSON body, read once: the use case takes its fields and, if the request is
/// refused, so does the audit record (`http::refusal`).
pub(crate) struct JsonBody(std::result::Result<Option<Map<String, Value>>, String>);

impl JsonBody {
    pub(crate) fn read(req: &Request) -> JsonBody {
        JsonBody(json_object_body(req).map_err(|err| err.to_string()))
    }

    /// The body as an object (`None` when there is none), or why it is not one (a 400).
    pub(crate) fn object(&self) -> Result<Option<&Map<String, Value>>> {
        match &self.0 {
            Ok(body) => Ok(body.as_ref()),
            Err(why) => Err(ActasError::BadRequest(why.clone())),
        }
    }

    /// A string field as the request gave it (body, else query), blank as absent: what a
    /// refusal records, whether or not the body was usable.
    pub(crate) fn given(&self, req: &Request, name: &str) -> Option<String> {
        let body = self.0.as_ref().ok().and_then(Option::as_ref);
        body.and_then(|b| b.get(name)?.as_str().map(str::to_string))
            .or_else(|| query_param(req, name))
            .filter(|v| !v.trim().is_empty())
    }
}

/// A string field of a JSON body: absent is `None`, present but not a string is a 400.
pub fn string_field(body: Option<&Map<String, Value>>, name: &str) -> Result<Option<String>> {
    match body.and_then(|b| b.get(name)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ActasError::BadRequest(format!("{name} must be a string"))),
    }
}

pub(crate) fn required(value: Option<String>, name: &str) -> Result<String> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ActasError::BadRequest(format!("{name} is required")))
}
