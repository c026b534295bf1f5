//! The Lambda adapter of the trigger invoker port: calls one of the pool's own trigger functions
//! as Cognito would (synchronously, the event as the payload) and returns its answer.
//!
//! Nothing of an event or an answer is logged: events carry the user's attributes, and a
//! function's error message may quote them.

use crate::domain::error::{ActasError, Result};
use crate::ports::pool::TriggerInvoker;
use async_trait::async_trait;
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;
use tracing::{error, warn};

pub struct LambdaTriggerInvoker {
    client: aws_sdk_lambda::Client,
}

impl LambdaTriggerInvoker {
    pub fn new(client: aws_sdk_lambda::Client) -> Self {
        LambdaTriggerInvoker { client }
    }
}

#[async_trait]
impl TriggerInvoker for LambdaTriggerInvoker {
    async fn invoke(&self, function_arn: &str, event: &Value) -> Result<Value> {
        let payload = serde_json::to_vec(event)
            .map_err(|e| ActasError::Internal(format!("trigger event: {e}")))?;
        let output = self
            .client
            .invoke()
            .function_name(function_arn)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or("unknown").to_string();
                warn!(
                    function = function_arn,
                    code,
                    error = %DisplayErrorContext(&e),
                    "Invoke of the pool's trigger function failed"
                );
                ActasError::Upstream(format!("Invoke {function_arn}: {code}"))
            })?;
        // The call succeeded but the function did not: Cognito would have failed the sign-in
        // with it, so actas does too. Only the error's kind is logged, not its message.
        if let Some(kind) = output.function_error() {
            error!(
                function = function_arn,
                kind, "the pool's trigger function failed"
            );
            return Err(ActasError::Upstream(format!(
                "the pool's trigger function {function_arn} failed ({kind})"
            )));
        }
        let answer = output.payload().map(Blob::as_ref).unwrap_or_default();
        serde_json::from_slice(answer).map_err(|_| {
            error!(
                function = function_arn,
                "the pool's trigger function answered with something that is not JSON"
            );
            ActasError::Upstream(format!(
                "the pool's trigger function {function_arn} answered with no event"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use serde_json::json;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:product-define";

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> ReplayEvent {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("a status"),
            SdkBody::from(body.to_string()),
        );
        for (name, value) in headers {
            response.headers_mut().insert(*name, *value);
        }
        ReplayEvent::new(HttpRequest::new(SdkBody::empty()), response)
    }

    fn invoker(answer: ReplayEvent) -> (LambdaTriggerInvoker, StaticReplayClient) {
        let http = StaticReplayClient::new(vec![answer]);
        let config = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .http_client(http.clone())
            .build();
        (
            LambdaTriggerInvoker::new(aws_sdk_lambda::Client::from_conf(config)),
            http,
        )
    }

    #[tokio::test]
    async fn the_event_goes_as_the_payload_of_a_synchronous_call_and_the_answer_comes_back() {
        let reply = json!({"response": {"issueTokens": false}});
        let (invoker, http) = invoker(answer(200, &[], &reply.to_string()));
        let event = json!({"triggerSource": "DefineAuthChallenge_Authentication"});
        assert_eq!(invoker.invoke(ARN, &event).await.unwrap(), reply);

        let requests: Vec<&HttpRequest> = http.actual_requests().collect();
        assert_eq!(requests.len(), 1);
        let sent = requests[0];
        assert!(
            sent.uri().contains("/invocations") && sent.uri().contains("product-define"),
            "{}",
            sent.uri()
        );
        assert_eq!(
            sent.headers().get("x-amz-invocation-type"),
            Some("RequestResponse")
        );
        let body: Value = serde_json::from_slice(sent.body().bytes().unwrap()).unwrap();
        assert_eq!(body, event, "the event as it is");
    }

    #[tokio::test]
    async fn a_failing_function_is_an_error_naming_it_and_nothing_of_its_answer() {
        let (invoker, _) = invoker(answer(
            200,
            &[("X-Amz-Function-Error", "Unhandled")],
            r#"{"errorMessage":"no plan for x@example.com","errorType":"KeyError"}"#,
        ));
        let err = invoker.invoke(ARN, &json!({})).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains(ARN), "{text}");
        assert!(!text.contains("example.com"), "{text}");
    }

    #[tokio::test]
    async fn a_refused_call_is_an_upstream_error() {
        let (invoker, _) = invoker(answer(
            404,
            &[("x-amzn-errortype", "ResourceNotFoundException")],
            r#"{"Type":"User","Message":"Function not found"}"#,
        ));
        let err = invoker.invoke(ARN, &json!({})).await.unwrap_err();
        assert!(matches!(err, ActasError::Upstream(_)), "{err:?}");
        assert!(
            err.to_string().contains("ResourceNotFoundException"),
            "{err}"
        );
    }
}
