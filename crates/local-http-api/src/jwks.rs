//! The issuers' signing keys: fetched through OpenID discovery, cached like API Gateway caches
//! them, refetched once when a token names a key id the cache does not have.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse},
};
use serde::Deserialize;

/// How long fetched keys are trusted before they are fetched again (API Gateway: up to 1-2 h).
pub const KEY_TTL: Duration = Duration::from_secs(3600);
/// A token with an unknown key id triggers a refetch at most this often (by default), so a flood
/// of forged key ids cannot turn into a flood of requests to the issuer.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(10);

/// One RSA verification key.
#[derive(Clone)]
pub struct VerificationKey {
    pub key: DecodingKey,
    /// The JWK's `alg`, when it names one: the token must then use exactly that algorithm.
    pub algorithm: Option<Algorithm>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url}: not a valid document: {reason}")]
    Invalid { url: String, reason: String },
    #[error(
        "only http:// discovery is supported locally, got {0}; point --jwks-origin at the emulator"
    )]
    UnsupportedScheme(String),
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

/// Fetches `{issuer}/.well-known/openid-configuration`, then its `jwks_uri`, over HTTP.
///
/// Emulators such as moto issue tokens whose `iss` is the real AWS URL, which is not reachable
/// offline; `origin` replaces the issuer's scheme and host (the path is kept) so discovery goes to
/// the emulator while the issuer string is still checked exactly.
#[derive(Clone)]
pub struct HttpJwksFetcher {
    client: reqwest::Client,
    origin: Option<String>,
}

impl HttpJwksFetcher {
    pub fn new(origin: Option<String>, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()?;
        Ok(Self {
            client,
            origin: origin.map(|o| o.trim_end_matches('/').to_owned()),
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
        if !url.starts_with("http://") {
            return Err(FetchError::UnsupportedScheme(url.to_owned()));
        }
        let http = |reason: String| FetchError::Http {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| http(error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(http(format!("status {}", response.status())));
        }
        let body = response.bytes().await.map_err(|e| http(error_chain(&e)))?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Invalid {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }
}

/// reqwest's top-level message ("error sending request") hides the cause; show the whole chain.
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

struct IssuerKeys {
    keys: HashMap<String, Arc<VerificationKey>>,
    fetched_at: Instant,
}

/// Keys per issuer, shared by every authorizer of the API.
pub struct KeyCache<F> {
    fetcher: F,
    refetch_cooldown: Duration,
    entries: RwLock<HashMap<String, IssuerKeys>>,
    /// One fetch at a time: concurrent requests with a cold cache wait for the same fetch.
    fetching: tokio::sync::Mutex<()>,
}

impl<F: FetchJwks> KeyCache<F> {
    pub fn new(fetcher: F) -> Self {
        Self {
            fetcher,
            refetch_cooldown: REFETCH_COOLDOWN,
            entries: RwLock::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// Sets how soon an unknown key id may trigger another fetch.
    pub fn with_refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// The key `kid` of `issuer`. Fails closed: no key set, no key.
    pub async fn key(&self, issuer: &str, kid: &str) -> Result<Arc<VerificationKey>, KeyError> {
        if let Lookup::Found(key) = self.lookup(issuer, kid) {
            return Ok(key);
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have refreshed the keys while this one waited.
        match self.lookup(issuer, kid) {
            Lookup::Found(key) => return Ok(key),
            Lookup::Missing { fetched_ago } if fetched_ago < self.refetch_cooldown => {
                return Err(KeyError::UnknownKid(kid.to_owned()));
            }
            Lookup::Missing { .. } | Lookup::Stale | Lookup::Absent => {}
        }
        let set = self
            .fetcher
            .fetch(issuer)
            .await
            .map_err(KeyError::Unavailable)?;
        let keys = usable_keys(&set);
        let found = keys.get(kid).cloned();
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                issuer.to_owned(),
                IssuerKeys {
                    keys,
                    fetched_at: Instant::now(),
                },
            );
        found.ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))
    }

    /// The key `kid` of `issuer` if the cache holds it and it is fresh; never fetches.
    pub fn cached_key(&self, issuer: &str, kid: &str) -> Option<Arc<VerificationKey>> {
        match self.lookup(issuer, kid) {
            Lookup::Found(key) => Some(key),
            _ => None,
        }
    }

    fn lookup(&self, issuer: &str, kid: &str) -> Lookup {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get(issuer) else {
            return Lookup::Absent;
        };
        let age = entry.fetched_at.elapsed();
        if age >= KEY_TTL {
            return Lookup::Stale;
        }
        match entry.keys.get(kid) {
            Some(key) => Lookup::Found(Arc::clone(key)),
            None => Lookup::Missing { fetched_ago: age },
        }
    }
}

enum Lookup {
    Found(Arc<VerificationKey>),
    Missing { fetched_ago: Duration },
    Stale,
    Absent,
}

/// The RSA signing keys of a key set, by `kid`. Other keys (EC, encryption keys, keys without a
/// `kid`) can never verify a token API Gateway accepts, so they are left out.
fn usable_keys(set: &JwkSet) -> HashMap<String, Arc<VerificationKey>> {
    set.keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(jwk).ok()?;
            let algorithm = jwk.common.key_algorithm.and_then(rsa_algorithm);
            Some((kid, Arc::new(VerificationKey { key, algorithm })))
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
