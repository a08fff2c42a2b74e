//! What the tests share, defined once: one set of test identities, keys generated at test time,
//! in-memory key sets and invokers, the gateway built from a template, and the local stack
//! (`stack`, for the end-to-end tests).

pub mod keys;
pub mod sigv4;
pub mod stack;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, to_bytes},
    http::{HeaderMap, Request},
};
use local_api_gateway::{
    authorizer::{AuthRequest, RequestEvents},
    event::PayloadVersion,
    gateway::{Gateway, Outcome, Settings},
    invoke::{Invoke, InvokeError},
    keys::KeyCache,
    model::{Api, ApiKind},
    template::{LocalValues, Template, read_apis},
    verify::Verifier,
};
use serde_json::Value;

pub use keys::{
    CLIENT, ISSUER, MemoryJwks, POOL, Shared, issuer_key, jwks, now, other_key, unsigned_token,
};

/// The project's own template.
pub const TEMPLATE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"));

pub const ACCOUNT: &str = "123456789012";

/// The local ids of the template's pool and client.
pub fn local_values() -> LocalValues {
    LocalValues {
        resource_ids: BTreeMap::from([
            ("UserPool".into(), POOL.into()),
            ("UserPoolClient".into(), CLIENT.into()),
        ]),
        ..LocalValues::default()
    }
}

/// A verifier over the issuer's key, served from memory.
pub fn verifier() -> Verifier<Shared> {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    Verifier::new(Arc::new(KeyCache::new(Shared(source))))
}

/// Records every invocation (function, event, deadline) and answers with a fixed result.
#[derive(Clone)]
pub struct Recorder {
    pub answer: Result<Value, InvokeError>,
    pub calls: Arc<Mutex<Vec<(String, Value, Duration)>>>,
}

impl Recorder {
    pub fn new(answer: Result<Value, InvokeError>) -> Self {
        Self {
            answer,
            calls: Arc::default(),
        }
    }
}

impl Invoke for Recorder {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        let event = serde_json::from_slice(&payload).unwrap();
        self.calls
            .lock()
            .unwrap()
            .push((function.to_owned(), event, timeout));
        self.answer.clone().map(|v| serde_json::to_vec(&v).unwrap())
    }
}

/// No request events: for authorizers that build none (JWT, Cognito, TOKEN).
pub struct NoEvents;

impl RequestEvents for NoEvents {
    fn event(&self, _: PayloadVersion) -> Value {
        Value::Null
    }
}

/// What an authorizer sees of `GET /hello` with `headers` and `query`.
pub fn auth_request<'a>(headers: &'a HeaderMap, query: &'a str) -> AuthRequest<'a> {
    static NO_VARIABLES: std::sync::LazyLock<BTreeMap<String, String>> =
        std::sync::LazyLock::new(BTreeMap::new);
    AuthRequest {
        headers,
        raw_query: query,
        stage: "dev",
        stage_variables: &NO_VARIABLES,
        method: "GET",
        path: "/hello",
        resource_path: "/hello",
        route_key: "GET /hello",
        source_ip: "127.0.0.1",
        request_id: "r",
        account_id: ACCOUNT,
        api_id: "local",
        method_arn: "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/hello",
        full_path: "/dev/hello",
        body: b"",
        now: now(),
        events: &NoEvents,
    }
}

/// An invoker for tests where no function may be called.
pub struct NoFunctions;

impl Invoke for NoFunctions {
    async fn invoke(
        &self,
        function: &str,
        _: Vec<u8>,
        _: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        panic!("no function should be invoked, yet {function} was")
    }
}

/// The only API of `kind` read from `template` with [`local_values`].
pub fn read(template: &str, kind: ApiKind) -> Api {
    let template = Template::parse(template).unwrap();
    let mut apis: Vec<Api> = read_apis(&template, &local_values())
        .unwrap()
        .apis
        .into_iter()
        .filter(|api| api.kind == kind)
        .collect();
    assert_eq!(apis.len(), 1, "one API of kind {kind:?}");
    apis.remove(0)
}

pub type TestGateway<I> = Gateway<Shared, I>;

/// A gateway for `api` over the test keys, invoking through `invoker`.
pub fn gateway<I: Invoke>(api: Api, invoker: I) -> TestGateway<I> {
    let settings = Settings {
        region: "us-east-1".into(),
        account_id: ACCOUNT.into(),
        api_id: "local".into(),
        port: 3000,
        credentials: Vec::new(),
    };
    Gateway::new(api, Arc::new(verifier()), invoker, settings)
}

/// A response, read whole.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub outcome: Outcome,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// `request` through `gateway`, from a loopback peer, with the `Host` every HTTP/1.1 client
/// sends (`127.0.0.1:3000`) unless it has one.
pub async fn send<I: Invoke>(gateway: &TestGateway<I>, mut request: Request<Body>) -> Answer {
    if !request.headers().contains_key("host") {
        request.headers_mut().insert(
            "host",
            axum::http::HeaderValue::from_static("127.0.0.1:3000"),
        );
    }
    send_as_is(gateway, request).await
}

/// `request` through `gateway` exactly as given.
pub async fn send_as_is<I: Invoke>(gateway: &TestGateway<I>, request: Request<Body>) -> Answer {
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let (parts, body) = gateway.handle(request, peer).await.into_parts();
    Answer {
        status: parts.status.as_u16(),
        outcome: parts.extensions.get::<Outcome>().cloned().unwrap(),
        headers: parts.headers,
        body: to_bytes(body, usize::MAX).await.unwrap().to_vec(),
    }
}
