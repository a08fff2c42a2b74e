//! The issuers' keys and the remembered tokens: single flight under real concurrency, failed
//! fetches remembered, stale keys through an outage, a bounded and observable token cache, and
//! the HTTP(S) fetcher against real servers on loopback (slow, oversized, untrusted).
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, http::header, routing::get};
use local_api_gateway::{
    keys::{
        FetchError, FetchJwks, HttpJwksFetcher, KeyCache, KeyCacheSettings, KeyError,
        MAX_DOCUMENT_BYTES,
    },
    verify::{Refusal, Verifier, VerifierStats},
};
use serde_json::{Value, json};

use crate::support::{ISSUER, MemoryJwks, Shared, issuer_key, jwks, now, other_key};

fn settings(ttl: u64, max_staleness: u64, cooldown: u64) -> KeyCacheSettings {
    KeyCacheSettings {
        ttl: Duration::from_secs(ttl),
        max_staleness: Duration::from_secs(max_staleness),
        cooldown: Duration::from_secs(cooldown),
    }
}

fn cache(source: &Arc<MemoryJwks>, settings: KeyCacheSettings) -> Arc<KeyCache<Shared>> {
    Arc::new(KeyCache::with_settings(
        Shared(Arc::clone(source)),
        settings,
    ))
}

fn claims(iss: &str, exp: u64) -> Value {
    json!({"sub": "abc", "iss": iss, "aud": "client-1", "token_use": "id", "exp": exp})
}

fn token(exp: u64) -> String {
    issuer_key().sign(&claims(ISSUER, exp))
}

