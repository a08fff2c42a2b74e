//! What the local gateway serves, as read from the template ([`crate::template`]): an API of one
//! of the two kinds, its routes, its authorizers, and the kind's own settings (CORS, stage).

use std::{collections::BTreeMap, time::Duration};

use crate::policy::Policy;

#[derive(Debug, Clone)]
pub struct Api {
    /// The API's logical id in the template.
    pub logical_id: String,
    pub kind: ApiKind,
    pub routes: Vec<Route>,
    pub authorizers: BTreeMap<String, AuthorizerConfig>,
}

#[derive(Debug, Clone)]
pub enum ApiKind {
    /// `AWS::Serverless::HttpApi`: payload 2.0, `$default` stage at the root, API Gateway
    /// answers preflights and sets the CORS headers of every response.
    Http { cors: Option<CorsConfig> },
    /// `AWS::Serverless::Api`: payload 1.0, under its stage's path.
    Rest(RestSettings),
}

impl ApiKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Http { .. } => "HTTP API",
            Self::Rest(_) => "REST API",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RestSettings {
    pub stage: String,
    /// SAM's `Cors`: the OPTIONS method it adds to every path answers with these headers (a
    /// MOCK integration, whatever the request's origin). Function responses are passed through:
    /// a proxy integration adds no CORS headers.
    pub preflight: Option<Vec<(String, String)>>,
    /// Who may call those OPTIONS methods: SAM puts the default authorizer on them unless
    /// `AddDefaultAuthorizerToCorsPreflight: false` (browsers send no token with a preflight).
    pub preflight_auth: RouteAuth,
    /// `GatewayResponses` by type (`UNAUTHORIZED`, `DEFAULT_4XX`, ...).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// `BinaryMediaTypes`, with SAM's `~1` read as `/`.
    pub binary_media_types: Vec<String>,
    /// `Variables`: the stage variables.
    pub stage_variables: BTreeMap<String, String>,
}

/// A customized gateway response: extra headers, maybe another status code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// `/hello`, `/items/{id}`, `/{proxy+}`, or `$default` (HTTP API only).
    pub path: String,
    pub function: FunctionTarget,
    pub auth: RouteAuth,
    /// The integration's timeout: 30 s (HTTP API default and maximum), 29 s (REST API).
    pub integration_timeout: Duration,
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
}

/// The function a route invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionTarget {
    /// The function's logical id.
    pub logical_id: String,
    /// Its name at the invoke endpoint: the cargo-lambda binary
    /// (`Metadata.BuildProperties.Binary`), else the logical id.
    pub name: String,
    /// The function's `Timeout` (or `Globals.Function.Timeout`, or Lambda's 3 s).
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuth {
    /// `Authorizer: NONE`, or no authorizer at all.
    None,
    /// The named authorizer; with scopes, the token needs at least one of them.
    Authorizer { name: String, scopes: Vec<String> },
}

/// Where the authorizer takes the token from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A header, its name lower-cased.
    Header(String),
    /// A query string parameter (HTTP API `$request.querystring.name`).
    Query(String),
}

#[derive(Debug, Clone)]
pub struct AuthorizerConfig {
    pub name: String,
    pub identity: IdentitySource,
    pub policy: Policy,
    /// The authorizer's `AuthorizationScopes`: the scopes of routes that name none themselves.
    pub scopes: Vec<String>,
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
