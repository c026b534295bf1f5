//! The SES adapter of the notifier port: a plain-text email from the deployment's sender.

use crate::adapters::aws::dynamodb::upstream;
use crate::domain::error::{ActasError, Result};
use crate::ports::governance::{Notice, Notifier};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

pub struct SesNotifier {
    client: aws_sdk_sesv2::Client,
    sender: String,
}

impl SesNotifier {
    pub fn new(client: aws_sdk_sesv2::Client, sender: impl Into<String>) -> Self {
        SesNotifier {
            client,
            sender: sender.into(),
        }
    }
}

fn content(text: &str) -> Result<Content> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| ActasError::Internal(e.to_string()))
}

#[async_trait]
impl Notifier for SesNotifier {
    async fn send(&self, notice: &Notice) -> Result<()> {
        let message = Message::builder()
            .subject(content(&notice.subject)?)
            .body(Body::builder().text(content(&notice.text)?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(&notice.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| upstream("SendEmail", e))?;
        Ok(())
    }
}
