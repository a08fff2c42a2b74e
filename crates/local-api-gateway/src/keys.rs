//! The issuers' signing keys: fetched through OpenID discovery, cached like API Gateway caches
//! them, and fetched again with care for the issuer:
//!
//! - one fetch at a time per issuer; a request that finds a fetch under way with usable keys
//!   does not wait for it;
//! - a token naming an unknown `kid` refetches at most once per cooldown, and a failed fetch is
//!   remembered for that cooldown too, so an outage costs one timeout per cooldown, not one per
//!   request;
//! - through an outage the last keys keep serving for a bounded staleness, then it fails closed;
//! - a refetch keeps the very same key objects for keys that did not change, so tokens verified
//!   with them stay remembered ([`crate::verify`]).

use std::{
    collections::HashMap,
    future::Future,
    path::Path,
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::Duration,
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse},
};
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;
// tokio's clock, so tests can run the cache's TTL, staleness and cooldown on a paused clock.
use tokio::time::Instant;

/// How long fetched keys are used before they are fetched again (API Gateway: up to 1-2 h).
pub const KEY_TTL: Duration = Duration::from_secs(3600);
/// How long past [`KEY_TTL`] the last keys still serve while the issuer cannot be reached.
pub const MAX_STALENESS: Duration = Duration::from_secs(3600);
/// At most one fetch per issuer this often after a fetch for an unknown `kid` or a failed one.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(10);
/// Discovery documents and key sets larger than this are refused (Cognito's are ~1 KB).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// One RSA verification key.
pub struct VerificationKey {
    pub key: DecodingKey,
    /// The JWK's `alg`, when it names one: the token must then use exactly that algorithm.
    pub algorithm: Option<Algorithm>,
    /// The JWK it came from, to tell an unchanged key from a rotated one on refetch.
    jwk: Jwk,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url}: not a valid document: {reason}")]
    Invalid { url: String, reason: String },
    #[error("{url}: larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge { url: String },
    #[error(
        "{0}: plain http is only used with an http:// --jwks-origin (a local emulator); issuers need https"
    )]
    InsecureUrl(String),
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("key id `{0}` is not in the issuer's key set")]
    UnknownKid(String),
    #[error("the issuer's keys could not be fetched: {0}")]
    Unavailable(FetchError),
}

/// Where an issuer's key set comes from.
pub trait FetchJwks: Send + Sync + 'static {
    fn fetch(&self, issuer: &str) -> impl Future<Output = Result<JwkSet, FetchError>> + Send;
}

/// How the cache treats time; [`KeyCacheSettings::default`] is API Gateway's behaviour.
#[derive(Debug, Clone, Copy)]
pub struct KeyCacheSettings {
    pub ttl: Duration,
    pub max_staleness: Duration,
    pub cooldown: Duration,
}

impl Default for KeyCacheSettings {
    fn default() -> Self {
        Self {
            ttl: KEY_TTL,
            max_staleness: MAX_STALENESS,
            cooldown: REFETCH_COOLDOWN,
        }
    }
}

#[derive(Default)]
struct IssuerState {
    keys: HashMap<String, Arc<VerificationKey>>,
    /// The last successful fetch.
    fetched_at: Option<Instant>,
    /// The last fetch, successful or not.
    attempted_at: Option<Instant>,
    last_error: Option<FetchError>,
}

/// What the cache can say about a key without fetching.
enum Lookup {
    Fresh(Arc<VerificationKey>),
    /// Past the TTL but within the staleness bound.
    Stale(Arc<VerificationKey>),
    /// The key set is fresh and does not have this `kid`.
    NotInSet,
    /// No usable key set at all (never fetched, or past the staleness bound).
    NoKeys,
}

/// Keys per issuer, shared by every authorizer of every API.
pub struct KeyCache<F> {
    fetcher: F,
    settings: KeyCacheSettings,
    issuers: RwLock<HashMap<String, IssuerState>>,
    /// One fetch at a time per issuer. Issuers are the template's (an allow-list), so this
    /// never grows with what clients send.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    fetches: std::sync::atomic::AtomicU64,
}

impl<F: FetchJwks> KeyCache<F> {
    pub fn new(fetcher: F) -> Self {
        Self::with_settings(fetcher, KeyCacheSettings::default())
    }

