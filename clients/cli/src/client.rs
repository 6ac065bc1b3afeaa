//! The connection to the registry, with the bearer token attached to every call.

use std::time::Duration;

use provenance_api::v1 as pb;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use crate::config::Settings;
use crate::error::CliError;

/// How long to wait for the TCP connection before telling the user the server is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel whose calls carry `authorization: Bearer <token>`.
pub type AuthChannel = InterceptedService<Channel, BearerAuth>;

/// Adds the `authorization` entry to every outgoing call, when there is a token to send.
#[derive(Clone)]
pub struct BearerAuth {
    header: Option<MetadataValue<Ascii>>,
}

impl BearerAuth {
    /// The interceptor for `token`, refused before any call if it cannot be sent.
    pub fn new(token: &str) -> Result<Self, CliError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(CliError::NoToken);
        }
        let mut header: MetadataValue<Ascii> = format!("Bearer {token}")
            .parse()
            .map_err(|_| CliError::MalformedToken)?;
        // Keeps the value out of the `Debug` output of requests and out of HPACK's index.
        header.set_sensitive(true);
        Ok(Self {
            header: Some(header),
        })
    }

    /// Sends no `authorization` entry: for the calls anyone may make (verifying a certificate,
    /// reading the signing keys).
    pub fn none() -> Self {
        Self { header: None }
    }
}

impl Interceptor for BearerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        Ok(request)
    }
}

/// An open connection to the registry, handing out one client per service.
pub struct Connection {
    channel: AuthChannel,
    url: String,
}

impl Connection {
    /// Checks the token, then connects, so that a missing token is reported without a network
    /// round trip and an unreachable server is reported as such rather than as a failed call.
    pub async fn open(global: &Settings) -> Result<Self, CliError> {
        match (&global.token, &global.client_cert) {
            (Some(token), _) => Self::connect(global, BearerAuth::new(token.expose())?).await,
            // Over mutual TLS, a client certificate the registry maps to an organisation.
            (None, Some(_)) => Self::connect(global, BearerAuth::none()).await,
            (None, None) => Err(CliError::NoToken),
        }
    }

    /// Connects for the calls that need no token (`VerifyCertificate`, `ListSigningKeys`, the
    /// transparency log's): the token is sent if one is given, and its absence is no error.
    pub async fn open_public(global: &Settings) -> Result<Self, CliError> {
        let auth = match &global.token {
            Some(token) if !token.expose().trim().is_empty() => BearerAuth::new(token.expose())?,
            _ => BearerAuth::none(),
        };
        Self::connect(global, auth).await
    }

    /// Connects for a call that needs no token and gets none (the health check).
    pub async fn open_anonymous(global: &Settings) -> Result<Self, CliError> {
        Self::connect(global, BearerAuth::none()).await
    }

