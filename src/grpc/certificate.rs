//! `provenance.v1.CertificateService`.

use tonic::{Request, Response, Status};

use super::convert::time_to_proto;
use crate::proto::v1 as pb;
use crate::registry::Registry;
use crate::signing_keys::KeyEntry;

/// Handlers of the certificate service.
pub struct CertificateHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

fn signing_key_to_proto(key: &KeyEntry) -> pb::SigningKey {
    pb::SigningKey {
        kid: key.kid.clone(),
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: key.x(),
        r#use: "sig".into(),
        alg: "EdDSA".into(),
        status: if key.is_active() {
            pb::SigningKeyStatus::Active
        } else {
            pb::SigningKeyStatus::Retired
        } as i32,
        valid_from: Some(time_to_proto(key.created)),
        valid_until: key.retired.map(time_to_proto),
    }
}

#[tonic::async_trait]
impl pb::certificate_service_server::CertificateService for CertificateHandlers {
    /// Public: verifiers fetch keys without an account, so no token is asked for.
    #[tracing::instrument(skip_all)]
    async fn list_signing_keys(
        &self,
        _request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        let ring = self.registry.signing_keys();
        Ok(Response::new(pb::ListSigningKeysResponse {
            keys: ring.keys().iter().rev().map(signing_key_to_proto).collect(),
            jwks_json: ring.jwks().to_string(),
        }))
    }
}
