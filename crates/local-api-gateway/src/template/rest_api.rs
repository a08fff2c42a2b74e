//! The REST API as SAM describes it (`AWS::Serverless::Api`): routes from the functions' `Api`
//! events, the stage, Cognito user pool authorizers, `Cors` (the OPTIONS methods SAM adds),
//! `GatewayResponses`, `BinaryMediaTypes` and stage `Variables`.
//!
//! Properties that change nothing a local request can observe (`MethodSettings` throttling,
//! `AccessLogSetting`, `TracingEnabled`, `OpenApiVersion`, `EndpointConfiguration`, ...) are
//! read by nobody here; properties that would change who gets in or what the function receives,
//! and that the local API does not implement, are errors.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::Value as Yaml;

use super::http_api::{ReadAuthorizer, configs};
use super::{
    Location, Resolver, Template, TemplateError,
    function::{api_reference, events, integration_timeout, validate_path},
    http_api::{read_authorizers, read_default_authorizer, reject_global_settings, route_auth},
};
use crate::{
    authorizer::cognito::{CognitoConfig, Pattern, issuer_of_user_pool_arn},
    model::{
        Api, ApiKind, AuthorizerConfig, GatewayResponse, IdentitySource, Integration,
        LambdaIntegration, MockResponse, PayloadVersion, Route, RouteAuth, Stage,
    },
};

pub(super) const REST_API: &str = "AWS::Serverless::Api";
/// SAM's name for the API it creates when `Api` events give no `RestApiId`.
pub(super) const IMPLICIT_API: &str = "ServerlessRestApi";
/// The REST API integration timeout (the default quota, and its default).
const MAX_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// Properties that the local API would have to implement to be faithful, and does not.
const UNSUPPORTED: &[&str] = &[
    "DefinitionBody",
    "DefinitionUri",
    "ApiKeySourceType",
    "Domain",
];

type Authorizers = BTreeMap<String, ReadAuthorizer>;