    pub fn with_settings(fetcher: F, settings: KeyCacheSettings) -> Self {
        Self {
            fetcher,
            settings,
            issuers: RwLock::new(HashMap::new()),
            fetching: Mutex::new(HashMap::new()),
            fetches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many fetches were attempted, successful or not.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The key `kid` of `issuer`, fetching the issuer's keys when they are missing, expired or
    /// lack `kid` (each at most as often as the cooldown allows). Fails closed.
    pub async fn key(&self, issuer: &str, kid: &str) -> Result<Arc<VerificationKey>, KeyError> {
        let lock = match self.lookup(issuer, kid) {
            Lookup::Fresh(key) => return Ok(key),
            Lookup::Stale(key) => {
                if !self.may_fetch(issuer) {
                    return Ok(key);
                }
                // Someone else is refreshing: serve the stale key rather than queue.
                let lock = self.fetch_lock(issuer);
                let Ok(_guard) = lock.try_lock() else {
                    return Ok(key);
                };
                return match self.fetch(issuer).await {
                    // Rotated out: the refreshed set is the truth.
                    Ok(keys) => keys
                        .get(kid)
                        .cloned()
                        .ok_or_else(|| KeyError::UnknownKid(kid.to_owned())),
                    // Through an outage, within the staleness bound.
                    Err(_) => Ok(key),
                };
            }
            Lookup::NotInSet | Lookup::NoKeys => self.fetch_lock(issuer),
        };
        let _guard = match lock.try_lock() {
            Ok(guard) => guard,
            // A fetch is under way. If the issuer's last fetch failed, this one likely will too:
            // fail now rather than queue behind its timeout. Otherwise (a cold cache) wait for it.
            Err(_) if self.last_fetch_failed(issuer) => {
                return Err(self.refusal_without_fetch(issuer, kid));
            }
            Err(_) => lock.lock().await,
        };
        // While this request waited, another may have fetched, or failed to; and within the
        // cooldown nobody fetches.
        match self.lookup(issuer, kid) {
            Lookup::Fresh(key) | Lookup::Stale(key) => return Ok(key),
            Lookup::NotInSet | Lookup::NoKeys if !self.may_fetch(issuer) => {
                return Err(self.refusal_without_fetch(issuer, kid));
            }
            Lookup::NotInSet | Lookup::NoKeys => {}
        }
        let keys = self.fetch(issuer).await.map_err(KeyError::Unavailable)?;
        keys.get(kid)
            .cloned()
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))
    }

    fn lookup(&self, issuer: &str, kid: &str) -> Lookup {
        let issuers = self.issuers.read().unwrap_or_else(PoisonError::into_inner);
        let Some(state) = issuers.get(issuer) else {
            return Lookup::NoKeys;
        };
        let Some(age) = state.fetched_at.map(|at| at.elapsed()) else {
            return Lookup::NoKeys;
        };
        if age >= self.settings.ttl + self.settings.max_staleness {
            return Lookup::NoKeys;
        }
        match (state.keys.get(kid), age < self.settings.ttl) {
            (Some(key), true) => Lookup::Fresh(Arc::clone(key)),
            (Some(key), false) => Lookup::Stale(Arc::clone(key)),
            (None, true) => Lookup::NotInSet,
            // A stale set without the kid: worth a fetch, like no set at all.
            (None, false) => Lookup::NoKeys,
        }
    }

    /// No fetch for `issuer` within the cooldown.
    fn may_fetch(&self, issuer: &str) -> bool {
        let issuers = self.issuers.read().unwrap_or_else(PoisonError::into_inner);
        issuers
            .get(issuer)
            .and_then(|state| state.attempted_at)
            .is_none_or(|at| at.elapsed() >= self.settings.cooldown)
    }

    fn last_fetch_failed(&self, issuer: &str) -> bool {
        let issuers = self.issuers.read().unwrap_or_else(PoisonError::into_inner);
        issuers
            .get(issuer)
            .is_some_and(|state| state.last_error.is_some())
    }

    /// Why `kid` cannot be had right now, when fetching is not allowed.
    fn refusal_without_fetch(&self, issuer: &str, kid: &str) -> KeyError {
        let issuers = self.issuers.read().unwrap_or_else(PoisonError::into_inner);
        let state = issuers.get(issuer);
        let has_usable_keys = state
            .and_then(|s| s.fetched_at)
            .is_some_and(|at| at.elapsed() < self.settings.ttl + self.settings.max_staleness);
        match state.and_then(|s| s.last_error.clone()) {
            Some(error) if !has_usable_keys => KeyError::Unavailable(error),
            _ => KeyError::UnknownKid(kid.to_owned()),
        }
    }

