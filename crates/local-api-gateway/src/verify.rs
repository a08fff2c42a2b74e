//! The verifier core both authorizer types share: identity value -> token -> RSA algorithm ->
//! `kid` -> an allowed issuer -> its key -> signature -> time claims. What differs between the
//! HTTP API JWT authorizer and the REST API Cognito authorizer is in [`crate::authorizer`].

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicU64, Ordering},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use lru::LruCache;
use serde::{
    Deserialize, Deserializer,
    de::{DeserializeSeed, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Map, Value};

use crate::keys::{FetchJwks, KeyCache, KeyError, VerificationKey};

/// API Gateway only accepts RSA-signed tokens.
const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Tokens longer than this are refused before any parsing. Cognito tokens are 1-2 KB; API Gateway
/// caps all request headers together at 10 KB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Memory for remembered tokens (token text + claims), by default.
pub const REMEMBERED_BYTES: usize = 4 * 1024 * 1024;

/// The verified claims of a token, shared rather than copied per request.
pub type Claims = Arc<Map<String, Value>>;

/// Why a token was refused. The authorizer decides what the client sees (401 or 403, headers);
/// the reason itself goes to the log and, for the HTTP API, to `www-authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("the token does not have a required scope")]
    Forbidden { required: Vec<String> },
}

/// The token of an identity value: `Bearer <jwt>` or a bare `<jwt>` (both authorizer types take
/// either). The scheme is matched case-insensitively, as HTTP auth schemes are (RFC 9110, 11.1).
pub fn bearer_token(identity: Option<&str>) -> Result<&str, Refusal> {
    let value = identity
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Refusal::Unauthorized("the request has no token"))?;
    // Anything else, another scheme included, is left to the token parser to refuse.
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        _ => value,
    };
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Unauthorized("the token is too large"));
    }
    Ok(token)
}

/// What the JWT library lets through and RFC 7515 / 7519 do not: a header or payload with a key
/// twice (the library keeps the last; which `token_use` counts would depend on order), and a
/// `crit` header parameter (extensions the recipient must understand; this verifier understands
/// none). Checked on the unverified segments, before any key is fetched.
fn check_segments(token: &str) -> Result<(), Refusal> {
    const MALFORMED: Refusal = Refusal::Unauthorized("the token is malformed");
    let mut segments = token.split('.');
    let (Some(header), Some(payload)) = (segments.next(), segments.next()) else {
        return Err(MALFORMED);
    };
    let parse = |segment: &str| -> Result<Map<String, Value>, Refusal> {
        let bytes = URL_SAFE_NO_PAD
            .decode(segment.trim_end_matches('='))
            .map_err(|_| MALFORMED)?;
        // Only the first JSON value is read: data after it is the library's to refuse, as it
        // does (`a_segment_that_is_not_one_json_object_is_malformed_though_signed`).
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        match UniqueKeys.deserialize(&mut deserializer) {
            Ok(Value::Object(map)) => Ok(map),
            Err(err) if err.to_string().starts_with(DUPLICATE) => Err(Refusal::Unauthorized(
                "the token has a duplicate header parameter or claim",
            )),
            _ => Err(MALFORMED),
        }
    };
    if parse(header)?.contains_key("crit") {
        return Err(Refusal::Unauthorized(
            "the token has critical header parameters (crit) the verifier does not understand",
        ));
    }
    parse(payload)?;
    Ok(())
}

const DUPLICATE: &str = "duplicate key";

/// A JSON value, refusing an object with a key twice at any depth. Written by hand: serde_json
/// keeps the last of duplicate keys and has no option to refuse them.
struct UniqueKeys;

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(UniqueKeys)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(UniqueKeys)?;
            if object.insert(key, value).is_some() {
                return Err(serde::de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(object))
    }
}

/// Counters of the remembered-token cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifierStats {
    /// Tokens whose signature was remembered: no RSA.
    pub remembered: u64,
    /// Signatures checked with RSA.
    pub signatures_checked: u64,
    /// Entries dropped to stay within the memory bound (expired ones count too).
    pub evicted: u64,
}

pub struct Verifier<F> {
    keys: Arc<KeyCache<F>>,
    remembered: Mutex<Remembered<VerificationKey>>,
    hits: AtomicU64,
    checks: AtomicU64,
}