pub(super) fn read(
    template: &Template,
    resolver: &Resolver<'_>,
    logical_id: &str,
) -> Result<Api, TemplateError> {
    reject_global_settings(template, "Api", &["Auth", "Cors", "GatewayResponses"])?;
    let resource = match logical_id {
        IMPLICIT_API => None,
        id => Some(template.resource_of_kind(id, REST_API)?),
    };
    let property = |name: &str| resource.and_then(|r| r.property(name));
    let at = |name: &str| Location::new(logical_id, name);
    for name in UNSUPPORTED {
        if property(name).is_some() {
            return Err(TemplateError::invalid(
                &at(name),
                "not supported by the local API: routes, auth and integrations must come from the functions' Api events",
            ));
        }
    }
    let stage = match property("StageName") {
        Some(value) => resolver.eval_string(value, &at("StageName"))?,
        // SAM's implicit API is deployed to a stage named Prod.
        None if resource.is_none() => "Prod".to_owned(),
        None => return Err(TemplateError::invalid(&at("StageName"), "missing")),
    };
    if stage.is_empty()
        || !stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(TemplateError::invalid(
            &at("StageName"),
            format!("`{stage}` is not a valid stage name"),
        ));
    }

    let (authorizers, default_authorizer, preflight_authorized) = match property("Auth") {
        Some(auth) => read_auth(resolver, auth, &at("Auth"))?,
        None => (BTreeMap::new(), None, false),
    };

    let mut routes: Vec<Route> = Vec::new();
    for event in events(template, resolver, "Api")? {
        let prop = |key: &str| event.properties.and_then(|p| p.get(key));
        let api_of_event = match prop("RestApiId") {
            Some(api_id) => api_reference(api_id, &event.at.child("RestApiId"))?,
            None => IMPLICIT_API.to_owned(),
        };
        if api_of_event != logical_id {
            continue;
        }
        let string = |key: &str| {
            prop(key)
                .map(|v| resolver.eval_string(v, &event.at.child(key)))
                .transpose()
        };
        let path = string("Path")?
            .ok_or_else(|| TemplateError::invalid(&event.at.child("Path"), "missing"))?;
        validate_path(&path, &event.at.child("Path"))?;
        let method = string("Method")?
            .ok_or_else(|| TemplateError::invalid(&event.at.child("Method"), "missing"))?
            .to_ascii_uppercase();
        let auth = prop("Auth");
        for unsupported in ["ApiKeyRequired", "ResourcePolicy", "InvokeRole"] {
            if auth.and_then(|a| a.get(unsupported)).is_some() {
                return Err(TemplateError::invalid(
                    &event.at.child("Auth").child(unsupported),
                    "not supported by the local API",
                ));
            }
        }
        let route = Route {
            auth: route_auth(
                resolver,
                auth,
                &event.at.child("Auth"),
                &authorizers,
                default_authorizer.as_deref(),
            )?,
            integration: Integration::Lambda(LambdaIntegration {
                function: event.function,
                payload: PayloadVersion::V1,
                timeout: integration_timeout(
                    resolver,
                    prop("TimeoutInMillis"),
                    &event.at.child("TimeoutInMillis"),
                    MAX_INTEGRATION_TIMEOUT,
                )?,
            }),
            method,
            path,
        };
        if let Some(existing) = routes
            .iter()
            .find(|r| r.method == route.method && r.path == route.path)
        {
            return Err(TemplateError::invalid(
                &event.at,
                format!(
                    "method `{}` is already defined by {}",
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
            "no function has an Api event for this API",
        ));
    }

    if let Some(cors) = property("Cors") {
        let headers = read_cors(resolver, cors, &at("Cors"))?;
        let auth = match default_authorizer
            .as_deref()
            .filter(|_| preflight_authorized)
        {
            Some(name) => RouteAuth::Authorizer {
                name: name.to_owned(),
                scopes: authorizers
                    .get(name)
                    .map(|a| a.scopes.clone())
                    .unwrap_or_default(),
            },
            None => RouteAuth::None,
        };
        add_preflights(&mut routes, &headers, &auth);
    }
    let gateway_responses = match property("GatewayResponses") {
        Some(value) => read_gateway_responses(resolver, value, &at("GatewayResponses"))?,
        None => BTreeMap::new(),
    };
    let binary_media_types = match property("BinaryMediaTypes") {
        Some(value) => resolver
            .eval_string_list(value, &at("BinaryMediaTypes"))?
            .into_iter()
            .map(|t| t.replace("~1", "/"))
            .collect(),
        None => Vec::new(),
    };
    let variables = match property("Variables") {
        Some(value) => read_string_map(resolver, value, &at("Variables"))?,
        None => BTreeMap::new(),
    };
    Ok(Api {
        id: logical_id.to_owned(),
        kind: ApiKind::Rest,
        stages: vec![Stage {
            name: stage,
            variables,
        }],
        routes,
        authorizers: configs(authorizers),
        cors: None,
        gateway_responses,
        binary_media_types,
    })
}

/// SAM's `Cors`: an OPTIONS method on every path that has none, a MOCK integration answering
/// 200 with the configured headers, whoever asks. Without `AllowMethods` it lists the path's
/// methods and OPTIONS, sorted (`ANY` stands for every method).
fn add_preflights(routes: &mut Vec<Route>, headers: &[(String, String)], auth: &RouteAuth) {
    let mut paths: Vec<String> = routes.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        let methods: Vec<&str> = routes
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.method.as_str())
            .collect();
        if methods.contains(&"OPTIONS") {
            continue;
        }
        let mut headers = headers.to_vec();
        if !headers
            .iter()
            .any(|(name, _)| name == "access-control-allow-methods")
        {
            let mut allowed: Vec<&str> = if methods.contains(&"ANY") {
                vec!["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
            } else {
                methods.iter().copied().chain(["OPTIONS"]).collect()
            };
            allowed.sort_unstable();
            allowed.dedup();
            headers.push(("access-control-allow-methods".into(), allowed.join(",")));
        }
        headers.push(("content-type".into(), "application/json".into()));
        routes.push(Route {
            method: "OPTIONS".into(),
            path,
            integration: Integration::Mock(MockResponse {
                status: 200,
                headers,
                body: "{}".into(),
            }),
            auth: auth.clone(),
        });
    }
}