    async fn connect(global: &Settings, auth: BearerAuth) -> Result<Self, CliError> {
        let connect_error = |reason: String| CliError::Connect {
            url: global.url.clone(),
            reason,
        };
        let mut endpoint = Endpoint::from_shared(global.url.clone())
            .map_err(|e| connect_error(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT);
        let tls = global.url.starts_with("https://");
        if tls {
            endpoint = endpoint
                .tls_config(tls_config(global)?)
                .map_err(|e| connect_error(error_chain(&e)))?;
        } else if global.ca_file.is_some() || global.client_cert.is_some() {
            return Err(CliError::Input(
                "--ca-file and --client-cert are for https:// URLs".into(),
            ));
        }
        let channel = endpoint.connect().await.map_err(|e| {
            let chain = error_chain(&e);
            if tls && chain.contains("certificate") {
                connect_error(format!(
                    "{chain}; the registry's TLS certificate was not accepted: give the CA that \
                     signed it with --ca-file (PROVENANCE_CA_FILE) and check the URL's host name"
                ))
            } else {
                connect_error(chain)
            }
        })?;
        Ok(Self {
            channel: InterceptedService::new(channel, auth),
            url: global.url.clone(),
        })
    }

    /// The error for a failed call, naming this connection's server where that helps.
    pub fn fail(&self, status: Status) -> CliError {
        CliError::Rpc {
            status,
            url: self.url.clone(),
        }
    }

    /// The server's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `grpc.health.v1.Health`.
    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<AuthChannel> {
        tonic_health::pb::health_client::HealthClient::new(self.channel.clone())
    }

    /// `DatasetService`.
    pub fn datasets(&self) -> pb::dataset_service_client::DatasetServiceClient<AuthChannel> {
        pb::dataset_service_client::DatasetServiceClient::new(self.channel.clone())
    }

    /// `LineageService`.
    pub fn lineage(&self) -> pb::lineage_service_client::LineageServiceClient<AuthChannel> {
        pb::lineage_service_client::LineageServiceClient::new(self.channel.clone())
    }

    /// `EventService`.
    pub fn events(&self) -> pb::event_service_client::EventServiceClient<AuthChannel> {
        pb::event_service_client::EventServiceClient::new(self.channel.clone())
    }

    /// `WebhookService`.
    pub fn webhooks(&self) -> pb::webhook_service_client::WebhookServiceClient<AuthChannel> {
        pb::webhook_service_client::WebhookServiceClient::new(self.channel.clone())
    }

    /// `OrganizationService`.
    pub fn organizations(
        &self,
    ) -> pb::organization_service_client::OrganizationServiceClient<AuthChannel> {
        pb::organization_service_client::OrganizationServiceClient::new(self.channel.clone())
    }

    /// `PolicyService`.
    pub fn policies(&self) -> pb::policy_service_client::PolicyServiceClient<AuthChannel> {
        pb::policy_service_client::PolicyServiceClient::new(self.channel.clone())
    }

    /// `AttestationService`.
    pub fn attestations(
        &self,
    ) -> pb::attestation_service_client::AttestationServiceClient<AuthChannel> {
        pb::attestation_service_client::AttestationServiceClient::new(self.channel.clone())
    }

    /// `CertificateService`.
    pub fn certificates(
        &self,
    ) -> pb::certificate_service_client::CertificateServiceClient<AuthChannel> {
        pb::certificate_service_client::CertificateServiceClient::new(self.channel.clone())
    }

    /// `TransparencyLogService`.
    pub fn log(
        &self,
    ) -> pb::transparency_log_service_client::TransparencyLogServiceClient<AuthChannel> {
        pb::transparency_log_service_client::TransparencyLogServiceClient::new(self.channel.clone())
    }
}

/// The error and its causes on one line: tonic's top-level transport error alone just says
/// "transport error", while the cause says "Connection refused".
/// Trust and identity for an https:// URL: the CA file if given, else the system's CAs; the
/// client certificate for mutual TLS if given.
fn tls_config(global: &Settings) -> Result<ClientTlsConfig, CliError> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path)
            .map_err(|e| CliError::Input(format!("cannot read the {what} {}: {e}", path.display())))
    };
    let mut config = ClientTlsConfig::new();
    config = match &global.ca_file {
        Some(path) => config.ca_certificate(Certificate::from_pem(read(path, "CA file")?)),
        None => config.with_native_roots(),
    };
    if let (Some(cert), Some(key)) = (&global.client_cert, &global.client_key) {
        config = config.identity(Identity::from_pem(
            read(cert, "client certificate")?,
            read(key, "client key")?,
        ));
    }
    Ok(config)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        // Wrappers often repeat their cause's words ("tcp connect error: tcp connect error").
        if parts.last() != Some(&part) {
            parts.push(part);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_added() {
        let mut auth = BearerAuth::new("abc.def").expect("a plain token is accepted");
        let request = auth
            .call(Request::new(()))
            .expect("the interceptor never fails");
        let value = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        assert_eq!(value, Some("Bearer abc.def"));
    }

    #[test]
    fn public_calls_carry_no_header() {
        let request = BearerAuth::none()
            .call(Request::new(()))
            .expect("the interceptor never fails");
        assert!(request.metadata().get("authorization").is_none());
    }

    #[test]
    fn empty_or_unsendable_tokens_are_refused() {
        assert!(matches!(BearerAuth::new("  "), Err(CliError::NoToken)));
        assert!(matches!(
            BearerAuth::new("bad\ntoken"),
            Err(CliError::MalformedToken)
        ));
    }
}