#[derive(Deserialize)]
struct UnverifiedIssuer {
    iss: Option<Value>,
}

impl<F: FetchJwks> Verifier<F> {
    pub fn new(keys: Arc<KeyCache<F>>) -> Self {
        Self::with_memory(keys, REMEMBERED_BYTES)
    }

    /// A verifier that remembers verified tokens in at most `bytes` of memory.
    pub fn with_memory(keys: Arc<KeyCache<F>>, bytes: usize) -> Self {
        Self {
            keys,
            remembered: Mutex::new(Remembered::new(bytes)),
            hits: AtomicU64::new(0),
            checks: AtomicU64::new(0),
        }
    }

    pub fn keys(&self) -> &KeyCache<F> {
        &self.keys
    }

    pub fn stats(&self) -> VerifierStats {
        VerifierStats {
            remembered: self.hits.load(Ordering::Relaxed),
            signatures_checked: self.checks.load(Ordering::Relaxed),
            evicted: self
                .remembered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .evicted,
        }
    }

    /// Verifies `token`: signed with an RSA key of one of `issuers` (by `kid`), issued by that
    /// issuer, not expired, not used before `nbf` or its `iat`. `now` is Unix time in seconds.
    pub async fn verify(
        &self,
        token: &str,
        issuers: &[String],
        now: u64,
    ) -> Result<Claims, Refusal> {
        // A token verified before costs no parsing and no RSA: its issuer must still be one of
        // `issuers`, its key still the issuer's key for its kid, and its times still valid.
        if let Some((claims, signer)) = self.recall(token)
            && issuers.iter().any(|iss| **iss == *signer.issuer)
        {
            match self.keys.key(&signer.issuer, &signer.kid).await {
                Ok(key) if Arc::ptr_eq(&key, &signer.key) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    check_times(&claims, now)?;
                    return Ok(claims);
                }
                // Rotated or gone: verify again below. Its entry is replaced if the token still
                // verifies, or ages out of the memory (it can never be recalled as valid again).
                _ => {}
            }
        }
        check_segments(token)?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Unauthorized("the token is malformed"))?;
        if !RSA_ALGORITHMS.contains(&header.alg) {
            return Err(Refusal::Unauthorized(
                "the token is not signed with an RSA algorithm",
            ));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or(Refusal::Unauthorized("the token has no key id (kid)"))?;
        // The issuer picks the key set, so it is checked before any key is fetched: a token can
        // only ever make this fetch the keys of an issuer the template names.
        let unverified: UnverifiedIssuer =
            jsonwebtoken::dangerous::insecure_decode_claims(token)
                .map_err(|_| Refusal::Unauthorized("the token is malformed"))?;
        let issuer = match unverified.iss {
            Some(Value::String(iss)) if issuers.contains(&iss) => iss,
            _ => {
                return Err(Refusal::Unauthorized(
                    "the token does not have a valid issuer",
                ));
            }
        };
        let key = self.keys.key(&issuer, kid).await.map_err(|err| match err {
            KeyError::UnknownKid(_) => {
                Refusal::Unauthorized("the token's signing key is not in the issuer's key set")
            }
            KeyError::Unavailable(_) => {
                Refusal::Unauthorized("the issuer's signing keys could not be fetched")
            }
        })?;
        let claims = Arc::new(self.check_signature(token, header.alg, &key)?);
        check_times(&claims, now)?;
        self.remember(token, &claims, &issuer, kid, key, now);
        Ok(claims)
    }

    fn check_signature(
        &self,
        token: &str,
        alg: Algorithm,
        key: &VerificationKey,
    ) -> Result<Map<String, Value>, Refusal> {
        if key.algorithm.is_some_and(|expected| expected != alg) {
            return Err(Refusal::Unauthorized(
                "the token's algorithm does not match its signing key",
            ));
        }
        self.checks.fetch_add(1, Ordering::Relaxed);
        // The library checks the signature only; claims are checked by `check_times` and the
        // policies, with API Gateway's rules and an explicit clock.
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(|err| {
                Refusal::Unauthorized(match err.kind() {
                    ErrorKind::InvalidSignature => "the token signature is invalid",
                    _ => "the token is malformed",
                })
            })
    }

    fn recall(&self, token: &str) -> Option<(Claims, Signer<VerificationKey>)> {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recall(token)
    }

    fn remember(
        &self,
        token: &str,
        claims: &Claims,
        issuer: &str,
        kid: &str,
        key: Arc<VerificationKey>,
        now: u64,
    ) {
        let exp = claims.get("exp").and_then(Value::as_f64).unwrap_or(0.0) as u64;
        let signed_by = Signer {
            issuer: issuer.into(),
            kid: kid.into(),
            key,
        };
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token, Arc::clone(claims), signed_by, exp, now);
    }
}