    fn fetch_lock(&self, issuer: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.fetching.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(issuer.to_owned()).or_default())
    }

    /// Fetches the issuer's keys and records the outcome; the caller holds the issuer's lock.
    async fn fetch(
        &self,
        issuer: &str,
    ) -> Result<HashMap<String, Arc<VerificationKey>>, FetchError> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = self.fetcher.fetch(issuer).await;
        let mut issuers = self.issuers.write().unwrap_or_else(PoisonError::into_inner);
        let state = issuers.entry(issuer.to_owned()).or_default();
        let now = Instant::now();
        state.attempted_at = Some(now);
        match result {
            Ok(set) => {
                state.keys = usable_keys(&set, &state.keys);
                state.fetched_at = Some(now);
                state.last_error = None;
                Ok(state.keys.clone())
            }
            Err(error) => {
                tracing::warn!(issuer, error = %error, "signing keys could not be fetched");
                state.last_error = Some(error.clone());
                Err(error)
            }
        }
    }
}

/// The RSA signing keys of a key set, by `kid`, reusing the key objects of `previous` whose JWK
/// did not change. Other keys (EC, encryption keys, keys without a `kid`) can never verify a
/// token API Gateway accepts, so they are left out.
fn usable_keys(
    set: &JwkSet,
    previous: &HashMap<String, Arc<VerificationKey>>,
) -> HashMap<String, Arc<VerificationKey>> {
    set.keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            if let Some(same) = previous.get(&kid).filter(|key| key.jwk == *jwk) {
                return Some((kid, Arc::clone(same)));
            }
            let key = DecodingKey::from_jwk(jwk).ok()?;
            let algorithm = jwk.common.key_algorithm.and_then(rsa_algorithm);
            Some((
                kid,
                Arc::new(VerificationKey {
                    key,
                    algorithm,
                    jwk: jwk.clone(),
                }),
            ))
        })
        .collect()
}

fn rsa_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        _ => return None,
    })
}

/// Fetches `{issuer}/.well-known/openid-configuration`, then its `jwks_uri`, over HTTPS with the
/// Mozilla root certificates (plus `--jwks-ca-file`), or over plain HTTP from a local emulator.
///
/// Emulators such as moto issue tokens whose `iss` is the real AWS URL, which is not reachable
/// offline; `origin` replaces the issuer's scheme and host (the path is kept) so discovery goes to
/// the emulator while the issuer string is still checked exactly.
#[derive(Clone)]
pub struct HttpJwksFetcher {
    client: reqwest::Client,
    origin: Option<String>,
    allow_http: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the CA certificate file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl HttpJwksFetcher {
    /// `extra_ca`: a PEM file of further root certificates to trust (a private CA, a test CA).
    pub fn new(
        origin: Option<String>,
        timeout: Duration,
        extra_ca: Option<&Path>,
    ) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls_config(extra_ca)?)
            .build()?;
        let origin = origin.map(|o| o.trim_end_matches('/').to_owned());
        Ok(Self {
            client,
            allow_http: origin.as_deref().is_some_and(|o| o.starts_with("http://")),
            origin,
        })
    }

    /// The discovery document's URL for `issuer`.
    pub fn discovery_url(&self, issuer: &str) -> String {
        let base = match &self.origin {
            Some(origin) => {
                let after_scheme = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
                let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
                format!("{origin}{path}")
            }
            None => issuer.to_owned(),
        };
        format!(
            "{}/.well-known/openid-configuration",
            base.trim_end_matches('/')
        )
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, FetchError> {
        let allowed =
            url.starts_with("https://") || (self.allow_http && url.starts_with("http://"));
        if !allowed {
            return Err(FetchError::InsecureUrl(url.to_owned()));
        }
        let http = |reason: String| FetchError::Http {
            url: url.to_owned(),
            reason,
        };
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| http(error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(http(format!("status {}", response.status())));
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
        };
        if response
            .content_length()
            .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(too_large());
        }
        let body = crate::wire::read_capped(&mut response, MAX_DOCUMENT_BYTES)
            .await
            .map_err(|e| http(error_chain(&e)))?
            .ok_or_else(too_large)?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Invalid {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }
}

/// rustls with ring and the Mozilla roots (webpki-roots): the same trust on every machine, no
/// dependence on what the system store holds. Certificates are always verified.
pub(crate) fn tls_config(extra_ca: Option<&Path>) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_ca {
        let ca_error = |reason: String| ClientError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs = <rustls_pki_types::CertificateDer as PemObject>::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// reqwest's top-level message ("error sending request") hides the cause (a refused connection,
/// an unknown certificate issuer): show the whole chain.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl FetchJwks for HttpJwksFetcher {
    async fn fetch(&self, issuer: &str) -> Result<JwkSet, FetchError> {
        let discovery: Discovery = self.get_json(&self.discovery_url(issuer)).await?;
        self.get_json(&discovery.jwks_uri).await
    }
}