/// The authorizers, the default one, and whether SAM puts the default authorizer on the CORS
/// preflight (`AddDefaultAuthorizerToCorsPreflight`, true unless set to false).
fn read_auth(
    resolver: &Resolver<'_>,
    auth: &Yaml,
    at: &Location,
) -> Result<(Authorizers, Option<String>, bool), TemplateError> {
    for unsupported in [
        "ApiKeyRequired",
        "ResourcePolicy",
        "UsagePlan",
        "InvokeRole",
    ] {
        if auth.get(unsupported).is_some() {
            return Err(TemplateError::invalid(
                &at.child(unsupported),
                "not supported by the local API",
            ));
        }
    }
    let authorizers = read_authorizers(auth, at, "Cognito user pool", |name, config, at| {
        read_cognito_authorizer(resolver, name, config, at)
    })?;
    let default = read_default_authorizer(resolver, auth, at, &authorizers)?;
    let on_preflight = match auth.get("AddDefaultAuthorizerToCorsPreflight") {
        Some(value) => {
            resolver.eval_bool(value, &at.child("AddDefaultAuthorizerToCorsPreflight"))?
        }
        None => true,
    };
    Ok((authorizers, default, on_preflight))
}

fn read_cognito_authorizer(
    resolver: &Resolver<'_>,
    _name: &str,
    config: &Yaml,
    at: &Location,
) -> Result<ReadAuthorizer, TemplateError> {
    let arn_at = at.child("UserPoolArn");
    let arns = match config.get("UserPoolArn") {
        None => return Err(TemplateError::invalid(&arn_at, "missing")),
        Some(value @ Yaml::Sequence(_)) => resolver.eval_string_list(value, &arn_at)?,
        Some(value) => vec![resolver.eval_string(value, &arn_at)?],
    };
    if arns.is_empty() {
        return Err(TemplateError::invalid(&arn_at, "names no user pool"));
    }
    let issuers = arns
        .iter()
        .map(|arn| {
            issuer_of_user_pool_arn(arn).ok_or_else(|| {
                TemplateError::invalid(
                    &arn_at,
                    format!("`{arn}` is not a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let identity = config.get("Identity");
    let identity_at = at.child("Identity");
    for unsupported in ["QueryStrings", "StageVariables", "Context", "Headers"] {
        if identity.and_then(|i| i.get(unsupported)).is_some() {
            return Err(TemplateError::invalid(
                &identity_at.child(unsupported),
                "not used by Cognito authorizers; use Identity.Header",
            ));
        }
    }
    let header = match identity.and_then(|i| i.get("Header")) {
        Some(value) => resolver.eval_string(value, &identity_at.child("Header"))?,
        None => "Authorization".to_owned(),
    };
    let expression_at = identity_at.child("ValidationExpression");
    let expression = identity
        .and_then(|i| i.get("ValidationExpression"))
        .map(|value| resolver.eval_string(value, &expression_at))
        .transpose()?;
    let audience_pattern = expression
        .as_deref()
        .map(Pattern::whole)
        .transpose()
        .map_err(|e| {
            TemplateError::invalid(
                &expression_at,
                format!("not a valid regular expression: {e}"),
            )
        })?;
    let scopes = match config.get("AuthorizationScopes") {
        Some(value) => resolver.eval_string_list(value, &at.child("AuthorizationScopes"))?,
        None => Vec::new(),
    };
    Ok(ReadAuthorizer {
        config: AuthorizerConfig::Cognito(CognitoConfig {
            issuers,
            audience_pattern,
            identity: IdentitySource::Header(header.to_ascii_lowercase()),
        }),
        scopes,
    })
}

/// SAM's `Cors`: a quoted origin (`"'https://example.com'"`), or a mapping of quoted header
/// values. The headers of the MOCK response, except `Access-Control-Allow-Methods` when not set:
/// SAM then lists the path's own methods (filled in per path by the gateway).
fn read_cors(
    resolver: &Resolver<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<Vec<(String, String)>, TemplateError> {
    let quoted = |value: &Yaml, at: &Location| -> Result<String, TemplateError> {
        let text = resolver.eval_string(value, at)?;
        unquote(&text).map(str::to_owned).ok_or_else(|| {
            TemplateError::invalid(
                at,
                format!("`{text}`: SAM needs the value in single quotes, e.g. \"'{text}'\""),
            )
        })
    };
    if value.as_mapping().is_none() {
        let origin = quoted(value, at)?;
        return Ok(vec![("access-control-allow-origin".into(), origin)]);
    }
    let mut headers = Vec::new();
    let origin_at = at.child("AllowOrigin");
    let origin = value
        .get("AllowOrigin")
        .ok_or_else(|| TemplateError::invalid(&origin_at, "missing"))?;
    headers.push((
        "access-control-allow-origin".into(),
        quoted(origin, &origin_at)?,
    ));
    for (key, header) in [
        ("AllowMethods", "access-control-allow-methods"),
        ("AllowHeaders", "access-control-allow-headers"),
        ("MaxAge", "access-control-max-age"),
    ] {
        if let Some(v) = value.get(key) {
            headers.push((header.into(), quoted(v, &at.child(key))?));
        }
    }
    if let Some(v) = value.get("AllowCredentials")
        && resolver.eval_bool(v, &at.child("AllowCredentials"))?
    {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
    Ok(headers)
}

/// `'value'` -> `value`: API Gateway mapping values are quoted literals (unquoted ones are
/// expressions like `method.request.header.x`, which the local API does not evaluate).
fn unquote(text: &str) -> Option<&str> {
    text.strip_prefix('\'')?.strip_suffix('\'')
}

fn read_gateway_responses(
    resolver: &Resolver<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<BTreeMap<String, GatewayResponse>, TemplateError> {
    let responses = value
        .as_mapping()
        .ok_or_else(|| TemplateError::invalid(at, "expected a mapping of gateway responses"))?;
    let mut found = BTreeMap::new();
    for (kind, config) in responses {
        let kind = kind
            .as_str()
            .ok_or_else(|| TemplateError::invalid(at, "response types must be strings"))?;
        let kind_at = at.child(kind);
        if config.get("ResponseTemplates").is_some() {
            return Err(TemplateError::invalid(
                &kind_at.child("ResponseTemplates"),
                "response templates are not supported by the local API",
            ));
        }
        let status = match config.get("StatusCode") {
            Some(v) => {
                let status_at = kind_at.child("StatusCode");
                Some(
                    resolver
                        .eval_string(v, &status_at)?
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                        .ok_or_else(|| {
                            TemplateError::invalid(&status_at, "expected an HTTP status")
                        })?,
                )
            }
            None => None,
        };
        let params = config.get("ResponseParameters");
        let params_at = kind_at.child("ResponseParameters");
        for unsupported in ["Paths", "QueryStrings"] {
            if params.and_then(|p| p.get(unsupported)).is_some() {
                return Err(TemplateError::invalid(
                    &params_at.child(unsupported),
                    "not supported by the local API",
                ));
            }
        }
        let mut headers = Vec::new();
        if let Some(map) = params.and_then(|p| p.get("Headers")) {
            let headers_at = params_at.child("Headers");
            for (name, value) in read_string_map(resolver, map, &headers_at)? {
                let value = unquote(&value).map(str::to_owned).ok_or_else(|| {
                    TemplateError::invalid(
                        &headers_at.child(&name),
                        format!("`{value}`: only quoted literal values are supported locally"),
                    )
                })?;
                headers.push((name.to_ascii_lowercase(), value));
            }
        }
        found.insert(kind.to_owned(), GatewayResponse { status, headers });
    }
    Ok(found)
}

fn read_string_map(
    resolver: &Resolver<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let map = value
        .as_mapping()
        .ok_or_else(|| TemplateError::invalid(at, "expected a mapping"))?;
    let mut found = BTreeMap::new();
    for (name, value) in map {
        let name = name
            .as_str()
            .ok_or_else(|| TemplateError::invalid(at, "names must be strings"))?;
        found.insert(
            name.to_owned(),
            resolver.eval_string(value, &at.child(name))?,
        );
    }
    Ok(found)
}
