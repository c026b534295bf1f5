//! The pool's own trigger functions, in a pool actas joined: the ones that held actas's slots
//! before it attached (the attachment record's `chained`). Custom-auth events of other clients
//! than actas's go to them as they came, and every pre-token event goes to the pool's pre-token
//! function as well, so that the pool's own sign-ins and claims keep working.
//!
//! Those events are passed as the JSON values Cognito sent, never read into a typed event and
//! written back: a type would drop the fields it does not name and reshape the rest (`null`s,
//! defaults), and the pool's function must get every field as it came.
//!
//! The record is read from actas's table and kept for a minute: a warm trigger must not add a
//! DynamoDB read to every sign-in (Cognito gives a trigger 5 seconds). A record that cannot be
//! read, or is not there, fails the events that need it: actas never guesses what the pool had.

use crate::domain::error::{ActasError, Result};
use crate::domain::pool_attachment::{ChainedTriggers, PoolAttachment};
use crate::ports::clock::Clock;
use crate::ports::pool::{PoolAttachmentStore, TriggerInvoker};
use crate::triggers::token_overrides::{v1_event, OverrideDetails};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tracing::{debug, error};

/// How long a read of the attachment record is used. Attaching again with other functions
/// (rare, and by an operator) reaches warm triggers within this time.
pub const CHAIN_CACHE_MILLIS: i64 = 60_000;

/// The custom-auth slots whose events go to the pool's own function when they are not actas's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomAuthSlot {
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallengeResponse,
}

impl CustomAuthSlot {
    fn function(self, chained: &ChainedTriggers) -> Option<&str> {
        match self {
            CustomAuthSlot::DefineAuthChallenge => chained.define_auth_challenge.as_deref(),
            CustomAuthSlot::CreateAuthChallenge => chained.create_auth_challenge.as_deref(),
            CustomAuthSlot::VerifyAuthChallengeResponse => {
                chained.verify_auth_challenge_response.as_deref()
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            CustomAuthSlot::DefineAuthChallenge => "DefineAuthChallenge",
            CustomAuthSlot::CreateAuthChallenge => "CreateAuthChallenge",
            CustomAuthSlot::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
        }
    }
}

struct CachedRead {
    read_at_millis: i64,
    chained: Arc<ChainedTriggers>,
}

/// The pool's own functions of one pool, read from its attachment record.
pub struct PoolTriggerChain {
    user_pool_id: String,
    attachments: Arc<dyn PoolAttachmentStore>,
    invoker: Arc<dyn TriggerInvoker>,
    clock: Arc<dyn Clock>,
    cached: Mutex<Option<CachedRead>>,
}

/// What the record chains, without actas's own functions: passing an event to itself would
/// loop until Cognito's time runs out. (Attaching never records them; an edited record might.)
fn chained_without_actas(record: PoolAttachment) -> ChainedTriggers {
    let PoolAttachment { actas, chained, .. } = record;
    let ours = [
        actas.define_auth_challenge,
        actas.create_auth_challenge,
        actas.verify_auth_challenge_response,
        actas.pre_token_generation,
    ];
    let not_ours = |arn: &String| !ours.contains(arn);
    ChainedTriggers {
        define_auth_challenge: chained.define_auth_challenge.filter(not_ours),
        create_auth_challenge: chained.create_auth_challenge.filter(not_ours),
        verify_auth_challenge_response: chained.verify_auth_challenge_response.filter(not_ours),
        pre_token_generation: chained
            .pre_token_generation
            .filter(|t| not_ours(&t.lambda_arn)),
    }
}

impl PoolTriggerChain {
    pub fn new(
        user_pool_id: impl Into<String>,
        attachments: Arc<dyn PoolAttachmentStore>,
        invoker: Arc<dyn TriggerInvoker>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PoolTriggerChain {
            user_pool_id: user_pool_id.into(),
            attachments,
            invoker,
            clock,
            cached: Mutex::new(None),
        }
    }

    /// The chained functions, from a read less than a minute old or a fresh one.
    async fn chained(&self) -> Result<Arc<ChainedTriggers>> {
        let now = self.clock.now_millis();
        // A poisoned lock only loses the cache: the record is read again.
        if let Ok(cached) = self.cached.lock() {
            if let Some(read) = cached.as_ref() {
                let age = now - read.read_at_millis;
                if (0..CHAIN_CACHE_MILLIS).contains(&age) {
                    return Ok(read.chained.clone());
                }
            }
        }
        let record = self
            .attachments
            .attachment(&self.user_pool_id)
            .await?
            .ok_or_else(|| {
                error!(
                    user_pool_id = %self.user_pool_id,
                    "no attachment record for the pool actas joined: what its own triggers were \
                     is unknown, so their events are refused (attach the pool again)"
                );
                ActasError::Internal("no attachment record for the user pool".into())
            })?;
        let chained = Arc::new(chained_without_actas(record));
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some(CachedRead {
                read_at_millis: now,
                chained: chained.clone(),
            });
        }
        Ok(chained)
    }

    /// A custom-auth event that is not actas's, passed to the pool's function of its slot as it
    /// came: that function's answer, unchanged, or `None` when the slot held nothing before.
    pub async fn custom_auth(&self, slot: CustomAuthSlot, event: &Value) -> Result<Option<Value>> {
        let chained = self.chained().await?;
        let Some(function) = slot.function(&chained) else {
            return Ok(None);
        };
        debug!(
            slot = slot.name(),
            function, "custom auth passed to the pool's own function"
        );
        self.invoker.invoke(function, event).await.map(Some)
    }

    /// What the pool's pre-token function answers for this sign-in (a V1 function gets a V1
    /// event, and its answer is read as the V2 answer that means the same), or `None` when the
    /// pool had none.
    pub async fn pre_token_generation(&self, event: &Value) -> Result<Option<OverrideDetails>> {
        let chained = self.chained().await?;
        let Some(function) = chained.pre_token_generation.as_ref() else {
            return Ok(None);
        };
        debug!(
            function = %function.lambda_arn,
            version = %function.lambda_version,
            "pre-token generation passed to the pool's own function"
        );
        if function.lambda_version == "V1_0" {
            let answer = self
                .invoker
                .invoke(&function.lambda_arn, &v1_event(event))
                .await?;
            OverrideDetails::from_v1_answer(&answer).map(Some)
        } else {
            let answer = self.invoker.invoke(&function.lambda_arn, event).await?;
            OverrideDetails::from_v2_answer(&answer).map(Some)
        }
    }
}

/// A custom-auth event that is not actas's, for the pool's own function of its slot: its answer,
/// or `None` when there is none (a pool actas created, or a slot that held nothing), and the
/// event is refused as actas always refused other clients.
pub(crate) async fn pass_on(
    chain: Option<&PoolTriggerChain>,
    slot: CustomAuthSlot,
    event: &Value,
) -> Result<Option<Value>> {
    match chain {
        Some(chain) => chain.custom_auth(slot, event).await,
        None => Ok(None),
    }
}