/// `exp` (required) after now; `nbf` and `iat`, when present, not after now.
fn check_times(claims: &Map<String, Value>, now: u64) -> Result<(), Refusal> {
    let time = |name: &str| -> Result<Option<f64>, Refusal> {
        match claims.get(name) {
            None => Ok(None),
            Some(value) => value.as_f64().map(Some).ok_or(Refusal::Unauthorized(
                "the token has a malformed time claim",
            )),
        }
    };
    let now = now as f64;
    match time("exp")? {
        None => return Err(Refusal::Unauthorized("the token has no expiry (exp)")),
        Some(exp) if exp <= now => return Err(Refusal::Unauthorized("the token has expired")),
        Some(_) => {}
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(Refusal::Unauthorized("the token is not valid yet (nbf)"));
    }
    if time("iat")?.is_some_and(|iat| iat > now) {
        return Err(Refusal::Unauthorized(
            "the token was issued in the future (iat)",
        ));
    }
    Ok(())
}

/// Tokens whose signature was checked, so a client sending the same token again (they do, for up
/// to an hour) does not pay for RSA again (BENCHMARKS.md). Bounded by bytes; when full, expired
/// entries go first, then the least recently used. An entry counts only while its key is still
/// the issuer's key for its `kid` (a rotated key voids it). Generic over the key type for tests.
struct Remembered<K> {
    entries: LruCache<Box<str>, Entry<K>>,
    bytes: usize,
    max_bytes: usize,
    evicted: u64,
}

struct Entry<K> {
    claims: Claims,
    signed_by: Signer<K>,
    exp: u64,
    bytes: usize,
}

/// Who signed a remembered token: the issuer's key named by its `kid`.
struct Signer<K> {
    issuer: Arc<str>,
    kid: Arc<str>,
    key: Arc<K>,
}

/// What an entry costs besides its token and claims text (map slots, Arcs, the LRU links).
const ENTRY_OVERHEAD: usize = 128;

impl<K> Remembered<K> {
    fn new(max_bytes: usize) -> Self {
        Self {
            entries: LruCache::unbounded(),
            bytes: 0,
            max_bytes,
            evicted: 0,
        }
    }

    /// A remembered token's claims and signer (the entry becomes the most recently used).
    fn recall(&mut self, token: &str) -> Option<(Claims, Signer<K>)> {
        let entry = self.entries.get(token)?;
        let signer = &entry.signed_by;
        Some((
            Arc::clone(&entry.claims),
            Signer {
                issuer: Arc::clone(&signer.issuer),
                kid: Arc::clone(&signer.kid),
                key: Arc::clone(&signer.key),
            },
        ))
    }

    fn insert(&mut self, token: &str, claims: Claims, signed_by: Signer<K>, exp: u64, now: u64) {
        let claims_bytes: usize = claims
            .iter()
            .map(|(name, value)| name.len() + value.to_string().len())
            .sum();
        let bytes = token.len() + claims_bytes + ENTRY_OVERHEAD;
        if bytes > self.max_bytes {
            return;
        }
        // Two requests may verify the same new token at once.
        self.remove(token);
        if self.bytes + bytes > self.max_bytes {
            let expired: Vec<Box<str>> = self
                .entries
                .iter()
                .filter(|(_, entry)| entry.exp <= now)
                .map(|(token, _)| token.clone())
                .collect();
            for token in expired {
                self.remove(&token);
                self.evicted += 1;
            }
        }
        while self.bytes + bytes > self.max_bytes {
            let Some((_, oldest)) = self.entries.pop_lru() else {
                break;
            };
            self.bytes -= oldest.bytes;
            self.evicted += 1;
        }
        self.bytes += bytes;
        let entry = Entry {
            claims,
            signed_by,
            exp,
            bytes,
        };
        self.entries.put(token.into(), entry);
    }

