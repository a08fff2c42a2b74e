//! The HTTP API as SAM describes it: routes from the functions' `HttpApi` events, the JWT
//! authorizers and default authorizer of `Auth`, and `CorsConfiguration`.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::Value as Yaml;

use super::{
    Location, Resolver, Template, TemplateError,
    function::{api_reference, events, integration_timeout, validate_path},
    kind_of,
};
use crate::{
    authorizer::jwt::JwtConfig,
    model::{
        Api, ApiKind, AuthorizerConfig, CorsConfig, FunctionTarget, IdentitySource, Integration,
        LambdaIntegration, PayloadVersion, Route, RouteAuth, Stage,
    },
};

/// An authorizer as read, with its `AuthorizationScopes` (the scopes of routes that name none).
pub(super) struct ReadAuthorizer {
    pub config: AuthorizerConfig,
    pub scopes: Vec<String>,
}

pub(super) const HTTP_API: &str = "AWS::Serverless::HttpApi";
/// SAM's name for the API it creates when `HttpApi` events give no `ApiId`.
pub(super) const IMPLICIT_API: &str = "ServerlessHttpApi";
/// API Gateway's integration timeout when the route sets none (and its maximum).
const MAX_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

type Authorizers = BTreeMap<String, ReadAuthorizer>;

