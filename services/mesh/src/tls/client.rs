//! Calling another workload over mutual TLS: a tonic channel whose
//! connections are made by rustls with the caller's current certificate and
//! a verifier that expects one identity at the other end.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::ServerName;
use rustls::version::TLS13;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

use super::{TlsError, provider};

/// TLS 1.3, HTTP/2, the server checked by `verifier`, and `certificates`
/// presented when the server asks (none before enrollment).
pub fn client_config(
    verifier: Arc<dyn ServerCertVerifier>,
    certificates: Option<Arc<dyn ResolvesClientCert>>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match certificates {
        Some(certificates) => builder.with_client_cert_resolver(certificates),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// A channel to `address` (`https://host:port`) over TLS with `config`. It
/// connects on first use and reconnects after a connection is lost, each
/// time with the certificate current at that moment.
pub fn channel(address: &str, config: Arc<ClientConfig>) -> Result<Channel, TlsError> {
    let uri: Uri = address
        .parse()
        .map_err(|e| TlsError::Address(format!("`{address}`: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return Err(TlsError::Address(format!(
            "`{address}` must start with https://: calls between workloads are always TLS"
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| TlsError::Address(format!("`{address}` names no host")))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    // The TLS is ours, so tonic sees a plain http:// endpoint.
    let endpoint = Endpoint::from_shared(format!("http://{host}:{port}"))
        .map_err(|e| TlsError::Address(format!("`{address}`: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(16 << 20));
    let connector = TlsConnector::from(config);
    let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| TlsError::Address(format!("`{address}`: {e}")))?;
    Ok(
        endpoint.connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let server_name = server_name.clone();
            let target = format!("{host}:{port}");
            async move {
                let tcp = TcpStream::connect(target).await?;
                tcp.set_nodelay(true)?;
                let tls = connector.connect(server_name, tcp).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        })),
    )
}
