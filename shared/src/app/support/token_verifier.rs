//! Verification of the Cognito tokens callers present: the kit's verifier (`actas-verify`, the
//! one services behind actas use too), with the pool's JWKS from a [`JwksSource`] (over the SDK's
//! connector in the functions). RS256 only; keys cached, an unknown `kid` costs at most one
//! refetch per interval, failed fetches back off. This adapter turns the kit's claims into a
//! [`VerifiedToken`] and its refusals into [`ActasError`]s.

use crate::domain::error::{ActasError, Result};
use crate::domain::token::VerifiedToken;
use crate::ports::jwks::JwksSource;
use actas_verify::{Verifier, VerifierConfig, VerifyError};
use std::sync::Arc;

pub struct JwtVerifier {
    inner: Verifier,
}

/// A refusal of the kit's as actas reports it: 401 for a bad token, 502 when the keys could
/// not be had.
fn refusal(err: VerifyError) -> ActasError {
    match err {
        VerifyError::Unauthorized(message) => ActasError::Unauthorized(message),
        VerifyError::Upstream { context, detail } => ActasError::upstream(context, detail),
        other => ActasError::Internal(other.to_string()),
    }
}

impl JwtVerifier {
    /// Tokens of `issuer` issued to one of `accepted_clients`, signed with a key of `source`.
    pub fn new(
        source: Arc<dyn JwksSource>,
        issuer: impl Into<String>,
        accepted_clients: Vec<String>,
    ) -> Result<Self> {
        // The keys come from `source`; the URL is not used.
        let config = VerifierConfig::new(issuer, "", accepted_clients);
        let inner = Verifier::with_key_source(config, source)
            .map_err(|e| ActasError::Internal(e.to_string()))?;
        Ok(JwtVerifier { inner })
    }

    /// Verifies the value of an `Authorization` header (`Bearer <jwt>` or the bare JWT).
    pub async fn verify_header(&self, header: Option<&str>) -> Result<VerifiedToken> {
        self.verify(actas_verify::bearer_token(header).map_err(refusal)?)
            .await
    }

    pub async fn verify(&self, token: &str) -> Result<VerifiedToken> {
        let claims = self.inner.verify_claims(token).await.map_err(refusal)?;
        let missing = || ActasError::Internal("verified claims without a subject".into());
        let sub = claims.sub.clone().ok_or_else(missing)?;
        Ok(VerifiedToken {
            username: claims
                .user_name()
                .map_or_else(|| sub.clone(), str::to_string),
            token_use: claims.kind().ok_or_else(missing)?,
            client_id: claims.client().ok_or_else(missing)?.to_string(),
            expires_at: claims.exp.ok_or_else(missing)?,
            sub,
            act: claims.act,
            impersonation_id: claims.impersonation_id,
            tenant: claims.tenant.filter(|t| !t.is_empty()),
            auth_time: claims.auth_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::TokenUse;
    use crate::testkit::{
        access_token_claims, id_token_claims, StaticJwks, TestSigner, ISSUER, SIGN_IN_CLIENT,
    };
    use serde_json::json;

    fn verifier_over(source: Arc<dyn JwksSource>) -> JwtVerifier {
        JwtVerifier::new(source, ISSUER, vec![SIGN_IN_CLIENT.to_string()]).unwrap()
    }

    #[tokio::test]
    async fn a_verified_token_carries_what_the_routes_read() {
        let signer = TestSigner::generate("k1");
        let verifier = verifier_over(Arc::new(StaticJwks::new(signer.jwks())));
        let mut claims = id_token_claims("target", "bob");
        claims["act"] = json!({"sub": "actor", "username": "alice", "extra": 1});
        claims["impersonation_id"] = json!("imp-1");
        claims["custom:tenant_id"] = json!("acme");
        claims["auth_time"] = json!(1_700_000_000);
        let token = signer.sign(&claims);
        let verified = verifier
            .verify_header(Some(&format!("Bearer {token}")))
            .await
            .unwrap();
        assert_eq!(
            (verified.sub.as_str(), verified.username.as_str()),
            ("target", "bob")
        );
        assert_eq!(
            (verified.token_use, verified.client_id.as_str()),
            (TokenUse::Id, SIGN_IN_CLIENT)
        );
        assert_eq!(verified.expires_at, claims["exp"].as_i64().unwrap());
        assert_eq!(
            verified.act,
            Some(claims["act"].clone()),
            "the claim as the token has it"
        );
        assert_eq!(verified.impersonation_id.as_deref(), Some("imp-1"));
        assert_eq!(verified.tenant.as_deref(), Some("acme"));
        assert_eq!(verified.auth_time, Some(1_700_000_000));
        assert!(verified.is_impersonated());

        let mut access = access_token_claims("sub-1", "alice");
        access["custom:tenant_id"] = json!("");
        let verified = verifier.verify(&signer.sign(&access)).await.unwrap();
        assert_eq!(
            (verified.token_use, verified.username.as_str()),
            (TokenUse::Access, "alice")
        );
        assert!(!verified.is_impersonated());
        assert_eq!((verified.tenant, verified.act), (None, None));
    }

    #[tokio::test]
    async fn refusals_are_401s_and_a_dead_jwks_a_502() {
        let signer = TestSigner::generate("k1");
        let verifier = verifier_over(Arc::new(StaticJwks::new(signer.jwks())));
        let mut expired = id_token_claims("s", "u");
        expired["exp"] = json!(1_000);
        for (header, message) in [
            (None, "missing Authorization header".to_string()),
            (
                Some("Basic abc".to_string()),
                "invalid token: expected a Bearer token".into(),
            ),
            (Some(signer.sign(&expired)), "invalid token: expired".into()),
            (Some("a.b.c".to_string()), "invalid token: malformed".into()),
        ] {
            let err = verifier.verify_header(header.as_deref()).await.unwrap_err();
            assert_eq!((err.status(), err.to_string()), (401, message));
        }

        let down = verifier_over(Arc::new(StaticJwks::new(Default::default())));
        let err = down
            .verify(&signer.sign(&id_token_claims("s", "u")))
            .await
            .unwrap_err();
        assert_eq!(
            (err.status(), err.to_string().as_str()),
            (401, "invalid token: unknown key")
        );
        assert!(
            JwtVerifier::new(Arc::new(StaticJwks::new(signer.jwks())), ISSUER, vec![]).is_err()
        );
    }

    /// A JWKS endpoint that is down.
    struct DownJwks;

    #[async_trait::async_trait]
    impl JwksSource for DownJwks {
        async fn fetch(&self) -> std::result::Result<crate::ports::jwks::Jwks, VerifyError> {
            Err(VerifyError::Upstream {
                context: "fetching the JWKS",
                detail: "HTTP 503".into(),
            })
        }
    }

    #[tokio::test]
    async fn a_jwks_that_cannot_be_had_is_an_upstream_failure() {
        let signer = TestSigner::generate("k1");
        let verifier = verifier_over(Arc::new(DownJwks));
        for _ in 0..2 {
            let err = verifier
                .verify(&signer.sign(&id_token_claims("s", "u")))
                .await
                .unwrap_err();
            assert!(matches!(err, ActasError::Upstream(_)), "{err}");
            assert_eq!(err.status(), 502);
        }
    }
}
