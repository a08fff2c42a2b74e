//! The HTTP API as SAM describes it: routes from the functions' `HttpApi` events, the JWT
//! authorizers and default authorizer of `Auth`, and `CorsConfiguration`.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::Value as Yaml;

use super::{Location, Resolver, Template, TemplateError, kind_of};

const HTTP_API: &str = "AWS::Serverless::HttpApi";
const FUNCTION: &str = "AWS::Serverless::Function";
/// SAM's name for the API it creates when `HttpApi` events give no `ApiId`.
const IMPLICIT_API: &str = "ServerlessHttpApi";
/// API Gateway's integration timeout when the route sets none (and its maximum).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApi {
    pub logical_id: String,
    pub routes: Vec<Route>,
    pub authorizers: BTreeMap<String, JwtAuthorizerConfig>,
    pub cors: Option<CorsConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// `/hello`, `/items/{id}`, `/{proxy+}`, or `$default`.
    pub path: String,
    /// The function's logical id.
    pub function: String,
    /// The function's name at the invoke endpoint: the cargo-lambda binary
    /// (`Metadata.BuildProperties.Binary`), else the logical id.
    pub function_name: String,
    pub auth: RouteAuth,
    pub timeout: Duration,
}

impl Route {
    /// `GET /hello`, or `$default`: API Gateway's `routeKey`.
    pub fn route_key(&self) -> String {
        if self.path == "$default" {
            self.path.clone()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuth {
    /// `Authorizer: NONE`, or no authorizer at all.
    None,
    /// The named JWT authorizer; with scopes, the token needs at least one of them.
    Jwt {
        authorizer: String,
        scopes: Vec<String>,
    },
}

/// Where the authorizer takes the token from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `$request.header.Name`, the name lower-cased.
    Header(String),
    /// `$request.querystring.name`.
    Query(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtAuthorizerConfig {
    pub name: String,
    pub identity_source: IdentitySource,
    pub issuer: String,
    pub audience: Vec<String>,
    /// The authorizer's `AuthorizationScopes`: the scopes of routes that name none themselves.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
}

impl HttpApi {
    /// Reads the HTTP API `api` (its logical id), or the template's only one.
    pub fn from_template(
        template: &Template,
        resolver: &Resolver<'_>,
        api: Option<&str>,
    ) -> Result<Self, TemplateError> {
        reject_global_api_settings(template)?;
        let resource = match api {
            Some(IMPLICIT_API) => None,
            Some(id) => Some(template.resource_of_kind(id, HTTP_API)?),
            None => match template.single_resource_of_kind(HTTP_API) {
                Ok(resource) => Some(resource),
                Err(_) if template.resources().all(|r| r.kind != HTTP_API) => None,
                Err(err) => return Err(err),
            },
        };
        let logical_id = resource.map_or(IMPLICIT_API, |r| r.logical_id).to_owned();

        let mut authorizers = BTreeMap::new();
        let mut default_authorizer = None;
        let mut cors = None;
        if let Some(resource) = resource {
            if let Some(auth) = resource.property("Auth") {
                let at = resource.property_location("Auth");
                let (found, default) = read_auth(resolver, auth, &at)?;
                authorizers = found;
                default_authorizer = default;
            }
            if let Some(value) = resource.property("CorsConfiguration") {
                cors = read_cors(
                    resolver,
                    value,
                    &resource.property_location("CorsConfiguration"),
                )?;
            }
        }

        let mut routes: Vec<Route> = Vec::new();
        for function in template.resources().filter(|r| r.kind == FUNCTION) {
            if let Some(condition) = function.body.get("Condition").and_then(Yaml::as_str)
                && !resolver.condition(condition, &function.location().child("Condition"))?
            {
                continue;
            }
            let Some(events) = function.property("Events") else {
                continue;
            };
            let events_at = function.property_location("Events");
            let events = events.as_mapping().ok_or_else(|| {
                TemplateError::invalid(&events_at, "expected a mapping of events")
            })?;
            let function_name = function
                .body
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Yaml::as_str)
                .unwrap_or(function.logical_id)
                .to_owned();
            for (name, event) in events {
                let at = events_at.child(name.as_str().unwrap_or("?"));
                if event.get("Type").and_then(Yaml::as_str) != Some("HttpApi") {
                    continue;
                }
                let props = event.get("Properties");
                let prop = |key: &str| props.and_then(|p| p.get(key));
                let props_at = at.child("Properties");
                let api_of_event = match prop("ApiId") {
                    Some(api_id) => api_reference(api_id, &props_at.child("ApiId"))?,
                    None => IMPLICIT_API.to_owned(),
                };
                if api_of_event != logical_id {
                    continue;
                }
                let route = read_route(
                    resolver,
                    RouteSource {
                        prop: &prop,
                        at: &props_at,
                        function: function.logical_id,
                        function_name: &function_name,
                        authorizers: &authorizers,
                        default_authorizer: default_authorizer.as_deref(),
                    },
                )?;
                if let Some(existing) = routes.iter().find(|r| r.route_key() == route.route_key()) {
                    return Err(TemplateError::invalid(
                        &props_at,
                        format!(
                            "route `{}` is already defined by {}",
                            route.route_key(),
                            existing.function
                        ),
                    ));
                }
                routes.push(route);
            }
        }
        if routes.is_empty() {
            return Err(TemplateError::invalid(
                &Location::new(&logical_id, ""),
                "no function has an HttpApi event for this API",
            ));
        }
        Ok(Self {
            logical_id,
            routes,
            authorizers,
            cors,
        })
    }
}

/// SAM lets `Globals.HttpApi` carry auth and CORS; silently ignoring them would leave routes
/// unprotected, so they are refused instead.
fn reject_global_api_settings(template: &Template) -> Result<(), TemplateError> {
    if let Some(globals) = template.globals().get("HttpApi") {
        for key in ["Auth", "CorsConfiguration"] {
            if globals.get(key).is_some() {
                return Err(TemplateError::invalid(
                    &Location::new("Globals", format!("HttpApi.{key}")),
                    "not supported by the local API; set it on the HttpApi resource",
                ));
            }
        }
    }
    Ok(())
}

/// The logical id an event's `ApiId: !Ref X` points at.
fn api_reference(value: &Yaml, at: &Location) -> Result<String, TemplateError> {
    let target = match value {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Yaml::Mapping(map) => map.get("Ref").and_then(Yaml::as_str),
        _ => None,
    };
    target.map(str::to_owned).ok_or_else(|| {
        TemplateError::invalid(
            at,
            format!("expected `!Ref <HttpApi>`, found {}", kind_of(value)),
        )
    })
}

type Authorizers = BTreeMap<String, JwtAuthorizerConfig>;

fn read_auth(
    resolver: &Resolver<'_>,
    auth: &Yaml,
    at: &Location,
) -> Result<(Authorizers, Option<String>), TemplateError> {
    let mut authorizers = BTreeMap::new();
    if let Some(found) = auth.get("Authorizers") {
        let list_at = at.child("Authorizers");
        let found = found
            .as_mapping()
            .ok_or_else(|| TemplateError::invalid(&list_at, "expected a mapping of authorizers"))?;
        for (name, config) in found {
            let name = name.as_str().ok_or_else(|| {
                TemplateError::invalid(&list_at, "authorizer names must be strings")
            })?;
            let config_at = list_at.child(name);
            authorizers.insert(
                name.to_owned(),
                read_jwt_authorizer(resolver, name, config, &config_at)?,
            );
        }
    }
    let default = match auth.get("DefaultAuthorizer") {
        None => None,
        Some(value) => {
            let default_at = at.child("DefaultAuthorizer");
            let name = resolver.eval_string(value, &default_at)?;
            if name != "NONE" && !authorizers.contains_key(&name) {
                return Err(TemplateError::invalid(
                    &default_at,
                    format!("no authorizer named `{name}`"),
                ));
            }
            (name != "NONE").then_some(name)
        }
    };
    Ok((authorizers, default))
}

fn read_jwt_authorizer(
    resolver: &Resolver<'_>,
    name: &str,
    config: &Yaml,
    at: &Location,
) -> Result<JwtAuthorizerConfig, TemplateError> {
    if config.get("FunctionArn").is_some() {
        return Err(TemplateError::invalid(
            at,
            "Lambda authorizers are not supported by the local API; only JWT authorizers are",
        ));
    }
    let jwt_at = at.child("JwtConfiguration");
    let jwt = config.get("JwtConfiguration").ok_or_else(|| {
        TemplateError::invalid(&jwt_at, "a JWT authorizer needs a JwtConfiguration")
    })?;
    let field = |lower: &str, upper: &str| {
        jwt.get(lower)
            .or_else(|| jwt.get(upper))
            .map(|v| (v, jwt_at.child(lower)))
    };
    let (issuer, issuer_at) = field("issuer", "Issuer")
        .ok_or_else(|| TemplateError::invalid(&jwt_at.child("issuer"), "missing"))?;
    let issuer = resolver.eval_string(issuer, &issuer_at)?;
    let audience = match field("audience", "Audience") {
        Some((value, at)) => resolver.eval_string_list(value, &at)?,
        None => Vec::new(),
    };
    if audience.is_empty() {
        return Err(TemplateError::invalid(
            &jwt_at.child("audience"),
            "a JWT authorizer needs at least one audience",
        ));
    }
    let source_at = at.child("IdentitySource");
    let identity_source = match config.get("IdentitySource") {
        None => IdentitySource::Header("authorization".into()),
        Some(value) => {
            parse_identity_source(&resolver.eval_string(value, &source_at)?, &source_at)?
        }
    };
    let scopes = match config.get("AuthorizationScopes") {
        Some(value) => resolver.eval_string_list(value, &at.child("AuthorizationScopes"))?,
        None => Vec::new(),
    };
    Ok(JwtAuthorizerConfig {
        name: name.to_owned(),
        identity_source,
        issuer,
        audience,
        scopes,
    })
}

fn parse_identity_source(source: &str, at: &Location) -> Result<IdentitySource, TemplateError> {
    if let Some(header) = source
        .strip_prefix("$request.header.")
        .filter(|h| !h.is_empty())
    {
        Ok(IdentitySource::Header(header.to_ascii_lowercase()))
    } else if let Some(name) = source
        .strip_prefix("$request.querystring.")
        .filter(|q| !q.is_empty())
    {
        Ok(IdentitySource::Query(name.to_owned()))
    } else {
        Err(TemplateError::invalid(
            at,
            format!(
                "`{source}` is not supported; use $request.header.<name> or $request.querystring.<name>"
            ),
        ))
    }
}

fn read_cors(
    resolver: &Resolver<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<Option<CorsConfig>, TemplateError> {
    if let Yaml::Bool(enabled) = value {
        // `CorsConfiguration: true` allows every origin, header and method.
        return Ok(enabled.then(|| CorsConfig {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["*".into()],
            allow_headers: vec!["*".into()],
            ..CorsConfig::default()
        }));
    }
    if value.as_mapping().is_none() {
        return Err(TemplateError::invalid(
            at,
            format!("expected true or a mapping, found {}", kind_of(value)),
        ));
    }
    let list = |key: &str| match value.get(key) {
        Some(v) => resolver.eval_string_list(v, &at.child(key)),
        None => Ok(Vec::new()),
    };
    let max_age = match value.get("MaxAge") {
        None => None,
        Some(v) => {
            let at = at.child("MaxAge");
            Some(
                resolver
                    .eval_string(v, &at)?
                    .parse()
                    .map_err(|_| TemplateError::invalid(&at, "expected a number of seconds"))?,
            )
        }
    };
    let allow_credentials = match value.get("AllowCredentials") {
        None => false,
        Some(v) => resolver.eval_bool(v, &at.child("AllowCredentials"))?,
    };
    Ok(Some(CorsConfig {
        allow_origins: list("AllowOrigins")?,
        allow_methods: list("AllowMethods")?
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        allow_headers: list("AllowHeaders")?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        expose_headers: list("ExposeHeaders")?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        max_age,
        allow_credentials,
    }))
}

/// What `read_route` needs to know about the event and its surroundings.
struct RouteSource<'a> {
    prop: &'a dyn Fn(&str) -> Option<&'a Yaml>,
    at: &'a Location,
    function: &'a str,
    function_name: &'a str,
    authorizers: &'a Authorizers,
    default_authorizer: Option<&'a str>,
}

fn read_route(resolver: &Resolver<'_>, src: RouteSource<'_>) -> Result<Route, TemplateError> {
    let at = src.at;
    let string = |key: &str| -> Result<Option<String>, TemplateError> {
        (src.prop)(key)
            .map(|v| resolver.eval_string(v, &at.child(key)))
            .transpose()
    };
    if let Some(version) = string("PayloadFormatVersion")?
        && version != "2.0"
    {
        return Err(TemplateError::invalid(
            &at.child("PayloadFormatVersion"),
            format!("payload format {version} is not supported by the local API; use 2.0"),
        ));
    }
    let (method, path) = match (string("Method")?, string("Path")?) {
        (None, None) => ("ANY".to_owned(), "$default".to_owned()),
        (method, Some(path)) => {
            let method = method.unwrap_or_else(|| "ANY".into()).to_ascii_uppercase();
            validate_path(&path, &at.child("Path"))?;
            (method, path)
        }
        (Some(_), None) => {
            return Err(TemplateError::invalid(
                &at.child("Path"),
                "a route with a Method needs a Path",
            ));
        }
    };
    let auth_at = at.child("Auth");
    let auth = (src.prop)("Auth");
    let authorizer = match auth.and_then(|a| a.get("Authorizer")) {
        Some(value) => Some(resolver.eval_string(value, &auth_at.child("Authorizer"))?),
        None => src.default_authorizer.map(str::to_owned),
    };
    let auth = match authorizer.as_deref() {
        None | Some("NONE") => RouteAuth::None,
        Some(name) => {
            let authorizer = src.authorizers.get(name).ok_or_else(|| {
                TemplateError::invalid(
                    &auth_at.child("Authorizer"),
                    format!("no JWT authorizer named `{name}` on the API"),
                )
            })?;
            let scopes = match auth.and_then(|a| a.get("AuthorizationScopes")) {
                Some(value) => {
                    resolver.eval_string_list(value, &auth_at.child("AuthorizationScopes"))?
                }
                None => authorizer.scopes.clone(),
            };
            RouteAuth::Jwt {
                authorizer: name.to_owned(),
                scopes,
            }
        }
    };
    let timeout = match string("TimeoutInMillis")? {
        None => DEFAULT_TIMEOUT,
        Some(ms) => ms
            .parse::<u64>()
            .ok()
            .filter(|ms| (50..=30_000).contains(ms))
            .map(Duration::from_millis)
            .ok_or_else(|| {
                TemplateError::invalid(
                    &at.child("TimeoutInMillis"),
                    "expected 50 to 30000 milliseconds",
                )
            })?,
    };
    Ok(Route {
        method,
        path,
        function: src.function.to_owned(),
        function_name: src.function_name.to_owned(),
        auth,
        timeout,
    })
}

/// `/a/{b}/{c+}`: absolute, parameters whole segments, a greedy one only last.
fn validate_path(path: &str, at: &Location) -> Result<(), TemplateError> {
    if path == "$default" {
        return Ok(());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(TemplateError::invalid(
            at,
            format!("`{path}` must start with /"),
        ));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let is_param = segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2;
        if !is_param && (segment.contains('{') || segment.contains('}')) {
            return Err(TemplateError::invalid(
                at,
                format!("`{path}`: a parameter must be a whole segment"),
            ));
        }
        if is_param && segment.ends_with("+}") && i + 1 != segments.len() {
            return Err(TemplateError::invalid(
                at,
                format!("`{path}`: a greedy parameter must be last"),
            ));
        }
    }
    Ok(())
}