async fn verify<F: FetchJwks>(verifier: &Verifier<F>, token: &str) -> Result<(), Refusal> {
    verifier
        .verify(token, &[ISSUER.to_owned()], now())
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_a_cold_cache_share_one_fetch() {
    // The fetch really takes time, so without the single flight every request would start one.
    let source = MemoryJwks::slow(Some(jwks(&[issuer_key()])), Duration::from_millis(300));
    let keys = cache(&source, KeyCacheSettings::default());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let keys = Arc::clone(&keys);
            tokio::spawn(async move { keys.key(ISSUER, "key-1").await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_fetch_is_remembered_so_queued_and_later_requests_do_not_retry() {
    let source = MemoryJwks::slow(None, Duration::from_millis(300));
    let keys = cache(&source, settings(3600, 3600, 10));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let keys = Arc::clone(&keys);
            tokio::spawn(async move { keys.key(ISSUER, "key-1").await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(
            task.await.unwrap(),
            Err(KeyError::Unavailable(FetchError::Http { .. }))
        ));
    }
    assert_eq!(
        source.fetches(),
        1,
        "the queued requests did not fetch again"
    );
    // Within the cooldown, a new request fails at once instead of waiting for a fetch.
    let started = Instant::now();
    assert!(matches!(
        keys.key(ISSUER, "key-1").await,
        Err(KeyError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn with_the_issuer_known_down_requests_do_not_queue_behind_a_retry() {
    let source = MemoryJwks::slow(None, Duration::from_secs(2));
    let keys = cache(&source, settings(3600, 3600, 10));
    assert!(keys.key(ISSUER, "key-1").await.is_err());
    tokio::time::advance(Duration::from_secs(10)).await;
    // The cooldown is over: one request retries (and waits 2 s for the answer)...
    let retry = tokio::spawn({
        let keys = Arc::clone(&keys);
        async move { keys.key(ISSUER, "key-1").await }
    });
    tokio::task::yield_now().await;
    // ...while the others fail at once instead of waiting behind it.
    let started = tokio::time::Instant::now();
    assert!(matches!(
        keys.key(ISSUER, "key-1").await,
        Err(KeyError::Unavailable(_))
    ));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(retry.await.unwrap().is_err());
    assert_eq!(source.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn through_an_outage_cached_keys_serve_until_the_staleness_bound() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let keys = cache(&source, settings(60, 600, 10));
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    source.serve(None);

    tokio::time::advance(Duration::from_secs(59)).await;
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    assert_eq!(source.fetches(), 1, "fresh for the TTL");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(
        keys.key(ISSUER, "key-1").await.is_ok(),
        "stale, refresh failed"
    );
    assert_eq!(source.fetches(), 2, "one refresh attempt, at the TTL");
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    assert_eq!(source.fetches(), 2, "no retry within the cooldown");
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    assert_eq!(source.fetches(), 3, "one retry per cooldown");
    assert_eq!(keys.fetches(), 3, "the cache counts what it attempted");

    // Past TTL + staleness: fail closed.
    tokio::time::advance(Duration::from_secs(600)).await;
    assert!(matches!(
        keys.key(ISSUER, "key-1").await,
        Err(KeyError::Unavailable(_))
    ));
    // The issuer is back: keys again, after the cooldown.
    source.serve(Some(jwks(&[issuer_key()])));
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn refused_without_a_fetch_says_whether_the_keys_or_the_kid_are_missing() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let keys = cache(&source, settings(60, 600, 10));
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    source.serve(None);
    tokio::time::advance(Duration::from_secs(10)).await;
    // A refetch for an unknown kid fails: the kid is unknown, the keys still usable...
    assert!(matches!(
        keys.key(ISSUER, "rotated-in").await,
        Err(KeyError::Unavailable(_))
    ));
    assert_eq!(
        keys.key(ISSUER, "another").await.err(),
        Some(KeyError::UnknownKid("another".into())),
        "within the cooldown, with usable keys: an unknown kid"
    );
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    // ...until they reach TTL + staleness (660 s after the fetch), within a cooldown.
    tokio::time::advance(Duration::from_secs(645)).await;
    assert!(
        keys.key(ISSUER, "key-1").await.is_ok(),
        "the stale key, refresh failed"
    );
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(matches!(
        keys.key(ISSUER, "key-1").await,
        Err(KeyError::Unavailable(_))
    ));
    assert_eq!(keys.fetches(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_that_drops_the_key_refuses_it_at_once() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let keys = cache(&source, settings(60, 600, 10));
    assert!(keys.key(ISSUER, "key-1").await.is_ok());
    source.serve(Some(jwks(&[other_key()])));
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(
        keys.key(ISSUER, "key-1").await.err(),
        Some(KeyError::UnknownKid("key-1".into()))
    );
}

#[tokio::test]
async fn remembered_tokens_are_counted_and_survive_an_unchanged_refetch() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let verifier = Verifier::new(cache(&source, settings(3600, 3600, 0)));
    let valid = token(now() + 600);
    verify(&verifier, &valid).await.unwrap();
    verify(&verifier, &valid).await.unwrap();
    assert_eq!(
        verifier.stats(),
        VerifierStats {
            remembered: 1,
            signatures_checked: 1,
            evicted: 0
        }
    );
    // A token naming an unknown kid refetches the (unchanged) key set...
    let probe = issuer_key().sign_with_kid(&claims(ISSUER, now() + 600), Some("unknown"));
    assert!(verify(&verifier, &probe).await.is_err());
    assert_eq!(source.fetches(), 2);
    // ...which must not cost every remembered token its RSA check again.
    verify(&verifier, &valid).await.unwrap();
    assert_eq!(verifier.stats().signatures_checked, 1);
    assert_eq!(verifier.stats().remembered, 2);
}

#[tokio::test]
async fn the_token_memory_is_bounded_and_drops_expired_then_oldest_first() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let now = now();
    let leak = |t: String| -> &'static str { Box::leak(t.into_boxed_str()) };
    let soon = leak(token(now + 10));
    let later = leak(token(now + 3600));
    let third = leak(token(now + 3601));
    // Room for two of these tokens (token text + claims + overhead).
    let per_token = soon.len() + 200 + 128;
    let verifier = Verifier::with_memory(
        cache(&source, KeyCacheSettings::default()),
        2 * per_token + 100,
    );
    let issuers = [ISSUER.to_owned()];
    let at = |time: u64, token: &'static str| verifier.verify(token, &issuers, time);

    at(now, soon).await.unwrap();
    at(now, later).await.unwrap();
    at(now + 5, soon).await.unwrap(); // `soon` is now the most recently used
    assert_eq!(verifier.stats().remembered, 1);
    // Full: `soon` has expired by now + 20, so it goes first although `later` is older.
    at(now + 20, third).await.unwrap();
    assert_eq!(verifier.stats().evicted, 1);
    at(now + 20, later).await.unwrap();
    assert_eq!(verifier.stats().remembered, 2, "`later` was kept");
    // Nothing expired now: the least recently used (`third`) makes room.
    let fourth = leak(token(now + 3602));
    at(now + 20, fourth).await.unwrap();
    let checked = verifier.stats().signatures_checked;
    at(now + 20, third).await.unwrap();
    assert_eq!(
        verifier.stats().signatures_checked,
        checked + 1,
        "`third` was dropped"
    );
}

fn json_route(path: &str, body: String) -> Router {
    Router::new().route(
        path,
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    )
}

fn discovery_and_keys(origin: &str, keys: Value) -> Router {
    let jwks_uri = format!("{origin}/us-east-1_TEST/.well-known/jwks.json");
    json_route(
        "/us-east-1_TEST/.well-known/openid-configuration",
        json!({"issuer": ISSUER, "jwks_uri": jwks_uri}).to_string(),
    )
    .merge(json_route(
        "/us-east-1_TEST/.well-known/jwks.json",
        keys.to_string(),
    ))
}

/// Serves the discovery document and the key set from one loopback address.
async fn issuer_server(keys: Value) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = discovery_and_keys(&origin, keys);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (origin, server)
}

#[tokio::test]
async fn an_emulator_serves_keys_over_plain_http_from_the_configured_origin() {
    let (origin, server) = issuer_server(json!({"keys": [issuer_key().jwk()]})).await;
    let fetcher = HttpJwksFetcher::new(Some(origin.clone()), Duration::from_secs(2), None).unwrap();
    assert_eq!(
        fetcher.discovery_url(ISSUER),
        format!("{origin}/us-east-1_TEST/.well-known/openid-configuration")
    );
    let verifier = Verifier::new(Arc::new(KeyCache::new(fetcher)));
    assert!(verify(&verifier, &token(now() + 600)).await.is_ok());
    server.abort();
}

#[tokio::test]
async fn without_an_http_origin_plain_http_is_refused() {
    let fetcher = HttpJwksFetcher::new(None, Duration::from_secs(2), None).unwrap();
    let err = fetcher
        .fetch("http://127.0.0.1:9/us-east-1_TEST")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::InsecureUrl(_)), "{err}");
}

#[tokio::test]
async fn oversized_documents_are_refused_with_and_without_a_length() {
    let big = json!({"keys": [issuer_key().jwk()], "padding": "x".repeat(300 * 1024)});
    let (origin, server) = issuer_server(big.clone()).await;
    let fetcher = HttpJwksFetcher::new(Some(origin), Duration::from_secs(2), None).unwrap();
    let err = fetcher.fetch(ISSUER).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    server.abort();

    // Streamed without a content-length: refused while reading.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let jwks_uri = format!("{origin}/us-east-1_TEST/.well-known/jwks.json");
    let chunk = "x".repeat(1024);
    let app = json_route(
        "/us-east-1_TEST/.well-known/openid-configuration",
        json!({"jwks_uri": jwks_uri}).to_string(),
    )
    .route(
        "/us-east-1_TEST/.well-known/jwks.json",
        get(move || {
            let chunks: Vec<Result<String, std::io::Error>> =
                (0..300).map(|_| Ok(chunk.clone())).collect();
            async move { axum::body::Body::from_stream(futures_util::stream::iter(chunks)) }
        }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let fetcher = HttpJwksFetcher::new(Some(origin), Duration::from_secs(2), None).unwrap();
    let err = fetcher.fetch(ISSUER).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    server.abort();
}

#[tokio::test]
async fn the_default_memory_remembers_thousands_of_tokens() {
    // 4 MiB: about three thousand Cognito-sized tokens. 1,200 tokens of ~1.2 KB (1.4 MB with
    // their claims) must all stay remembered.
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let verifier = Verifier::new(cache(&source, KeyCacheSettings::default()));
    let exp = now() + 600;
    let tokens: Vec<String> = (0..1200)
        .map(|i| {
            let mut claims = claims(ISSUER, exp);
            claims["jti"] = json!(format!("{i:0>300}"));
            issuer_key().sign(&claims)
        })
        .collect();
    for token in &tokens {
        verify(&verifier, token).await.unwrap();
    }
    for token in &tokens {
        verify(&verifier, token).await.unwrap();
    }
    assert_eq!(verifier.stats().evicted, 0);
    assert_eq!(verifier.stats().remembered, 1200);
}

/// A key set padded to exactly `size` bytes of JSON.
fn key_set_of_size(size: usize) -> String {
    let empty = json!({"keys": [issuer_key().jwk()], "padding": ""}).to_string();
    json!({"keys": [issuer_key().jwk()], "padding": "x".repeat(size - empty.len())}).to_string()
}

/// An issuer serving `key_set` as its JWKS, with a content-length or streamed without one.
async fn issuer_serving(key_set: String, streamed: bool) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let jwks_uri = format!("{origin}/us-east-1_TEST/.well-known/jwks.json");
    let app = json_route(
        "/us-east-1_TEST/.well-known/openid-configuration",
        json!({"jwks_uri": jwks_uri}).to_string(),
    )
    .route(
        "/us-east-1_TEST/.well-known/jwks.json",
        get(move || {
            let body = key_set.clone();
            async move {
                if streamed {
                    let chunks: Vec<Result<String, std::io::Error>> = body
                        .as_bytes()
                        .chunks(1000)
                        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
                        .collect();
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                } else {
                    axum::body::Body::from(body)
                }
            }
        }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (origin, server)
}

#[tokio::test]
async fn documents_up_to_the_limit_are_read_and_one_byte_more_is_refused() {
    // The documented limit, independently of the constant: a 200 KB key set is read.
    let (origin, server) = issuer_serving(key_set_of_size(200 * 1024), false).await;
    let fetcher = HttpJwksFetcher::new(Some(origin), Duration::from_secs(2), None).unwrap();
    assert!(fetcher.fetch(ISSUER).await.is_ok());
    server.abort();
    for streamed in [false, true] {
        for (size, accepted) in [(MAX_DOCUMENT_BYTES, true), (MAX_DOCUMENT_BYTES + 1, false)] {
            let (origin, server) = issuer_serving(key_set_of_size(size), streamed).await;
            let fetcher = HttpJwksFetcher::new(Some(origin), Duration::from_secs(2), None).unwrap();
            let result = fetcher.fetch(ISSUER).await;
            assert_eq!(
                result.is_ok(),
                accepted,
                "{size} bytes, streamed {streamed}: {result:?}"
            );
            if !accepted {
                assert!(matches!(result, Err(FetchError::TooLarge { .. })));
            }
            server.abort();
        }
    }
}

#[tokio::test]
async fn a_key_that_names_its_algorithm_verifies_only_that_algorithm() {
    use jsonwebtoken::{Algorithm, Header};
    for (name, alg) in [
        ("RS256", Algorithm::RS256),
        ("RS384", Algorithm::RS384),
        ("RS512", Algorithm::RS512),
        ("PS256", Algorithm::PS256),
        ("PS384", Algorithm::PS384),
        ("PS512", Algorithm::PS512),
    ] {
        let mut jwk = issuer_key().jwk();
        jwk["alg"] = json!(name);
        let set = serde_json::from_value(json!({"keys": [jwk]})).unwrap();
        let verifier = Verifier::new(cache(
            &MemoryJwks::new(Some(set)),
            KeyCacheSettings::default(),
        ));
        let sign = |alg| {
            let mut header = Header::new(alg);
            header.kid = Some("key-1".into());
            jsonwebtoken::encode(
                &header,
                &claims(ISSUER, now() + 600),
                &issuer_key().encoding_key(),
            )
            .unwrap()
        };
        assert_eq!(verify(&verifier, &sign(alg)).await, Ok(()), "{name}");
        let other = if alg == Algorithm::RS256 {
            Algorithm::PS256
        } else {
            Algorithm::RS256
        };
        assert_eq!(
            verify(&verifier, &sign(other)).await,
            Err(Refusal::Unauthorized(
                "the token's algorithm does not match its signing key"
            )),
            "a {name} key, a {other:?} token"
        );
    }
}

#[tokio::test]
async fn a_slow_issuer_times_out_once_per_cooldown() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let fetcher = HttpJwksFetcher::new(Some(origin), Duration::from_millis(300), None).unwrap();
    let verifier = Verifier::new(Arc::new(KeyCache::with_settings(
        fetcher,
        settings(3600, 3600, 10),
    )));
    let valid = token(now() + 600);

    let started = Instant::now();
    assert_eq!(
        verify(&verifier, &valid).await,
        Err(Refusal::Unauthorized(
            "the issuer's signing keys could not be fetched"
        ))
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    let started = Instant::now();
    assert!(verify(&verifier, &valid).await.is_err());
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection per cooldown"
    );
    server.abort();
}

/// A test CA, a certificate for 127.0.0.1 signed by it, and an HTTPS issuer on loopback using
/// it. Returns the issuer URL, the CA's PEM file, and the server task.
async fn https_issuer() -> (String, PathBuf, tokio::task::JoinHandle<()>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "local-api-gateway test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let ca_file = std::env::temp_dir().join(format!(
        "local-api-gateway-test-ca-{}-{}.pem",
        std::process::id(),
        leaf.der().len()
    ));
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://{}/us-east-1_TEST", listener.local_addr().unwrap());
    let base = issuer.trim_end_matches("/us-east-1_TEST").to_owned();
    let app = discovery_and_keys(&base, json!({"keys": [issuer_key().jwk()]}));
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // An untrusting client aborts the handshake: nothing to serve then.
                let Ok(tls) = acceptor.accept(socket).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (issuer, ca_file, server)
}

#[tokio::test]
async fn a_deployed_pool_is_reached_over_https_and_an_untrusted_certificate_fails_closed() {
    let (issuer, ca_file, server) = https_issuer().await;
    let valid = issuer_key().sign(&claims(&issuer, now() + 600));

    let trusting = HttpJwksFetcher::new(None, Duration::from_secs(2), Some(&ca_file)).unwrap();
    let verifier = Verifier::new(Arc::new(KeyCache::new(trusting)));
    assert_eq!(
        verifier
            .verify(&valid, std::slice::from_ref(&issuer), now())
            .await
            .map(|c| c["sub"].clone()),
        Ok(json!("abc"))
    );

    // The Mozilla roots only: the test CA is unknown, so no keys and no access.
    let untrusting = HttpJwksFetcher::new(None, Duration::from_secs(2), None).unwrap();
    let err = untrusting.fetch(&issuer).await.unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    let verifier = Verifier::new(Arc::new(KeyCache::new(untrusting)));
    assert_eq!(
        verifier.verify(&valid, &[issuer], now()).await.map(|_| ()),
        Err(Refusal::Unauthorized(
            "the issuer's signing keys could not be fetched"
        ))
    );
    server.abort();
    let _ = std::fs::remove_file(ca_file);
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_clear_error() {
    let path = std::env::temp_dir().join(format!("not-a-ca-{}.pem", std::process::id()));
    std::fs::write(&path, "hello").unwrap();
    let err = HttpJwksFetcher::new(None, Duration::from_secs(1), Some(&path))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no PEM certificate"), "{err}");
    let _ = std::fs::remove_file(path);
}
