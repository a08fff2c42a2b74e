//! RSA keys generated at test time (no private key is committed) and tokens signed with them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::JwkSet};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde_json::{Value, json};

/// The test identities, for the tests and the benchmark: one user pool, its issuer, one app
/// client.
pub const POOL: &str = "us-east-1_TEST";
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST";
pub const CLIENT: &str = "client-1";

pub struct TestKey {
    pub kid: &'static str,
    pub private: RsaPrivateKey,
}

impl TestKey {
    fn generate(kid: &'static str) -> Self {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        Self { kid, private }
    }

    pub fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    pub fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.private.to_pkcs1_der().unwrap().as_bytes())
    }

    /// An RS256 token with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, Some(self.kid))
    }

    pub fn sign_with_kid(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).unwrap()
    }

    /// An RS256 token over a header and payload given as raw JSON text (which may say what a
    /// `serde_json::Value` cannot, such as a key twice).
    pub fn sign_raw(&self, header: &str, payload: &str) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding_key(), Algorithm::RS256)
                .unwrap();
        format!("{message}.{signature}")
    }

    /// The public key as the bytes an HS256 "key confusion" attack would use as the secret.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPublicKey;
        self.private
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }
}

/// The issuer's key (`kid` "key-1").
pub fn issuer_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("key-1"))
}

/// A key of some other issuer (`kid` "other-1").
pub fn other_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("other-1"))
}

pub fn jwks(keys: &[&TestKey]) -> JwkSet {
    serde_json::from_value(json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()}))
        .unwrap()
}

/// A JWT with any header and payload, and a made-up signature.
pub fn unsigned_token(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(b"not-a-signature")
    )
}

/// A key set served from memory, counting fetches; `None` answers like an unreachable issuer.
/// `delay` makes every fetch really wait (a slow issuer) before it answers.
pub struct MemoryJwks {
    pub set: std::sync::Mutex<Option<JwkSet>>,
    pub fetches: std::sync::atomic::AtomicUsize,
    pub delay: std::time::Duration,
}

impl MemoryJwks {
    pub fn new(set: Option<JwkSet>) -> std::sync::Arc<Self> {
        Self::slow(set, std::time::Duration::ZERO)
    }

    pub fn slow(set: Option<JwkSet>, delay: std::time::Duration) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            set: std::sync::Mutex::new(set),
            fetches: std::sync::atomic::AtomicUsize::new(0),
            delay,
        })
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn serve(&self, set: Option<JwkSet>) {
        *self.set.lock().unwrap() = set;
    }
}

/// The fetcher side of a [`MemoryJwks`], shared with the test that changes what it serves.
#[derive(Clone)]
pub struct Shared(pub std::sync::Arc<MemoryJwks>);

impl local_api_gateway::keys::FetchJwks for Shared {
    async fn fetch(&self, _issuer: &str) -> Result<JwkSet, local_api_gateway::keys::FetchError> {
        self.0
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if !self.0.delay.is_zero() {
            tokio::time::sleep(self.0.delay).await;
        }
        self.0.set.lock().unwrap().clone().ok_or_else(|| {
            local_api_gateway::keys::FetchError::Http {
                url: "memory".into(),
                reason: "connection refused".into(),
            }
        })
    }
}

/// Unix time now, in seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
