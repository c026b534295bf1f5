//! The pool's own trigger functions, in memory: each answers as its test says, and every call is
//! kept (which function, with which event) so a test can show what reached whom.

use crate::domain::error::{ActasError, Result};
use crate::ports::pool::TriggerInvoker;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

type Handler = Box<dyn Fn(Value) -> Result<Value> + Send + Sync>;

/// Functions by ARN; a call to any other is an error, as Lambda's `ResourceNotFoundException`.
#[derive(Default)]
pub struct RecordingInvoker {
    functions: HashMap<String, Handler>,
    calls: Mutex<Vec<(String, Value)>>,
}

impl RecordingInvoker {
    /// A function that answers with what `handler` makes of the event.
    pub fn with_function(
        mut self,
        function_arn: &str,
        handler: impl Fn(Value) -> Result<Value> + Send + Sync + 'static,
    ) -> Self {
        self.functions
            .insert(function_arn.to_string(), Box::new(handler));
        self
    }

    /// A function that answers with the event and this `response`, as trigger functions do.
    pub fn answering(self, function_arn: &str, response: Value) -> Self {
        self.with_function(function_arn, move |mut event| {
            if let Some(object) = event.as_object_mut() {
                object.insert("response".into(), response.clone());
            }
            Ok(event)
        })
    }

    /// A function that fails (Lambda's `FunctionError`).
    pub fn failing(self, function_arn: &str) -> Self {
        let arn = function_arn.to_string();
        self.with_function(function_arn, move |_| {
            Err(ActasError::Upstream(format!(
                "the pool's trigger function {arn} failed (Unhandled)"
            )))
        })
    }

    /// Every call so far: the function and the event it got.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The events one function got.
    pub fn events_to(&self, function_arn: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|(arn, _)| arn == function_arn)
            .map(|(_, event)| event)
            .collect()
    }
}

#[async_trait]
impl TriggerInvoker for RecordingInvoker {
    async fn invoke(&self, function_arn: &str, event: &Value) -> Result<Value> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((function_arn.to_string(), event.clone()));
        }
        let handler = self.functions.get(function_arn).ok_or_else(|| {
            ActasError::Upstream(format!("Invoke {function_arn}: ResourceNotFoundException"))
        })?;
        handler(event.clone())
    }
}