    fn remove(&mut self, token: &str) {
        if let Some(entry) = self.entries.pop(token) {
            self.bytes -= entry.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(padding: usize) -> Claims {
        Arc::new(
            json!({"sub": "abc", "pad": "x".repeat(padding)})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// What an entry of `token` with `claims(padding)` costs: token + claim names and JSON
    /// values + the overhead.
    fn cost(token: &str, padding: usize) -> usize {
        token.len() + ("sub".len() + "\"abc\"".len()) + ("pad".len() + padding + 2) + ENTRY_OVERHEAD
    }

    fn signer(key: &Arc<u8>) -> Signer<u8> {
        Signer {
            issuer: "https://issuer".into(),
            kid: "key-1".into(),
            key: Arc::clone(key),
        }
    }

    fn has(remembered: &mut Remembered<u8>, token: &str) -> bool {
        remembered.recall(token).is_some()
    }

    #[test]
    fn an_entry_of_exactly_the_budget_is_kept_and_one_byte_more_is_not() {
        let key = Arc::new(1);
        let mut exact = Remembered::new(cost("t", 10));
        exact.insert("t", claims(10), signer(&key), 100, 0);
        assert_eq!(exact.bytes, cost("t", 10));
        let (_, signed_by) = exact.recall("t").unwrap_or_else(|| unreachable!());
        assert!(Arc::ptr_eq(&signed_by.key, &key));
        assert_eq!(
            (&*signed_by.issuer, &*signed_by.kid),
            ("https://issuer", "key-1")
        );
        let mut short = Remembered::new(cost("t", 10) - 1);
        short.insert("t", claims(10), signer(&key), 100, 0);
        assert_eq!(short.bytes, 0);
        assert!(!has(&mut short, "t"));
    }

    #[test]
    fn the_same_token_twice_counts_once() {
        let key = Arc::new(1);
        let mut remembered = Remembered::new(10_000);
        remembered.insert("t", claims(10), signer(&key), 100, 0);
        remembered.insert("t", claims(10), signer(&key), 100, 0);
        assert_eq!(remembered.bytes, cost("t", 10));
    }

    #[test]
    fn a_removed_token_frees_its_bytes() {
        let key = Arc::new(1);
        let mut remembered = Remembered::new(10_000);
        remembered.insert("t", claims(10), signer(&key), 100, 0);
        remembered.remove("t");
        assert_eq!(remembered.bytes, 0);
        assert!(!has(&mut remembered, "t"));
    }

    #[test]
    fn expired_entries_go_only_when_room_is_needed_and_before_the_oldest() {
        let key = Arc::new(1);
        let budget = cost("a", 10) + cost("b", 10);
        let mut remembered = Remembered::new(budget);
        remembered.insert("a", claims(10), signer(&key), 50, 0);
        remembered.insert("b", claims(10), signer(&key), 500, 60);
        // Exactly full, `a` expired: nothing needed room, nothing was dropped.
        assert_eq!(remembered.bytes, budget);
        assert!(has(&mut remembered, "a")); // `a` is now the most recently used
        // Room for `c` is needed: the expired `a` goes, although `b` is older in use.
        remembered.insert("c", claims(10), signer(&key), 500, 60);
        assert_eq!(remembered.evicted, 1);
        assert!(!has(&mut remembered, "a"));
        assert!(has(&mut remembered, "b"));
        assert!(has(&mut remembered, "c"));
        // Nothing expired now: the least recently used (`b`) makes room for `d`.
        remembered.insert("d", claims(10), signer(&key), 500, 60);
        assert_eq!(remembered.evicted, 2);
        assert!(!has(&mut remembered, "b"));
        assert_eq!(remembered.bytes, budget);
    }

    #[test]
    fn an_expired_entry_stays_while_there_is_room() {
        let key = Arc::new(1);
        let mut remembered = Remembered::new(cost("a", 10) * 3);
        remembered.insert("a", claims(10), signer(&key), 50, 0);
        remembered.insert("b", claims(10), signer(&key), 500, 60);
        assert_eq!(remembered.evicted, 0);
        assert!(has(&mut remembered, "a"));
    }
}