/// Reads the HTTP API `logical_id` (or SAM's implicit one).
pub(super) fn read(
    template: &Template,
    resolver: &Resolver<'_>,
    logical_id: &str,
) -> Result<Api, TemplateError> {
    reject_global_settings(template, "HttpApi", &["Auth", "CorsConfiguration"])?;
    let resource = match logical_id {
        IMPLICIT_API => None,
        id => Some(template.resource_of_kind(id, HTTP_API)?),
    };
    let mut authorizers = BTreeMap::new();
    let mut default_authorizer = None;
    let mut cors = None;
    if let Some(resource) = resource {
        if let Some(auth) = resource.property("Auth") {
            let at = resource.property_location("Auth");
            (authorizers, default_authorizer) = read_auth(resolver, auth, &at)?;
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
    for event in events(template, resolver, "HttpApi")? {
        let prop = |key: &str| event.properties.and_then(|p| p.get(key));
        let api_of_event = match prop("ApiId") {
            Some(api_id) => api_reference(api_id, &event.at.child("ApiId"))?,
            None => IMPLICIT_API.to_owned(),
        };
        if api_of_event != logical_id {
            continue;
        }
        let route = read_route(
            resolver,
            &prop,
            &event.at,
            event.function,
            &authorizers,
            default_authorizer.as_deref(),
        )?;
        if let Some(existing) = routes.iter().find(|r| r.route_key() == route.route_key()) {
            return Err(TemplateError::invalid(
                &event.at,
                format!(
                    "route `{}` is already defined by {}",
                    route.route_key(),
                    existing.function().map_or("?", |f| f.logical_id.as_str())
                ),
            ));
        }
        routes.push(route);
    }
    if routes.is_empty() {
        return Err(TemplateError::invalid(
            &Location::new(logical_id, ""),
            "no function has an HttpApi event for this API",
        ));
    }
    Ok(Api {
        id: logical_id.to_owned(),
        kind: ApiKind::Http,
        stages: vec![Stage::named(Stage::DEFAULT)],
        routes,
        authorizers: configs(authorizers),
        cors,
        gateway_responses: BTreeMap::new(),
        binary_media_types: Vec::new(),
    })
}

pub(super) fn configs(authorizers: Authorizers) -> BTreeMap<String, AuthorizerConfig> {
    authorizers
        .into_iter()
        .map(|(name, read)| (name, read.config))
        .collect()
}

/// SAM lets `Globals.<Api>` carry auth and CORS; silently ignoring them would leave routes
/// unprotected, so they are refused instead.
pub(super) fn reject_global_settings(
    template: &Template,
    section: &str,
    keys: &[&str],
) -> Result<(), TemplateError> {
    if let Some(globals) = template.globals().get(section) {
        for key in keys {
            if globals.get(key).is_some() {
                return Err(TemplateError::invalid(
                    &Location::new("Globals", format!("{section}.{key}")),
                    "not supported by the local API; set it on the API resource",
                ));
            }
        }
    }
    Ok(())
}

fn read_auth(
    resolver: &Resolver<'_>,
    auth: &Yaml,
    at: &Location,
) -> Result<(Authorizers, Option<String>), TemplateError> {
    let authorizers = read_authorizers(auth, at, "JWT", |name, config, at| {
        read_jwt_authorizer(resolver, name, config, at)
    })?;
    let default = read_default_authorizer(resolver, auth, at, &authorizers)?;
    Ok((authorizers, default))
}

/// `Auth.Authorizers`, each read by `read_one` (the API kind's reader of its `supported` type).
/// The local API runs no authorizer function: a Lambda authorizer is an error, not a route
/// served unprotected.
pub(super) fn read_authorizers(
    auth: &Yaml,
    at: &Location,
    supported: &str,
    read_one: impl Fn(&str, &Yaml, &Location) -> Result<ReadAuthorizer, TemplateError>,
) -> Result<Authorizers, TemplateError> {
    let mut authorizers = BTreeMap::new();
    let Some(found) = auth.get("Authorizers") else {
        return Ok(authorizers);
    };
    let list_at = at.child("Authorizers");
    let found = found
        .as_mapping()
        .ok_or_else(|| TemplateError::invalid(&list_at, "expected a mapping of authorizers"))?;
    for (name, config) in found {
        let name = name
            .as_str()
            .ok_or_else(|| TemplateError::invalid(&list_at, "authorizer names must be strings"))?;
        let at = list_at.child(name);
        if config.get("FunctionArn").is_some() {
            return Err(TemplateError::invalid(
                &at,
                format!(
                    "Lambda authorizers are not supported by the local API; only {supported} authorizers are"
                ),
            ));
        }
        authorizers.insert(name.to_owned(), read_one(name, config, &at)?);
    }
    Ok(authorizers)
}

/// `Auth.DefaultAuthorizer`: a name among `authorizers`, or `NONE` (no default).
pub(super) fn read_default_authorizer(
    resolver: &Resolver<'_>,
    auth: &Yaml,
    at: &Location,
    authorizers: &Authorizers,
) -> Result<Option<String>, TemplateError> {
    let Some(value) = auth.get("DefaultAuthorizer") else {
        return Ok(None);
    };
    let default_at = at.child("DefaultAuthorizer");
    let name = resolver.eval_string(value, &default_at)?;
    if name != "NONE" && !authorizers.contains_key(&name) {
        return Err(TemplateError::invalid(
            &default_at,
            format!("no authorizer named `{name}`"),
        ));
    }
    Ok((name != "NONE").then_some(name))
}

fn read_jwt_authorizer(
    resolver: &Resolver<'_>,
    _name: &str,
    config: &Yaml,
    at: &Location,
) -> Result<ReadAuthorizer, TemplateError> {
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
    let identity = match config.get("IdentitySource") {
        None => IdentitySource::Header("authorization".into()),
        Some(value) => {
            parse_identity_source(&resolver.eval_string(value, &source_at)?, &source_at)?
        }
    };
    let scopes = match config.get("AuthorizationScopes") {
        Some(value) => resolver.eval_string_list(value, &at.child("AuthorizationScopes"))?,
        None => Vec::new(),
    };
    Ok(ReadAuthorizer {
        config: AuthorizerConfig::Jwt(JwtConfig {
            issuer,
            audience,
            identity,
        }),
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
    let lower = |items: Vec<String>| items.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    Ok(Some(CorsConfig {
        allow_origins: list("AllowOrigins")?,
        allow_methods: list("AllowMethods")?
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        allow_headers: lower(list("AllowHeaders")?),
        expose_headers: lower(list("ExposeHeaders")?),
        max_age,
        allow_credentials,
    }))
}

fn read_route<'a>(
    resolver: &Resolver<'_>,
    prop: &dyn Fn(&str) -> Option<&'a Yaml>,
    at: &Location,
    function: FunctionTarget,
    authorizers: &Authorizers,
    default_authorizer: Option<&str>,
) -> Result<Route, TemplateError> {
    let string = |key: &str| -> Result<Option<String>, TemplateError> {
        prop(key)
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
            if path != "$default" {
                validate_path(&path, &at.child("Path"))?;
            }
            (method, path)
        }
        (Some(_), None) => {
            return Err(TemplateError::invalid(
                &at.child("Path"),
                "a route with a Method needs a Path",
            ));
        }
    };
    let auth = route_auth(
        resolver,
        prop("Auth"),
        &at.child("Auth"),
        authorizers,
        default_authorizer,
    )?;
    let integration_timeout = integration_timeout(
        resolver,
        prop("TimeoutInMillis"),
        &at.child("TimeoutInMillis"),
        MAX_INTEGRATION_TIMEOUT,
    )?;
    Ok(Route {
        method,
        path,
        integration: Integration::Lambda(LambdaIntegration {
            function,
            payload: PayloadVersion::V2,
            timeout: integration_timeout,
        }),
        auth,
    })
}

/// An event's `Auth`: its `Authorizer` (a name, or `NONE`) else the API's default, and its
/// `AuthorizationScopes` else the authorizer's.
pub(super) fn route_auth(
    resolver: &Resolver<'_>,
    auth: Option<&Yaml>,
    auth_at: &Location,
    authorizers: &Authorizers,
    default_authorizer: Option<&str>,
) -> Result<RouteAuth, TemplateError> {
    let authorizer = match auth.and_then(|a| a.get("Authorizer")) {
        Some(value) => Some(resolver.eval_string(value, &auth_at.child("Authorizer"))?),
        None => default_authorizer.map(str::to_owned),
    };
    let Some(name) = authorizer.filter(|name| name != "NONE") else {
        return Ok(RouteAuth::None);
    };
    let authorizer = authorizers.get(&name).ok_or_else(|| {
        TemplateError::invalid(
            &auth_at.child("Authorizer"),
            format!("no authorizer named `{name}` on the API"),
        )
    })?;
    let scopes = match auth.and_then(|a| a.get("AuthorizationScopes")) {
        Some(value) => resolver.eval_string_list(value, &auth_at.child("AuthorizationScopes"))?,
        None => authorizer.scopes.clone(),
    };
    Ok(RouteAuth::Authorizer { name, scopes })
}
