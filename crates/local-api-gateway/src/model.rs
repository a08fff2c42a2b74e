//! What the local gateway serves: a typed model of one API (its routes with their integration and
//! authorization, its authorizers, stage, CORS, gateway responses, binary media types). The
//! template readers ([`crate::template`]) fill it; the request path ([`crate::gateway`]) sees
//! nothing else.

use std::{collections::BTreeMap, time::Duration};

pub use crate::{
    authorizer::{
        AuthorizerConfig, IdentitySource, RouteAuth,
        api_key::{ApiKey, ApiKeySource, ApiKeys},
    },
    event::PayloadVersion,
    invoke::FunctionTarget,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// The API's logical id in the template (SAM's `ServerlessHttpApi`/`ServerlessRestApi` for
    /// the implicit ones).
    pub id: String,
    pub kind: ApiKind,
    /// The stages the API is deployed to (at least one); the first is the one its URL names.
    pub stages: Vec<Stage>,
    pub routes: Vec<Route>,
    pub authorizers: BTreeMap<String, AuthorizerConfig>,
    /// HTTP APIs: the API answers preflights itself and sets the CORS headers of every
    /// response. (A REST API's CORS is the OPTIONS routes SAM adds: [`Integration::Mock`].)
    pub cors: Option<CorsConfig>,
    /// REST APIs: `GatewayResponses` by type (`UNAUTHORIZED`, `DEFAULT_4XX`, ...).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// REST APIs: `BinaryMediaTypes` (`image/png`, `image/*`, `*/*`).
    pub binary_media_types: Vec<String>,
    /// REST APIs: where methods that require an API key take it from, and the keys accepted.
    pub api_keys: ApiKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiKind {
    /// `AWS::Serverless::HttpApi`, `AWS::ApiGatewayV2::Api`.
    Http,
    /// `AWS::Serverless::Api`, `AWS::ApiGateway::RestApi`.
    Rest,
}

impl ApiKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Http => "HTTP API",
            Self::Rest => "REST API",
        }
    }
}

/// The stage the API is served under: `$default` (HTTP APIs) is at the root, any other name is
/// the first path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: String,
    pub variables: BTreeMap<String, String>,
}

impl Stage {
    pub const DEFAULT: &'static str = "$default";

    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            variables: BTreeMap::new(),
        }
    }

    /// The path the stage's routes are under: empty for `$default`, else `/<name>`.
    pub fn base_path(&self) -> String {
        if self.name == Self::DEFAULT {
            String::new()
        } else {
            format!("/{}", self.name)
        }
    }

    /// The part of a request path below this stage: `/dev/hello` -> `/hello`, `/dev` -> `/`;
    /// `None` when the path is not under it. Everything is under `$default`.
    pub fn below<'p>(&self, path: &'p str) -> Option<std::borrow::Cow<'p, str>> {
        if self.name == Self::DEFAULT {
            return Some(path.into());
        }
        let rest = path.strip_prefix('/')?.strip_prefix(self.name.as_str())?;
        match rest {
            "" => Some("/".into()),
            rest if rest.starts_with('/') => Some(rest.into()),
            _ => None,
        }
    }
}

impl Api {
    /// The stage a request path is under, and the path below it. A named stage wins over
    /// `$default` (its URL is the longer match).
    pub fn locate<'a, 'p>(
        &'a self,
        path: &'p str,
    ) -> Option<(&'a Stage, std::borrow::Cow<'p, str>)> {
        let named = self
            .stages
            .iter()
            .filter(|stage| stage.name != Stage::DEFAULT)
            .find_map(|stage| stage.below(path).map(|rest| (stage, rest)));
        named.or_else(|| {
            self.stages
                .iter()
                .find(|stage| stage.name == Stage::DEFAULT)
                .map(|stage| (stage, path.into()))
        })
    }

    /// The stage the API's URL names (readers give every API one).
    pub fn primary_stage(&self) -> Option<&Stage> {
        self.stages.first()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// `/hello`, `/items/{id}`, `/{proxy+}`, or `$default` (HTTP APIs).
    pub path: String,
    pub integration: Integration,
    pub auth: RouteAuth,
    /// REST APIs: the method requires an API key (`apiKeyRequired`), checked after `auth`.
    pub api_key_required: bool,
}

impl Route {
    /// `GET /hello`, or `$default`: API Gateway's `routeKey` (HTTP API), and the method and
    /// resource path (REST API).
    pub fn route_key(&self) -> String {
        if self.path == "$default" {
            self.path.clone()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }

    /// The function the route invokes, if its integration is one.
    pub fn function(&self) -> Option<&FunctionTarget> {
        match &self.integration {
            Integration::Lambda(lambda) => Some(&lambda.function),
            Integration::Mock(_) | Integration::Unavailable(_) => None,
        }
    }
}

/// What a route hands the request to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// A Lambda proxy integration.
    Lambda(LambdaIntegration),
    /// A `MOCK` integration answering a fixed response (SAM's CORS preflight methods).
    Mock(MockResponse),
    /// An integration that cannot run on a laptop (an HTTP endpoint on the internet, an AWS
    /// service, a MOCK with mapping templates), described: the route's authorizer still runs,
    /// then the API answers as when an integration fails.
    Unavailable(String),
}

impl std::fmt::Display for Integration {
    /// What the route hands requests to, for `local-api-gateway routes`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lambda(lambda) => write!(
                f,
                "function {} (payload {}, timeout {} s)",
                lambda.function.name,
                match lambda.payload {
                    PayloadVersion::V1 => "1.0",
                    PayloadVersion::V2 => "2.0",
                },
                lambda.deadline().as_secs_f64()
            ),
            Self::Mock(mock) => write!(f, "MOCK {}", mock.status),
            Self::Unavailable(what) => write!(f, "{what} (not available locally)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaIntegration {
    pub function: FunctionTarget,
    pub payload: PayloadVersion,
    /// The integration's timeout: 30 s (HTTP API default and maximum), 29 s (REST API).
    pub timeout: Duration,
}

impl LambdaIntegration {
    /// How long the function may run before the API answers: Lambda stops it at its own
    /// `Timeout` (a function error), API Gateway gives up at the integration's.
    pub fn deadline(&self) -> Duration {
        self.function.timeout.min(self.timeout)
    }
}

/// A fixed response: status, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A customized gateway response: extra headers, maybe another status code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
}

/// An HTTP API's `CorsConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
}
