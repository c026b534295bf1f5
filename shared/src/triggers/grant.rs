//! Redeeming a grant in the verify trigger: exactly once, by a conditional write.

use crate::domain::error::Result;
use crate::domain::secrets::{hash_secret, secret_matches};
use crate::ports::clock::Clock;
use crate::ports::grants::{ImpersonationStore, Redemption};

/// An answer to the custom challenge, and what it claims to redeem.
pub struct GrantAnswer<'a> {
    pub impersonation_id: &'a str,
    /// A refresh through actas: the answer redeems this remint of a live impersonation.
    pub remint_id: Option<&'a str>,
    pub username: &'a str,
    pub client_id: &'a str,
    pub answer: &'a str,
}

/// Redeems a one-time secret: an impersonation's first grant (pending → active), or a remint
/// of a live one. The constant-time comparison or the hash condition authenticates, the
/// conditional write makes it single use. Shared by the verify trigger and the memory adapter.
pub async fn redeem_grant(
    store: &dyn ImpersonationStore,
    clock: &dyn Clock,
    answer: &GrantAnswer<'_>,
) -> Result<bool> {
    let Some(grant) = store.get(answer.impersonation_id).await? else {
        return Ok(false);
    };
    let now_secs = clock.now_secs();
    if let Some(remint_id) = answer.remint_id {
        let fits = grant.kind == crate::domain::grant::GrantKind::Impersonation
            && grant.is_live(now_secs)
            && grant.target_username == answer.username
            && grant.client_id == answer.client_id;
        return Ok(fits
            && store
                .redeem_remint(
                    answer.impersonation_id,
                    remint_id,
                    &hash_secret(answer.answer),
                    now_secs,
                )
                .await?);
    }
    if !secret_matches(answer.answer, &grant.mint_secret_hash) {
        return Ok(false);
    }
    store
        .activate(&Redemption {
            id: answer.impersonation_id,
            target_username: answer.username,
            client_id: answer.client_id,
            mint_secret_hash: &grant.mint_secret_hash,
            now_secs,
        })
        .await
}
