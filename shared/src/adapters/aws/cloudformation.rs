//! Answers to CloudFormation custom resource requests: the response document PUT to the
//! request's pre-signed S3 URL, through the TLS connector the SDK uses (no second HTTP stack).

use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;
use tracing::warn;

use crate::adapters::https::connector;
use crate::domain::error::{ActasError, Result};
use crate::ports::pool::CustomResourceResponder;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A stack waits up to an hour for an answer that never comes, so a failed PUT is tried again
/// after 1 s and again after 2 s (the same document: a repeat is harmless).
const ATTEMPTS: u32 = 3;

#[derive(Default)]
pub struct CloudFormationResponder {
    /// Built on the first answer, not at start-up.
    connector: tokio::sync::OnceCell<Connector>,
}

impl CloudFormationResponder {
    pub fn new() -> Self {
        Self::default()
    }

    async fn put(&self, response_url: &str, body: &[u8]) -> Result<()> {
        let connector = self.connector.get_or_init(|| async { connector() }).await;
        let mut request = HttpRequest::new(SdkBody::from(body.to_vec()));
        request
            .set_method("PUT")
            .map_err(|e| ActasError::upstream("building the CloudFormation answer", e))?;
        request
            .set_uri(response_url)
            .map_err(|e| ActasError::upstream("building the CloudFormation answer", e))?;
        // No content type: the URL is signed without one (as AWS's own cfn-response sends it).
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        let response = tokio::time::timeout(TIMEOUT, connector.call(request))
            .await
            .map_err(|e| ActasError::upstream("answering CloudFormation", e))?
            .map_err(|e| ActasError::upstream("answering CloudFormation", e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(ActasError::upstream(
                "answering CloudFormation",
                format!("HTTP {status}"),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl CustomResourceResponder for CloudFormationResponder {
    async fn respond(&self, response_url: &str, body: &Value) -> Result<()> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ActasError::Internal(format!("CloudFormation answer: {e}")))?;
        let mut attempt = 1;
        loop {
            match self.put(response_url, &body).await {
                Ok(()) => return Ok(()),
                Err(err) if attempt < ATTEMPTS => {
                    warn!(attempt, error = %err, "answering CloudFormation failed; trying again");
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// One HTTP exchange on a local port: the request's head and body as received.
    fn answering(status: u16) -> (String, std::thread::JoinHandle<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!(
            "http://{}/answer?X-Amz-Signature=abc%2Fdef",
            listener.local_addr().expect("an address")
        );
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("a connection");
            let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("a line");
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|n| n.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("the body");
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .expect("an answer");
            (head, String::from_utf8(body).expect("text"))
        });
        (url, server)
    }

    #[tokio::test]
    async fn the_answer_is_put_to_the_url_as_json_without_a_content_type() {
        let (url, server) = answering(200);
        let document = serde_json::json!({"Status": "SUCCESS", "RequestId": "r-1"});
        CloudFormationResponder::new()
            .respond(&url, &document)
            .await
            .expect("answered");
        let (head, body) = server.join().expect("the server");
        assert!(
            head.starts_with("PUT /answer?X-Amz-Signature=abc%2Fdef HTTP/1.1"),
            "{head}"
        );
        assert!(
            !head.to_ascii_lowercase().contains("content-type"),
            "{head}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("JSON"),
            document
        );
    }
}
