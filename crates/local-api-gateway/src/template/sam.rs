//! SAM's APIs (`AWS::Serverless::Api`, `AWS::Serverless::HttpApi`, and the implicit
//! `ServerlessRestApi` / `ServerlessHttpApi`), read the way the SAM translator builds them
//! (samtranslator 1.115: `plugins/api/implicit_*_api_plugin.py`, `model/eventsources/push.py`,
//! `model/api/*_generator.py`, `swagger/swagger.py`, `open_api/open_api.py`):
//!
//! - events without `RestApiId` / `ApiId` go to the implicit APIs (stage `Prod`, and the extra
//!   `Stage` stage unless `OpenApiVersion` is set; `$default`), which get `Globals` too;
//! - the API starts from its `DefinitionBody` / `DefinitionUri`, or from nothing;
//! - REST events add their method only to a body SAM manages (no body of the user's) or with
//!   `MergeDefinitions`; on a user's body an event's `Auth` counts only with `OverrideApiAuth`.
//!   HTTP events always add theirs, keeping an integration the body already has, and their
//!   `Auth` always counts;
//! - then `Cors` (REST: an OPTIONS MOCK on every path that has none), then `Auth`: the default
//!   authorizer and `ApiKeyRequired` reach every method that has an integration, the user's
//!   included (REST: not OPTIONS when `AddDefaultAuthorizerToCorsPreflight` /
//!   `AddApiKeyRequiredToCorsPreflight` are false; HTTP: never OPTIONS, and an empty `security`
//!   is replaced), then `GatewayResponses` and `BinaryMediaTypes`.
//!
//! The result is a [`Definition`], read like any OpenAPI document.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{
    Context, Location, Resource, TemplateError, api_keys,
    definition::{API_KEY, Definition, IAM, NONE, Operation, Requirement, Scheme},
    functions::{FunctionEvent, api_reference, integration_timeout, validate_path},
    globals,
    intrinsics::is_function,
    openapi::{
        self, cognito_config, http_identity_source, jwt_config, max_integration_timeout, unquote,
    },
};
use std::time::Duration;

use super::lambda_authorizers;
use crate::{
    authorizer::lambda::{Flavor, LambdaConfig},
    model::{
        Api, ApiKind, AuthorizerConfig, CorsConfig, GatewayResponse, IdentitySource, Integration,
        MockResponse, PayloadVersion, Stage,
    },
};

pub(super) const REST_API: &str = "AWS::Serverless::Api";
pub(super) const HTTP_API: &str = "AWS::Serverless::HttpApi";
pub(super) const IMPLICIT_REST_API: &str = "ServerlessRestApi";
pub(super) const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// SAM's marker for an event's `ApiKeyRequired: false`, removed once the API's own applies.
const API_KEY_FALSE: &str = "api_key_false";

/// The methods SAM lists for a CORS preflight when the path has `ANY`.
const ANY_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

/// Every SAM API of the template.
pub(super) fn read(cx: &mut Context<'_>, apis: &mut Vec<Api>) -> Result<(), TemplateError> {
    for kind in [ApiKind::Http, ApiKind::Rest] {
        let (resource_type, implicit, event_type, reference) = match kind {
            ApiKind::Http => (HTTP_API, IMPLICIT_HTTP_API, "HttpApi", "ApiId"),
            ApiKind::Rest => (REST_API, IMPLICIT_REST_API, "Api", "RestApiId"),
        };
        let mut ids: Vec<String> = Vec::new();
        for resource in cx.template.resources().filter(|r| r.kind == resource_type) {
            if cx.holds(resource)? {
                ids.push(resource.logical_id.to_owned());
            }
        }
        // Which API each event goes to.
        let mut targets: Vec<String> = Vec::new();
        for event in cx.functions.events(event_type)? {
            let target = match event.property(reference) {
                None => implicit.to_owned(),
                Some(value) => api_reference(value, &event.at.child(reference))?,
            };
            if target != implicit && !ids.contains(&target) {
                return Err(TemplateError::invalid(
                    &event.at.child(reference),
                    format!(
                        "{reference} must be a valid reference to an '{resource_type}' resource in same template"
                    ),
                ));
            }
            targets.push(target);
        }
        if targets.iter().any(|t| t == implicit) {
            if cx.template.resource(implicit).is_some() {
                cx.warnings.push(format!(
                    "`{implicit}`: SAM replaces a resource of this name with the API it makes for events without {reference}; its own properties are ignored"
                ));
            }
            ids.retain(|id| id != implicit);
            ids.push(implicit.to_owned());
        }
        for id in ids {
            let resource = if id == implicit {
                None
            } else {
                cx.template.resource(&id)
            };
            let events: Vec<usize> = targets
                .iter()
                .enumerate()
                .filter(|(_, t)| **t == id)
                .map(|(i, _)| i)
                .collect();
            let api = read_api(cx, kind, &id, resource, &events)?;
            if api.routes.is_empty() {
                cx.warnings
                    .push(format!("`{id}`: the API has no routes; it is not served"));
            } else {
                apis.push(api);
            }
        }
    }
    Ok(())
}

/// The settings of one SAM API, `Globals` merged in.
struct SamApi<'p> {
    id: &'p str,
    kind: ApiKind,
    properties: &'p Mapping,
    /// Authorizer names SAM knows, with their `AuthorizationScopes` (the scopes of methods that
    /// name none).
    authorizers: BTreeMap<String, Vec<String>>,
    default_authorizer: Option<String>,
}

impl SamApi<'_> {
    fn at(&self, property: &str) -> Location {
        Location::new(self.id, property)
    }

    fn property(&self, name: &str) -> Option<&Yaml> {
        self.properties.get(name)
    }

    fn auth(&self, key: &str) -> Option<&Yaml> {
        self.property("Auth").and_then(|auth| auth.get(key))
    }
}

fn read_api(
    cx: &mut Context<'_>,
    kind: ApiKind,
    id: &str,
    resource: Option<Resource<'_>>,
    event_indexes: &[usize],
) -> Result<Api, TemplateError> {
    let section = match kind {
        ApiKind::Http => "HttpApi",
        ApiKind::Rest => "Api",
    };
    let properties = globals::merged(cx.template, section, resource.as_ref())?;
    let mut api = SamApi {
        id,
        kind,
        properties: &properties,
        authorizers: BTreeMap::new(),
        default_authorizer: None,
    };
    refuse_unsupported(cx, &api)?;
    let body = match (
        api.property("DefinitionBody"),
        api.property("DefinitionUri"),
    ) {
        (Some(_), Some(_)) => {
            return Err(TemplateError::invalid(
                &api.at("DefinitionUri"),
                "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both",
            ));
        }
        (Some(body), None) => Some(cx.inline_body(body, &api.at("DefinitionBody"))?),
        (None, Some(uri)) => Some(cx.body_file(uri, &api.at("DefinitionUri"))?),
        (None, None) => None,
    };
    let managed = body.is_none();
    // SAM cannot write into a document it only knows by its location: events then add no route.
    let from_file = api.property("DefinitionUri").is_some();
    let mut definition = match &body {
        Some((body, at)) => openapi::read(cx, kind, body, at)?,
        None => Definition::new(kind),
    };
    if from_file {
        for key in ["Auth", "Cors", "CorsConfiguration", "GatewayResponses"] {
            if api.property(key).is_some() {
                return Err(TemplateError::invalid(
                    &api.at(key),
                    format!("{key} works only with an inline definition in 'DefinitionBody'"),
                ));
            }
        }
    }
    read_authorizers(cx, &mut api, &mut definition)?;

    let merge = match api.property("MergeDefinitions") {
        Some(value) => cx.resolver.eval_bool(value, &api.at("MergeDefinitions"))?,
        None => false,
    };
    let mut warnings = Vec::new();
    let events = cx.functions.events(match kind {
        ApiKind::Http => "HttpApi",
        ApiKind::Rest => "Api",
    })?;
    for &i in event_indexes.iter().filter(|_| !from_file) {
        let event = &events[i];
        match kind {
            ApiKind::Rest => {
                add_rest_event(
                    cx,
                    &api,
                    &mut definition,
                    event,
                    (managed, merge),
                    &mut warnings,
                )?;
            }
            ApiKind::Http => add_http_event(cx, &api, &mut definition, event, managed)?,
        }
    }
    drop(events);
    cx.warnings.append(&mut warnings);

    match kind {
        ApiKind::Rest => {
            if let Some(cors) = api.property("Cors") {
                add_preflights(cx, &mut definition, cors, &api.at("Cors"))?;
            }
            apply_rest_auth(cx, &api, &mut definition)?;
            if let Some(source) = api.property("ApiKeySourceType") {
                definition.api_key_source =
                    openapi::api_key_source(cx, source, &api.at("ApiKeySourceType"))?;
            }
            if let Some(responses) = api.property("GatewayResponses") {
                let responses = read_gateway_responses(cx, responses, &api.at("GatewayResponses"))?;
                definition.gateway_responses.extend(responses);
            }
            if let Some(types) = api.property("BinaryMediaTypes") {
                for media_type in cx
                    .resolver
                    .eval_string_list(types, &api.at("BinaryMediaTypes"))?
                {
                    let media_type = media_type.replace("~1", "/");
                    if !definition.binary_media_types.contains(&media_type) {
                        definition.binary_media_types.push(media_type);
                    }
                }
            }
        }
        ApiKind::Http => {
            if let Some(cors) = api.property("CorsConfiguration") {
                read_cors_configuration(cx, &mut definition, cors, &api.at("CorsConfiguration"))?;
            }
            apply_http_auth(&api, &mut definition);
        }
    }
    let stages = stages(cx, &api, resource.is_none())?;
    if let (ApiKind::Rest, Some(plan), Some(stage)) = (kind, api.auth("UsagePlan"), stages.first())
        && let Some(plan) = api_keys::sam_usage_plan(
            cx,
            id,
            &stage.name,
            plan,
            &api.at("Auth").child("UsagePlan"),
        )?
    {
        cx.usage_plans.push(plan);
    }
    definition.into_api(id, stages, &mut cx.warnings)
}

/// Properties that change who may call the API, which the local API does not emulate: refused
/// rather than dropped.
/// The keys samtranslator takes in an API's `Auth` (api_generator.py / http_api_generator.py
/// `AuthProperties`); any other is its "Invalid value for 'Auth' property".
const REST_AUTH_KEYS: &[&str] = &[
    "Authorizers",
    "DefaultAuthorizer",
    "InvokeRole",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
    "ApiKeyRequired",
    "ResourcePolicy",
    "UsagePlan",
];
const HTTP_AUTH_KEYS: &[&str] = &["Authorizers", "DefaultAuthorizer", "EnableIamAuthorizer"];

fn refuse_unsupported(cx: &Context<'_>, api: &SamApi<'_>) -> Result<(), TemplateError> {
    if let Some(auth) = api.property("Auth").and_then(Yaml::as_mapping) {
        let known = match api.kind {
            ApiKind::Rest => REST_AUTH_KEYS,
            ApiKind::Http => HTTP_AUTH_KEYS,
        };
        if let Some(key) = auth
            .keys()
            .find(|key| !key.as_str().is_some_and(|k| known.contains(&k)))
        {
            let key = key.as_str().unwrap_or("?");
            return Err(TemplateError::invalid(
                &api.at("Auth").child(key),
                format!(
                    "Invalid value for 'Auth' property: {} Auth takes {}",
                    match api.kind {
                        ApiKind::Rest => "a REST API's",
                        ApiKind::Http => "an HTTP API's",
                    },
                    known.join(", ")
                ),
            ));
        }
    }
    if api.auth("ResourcePolicy").is_some() {
        return Err(TemplateError::invalid(
            &api.at("Auth.ResourcePolicy"),
            "a resource policy decides who may call; the local API does not evaluate resource policies",
        ));
    }
    // SAM's `EndpointConfiguration` is a type, or an object with `Type`.
    let at = api.at("EndpointConfiguration");
    let endpoint_type = match api.property("EndpointConfiguration") {
        Some(config) => match cx.resolver.select(config, &at)? {
            Some(object @ Yaml::Mapping(map)) if !is_function(object) => match map.get("Type") {
                Some(t) => Some(cx.resolver.eval_string(t, &at.child("Type"))?),
                None => None,
            },
            Some(name) => Some(cx.resolver.eval_string(name, &at)?),
            None => None,
        },
        None => None,
    };
    cx.refuse_unreachable(
        api.property("DisableExecuteApiEndpoint"),
        &api.at("DisableExecuteApiEndpoint"),
        endpoint_type.as_slice(),
        &at,
    )
}

/// `Auth.Authorizers` and `Auth.DefaultAuthorizer`, as security schemes of the definition.
fn read_authorizers(
    cx: &mut Context<'_>,
    api: &mut SamApi<'_>,
    definition: &mut Definition,
) -> Result<(), TemplateError> {
    let auth_at = api.at("Auth");
    if let Some(found) = api
        .properties
        .get("Auth")
        .and_then(|a| a.get("Authorizers"))
    {
        let list_at = auth_at.child("Authorizers");
        let found = found
            .as_mapping()
            .ok_or_else(|| TemplateError::invalid(&list_at, "expected a mapping of authorizers"))?;
        for (name, config) in found {
            let name = name.as_str().ok_or_else(|| {
                TemplateError::invalid(&list_at, "authorizer names must be strings")
            })?;
            let at = list_at.child(name);
            let scopes = match config.get("AuthorizationScopes") {
                Some(value) => cx
                    .resolver
                    .eval_string_list(value, &at.child("AuthorizationScopes"))?,
                None => Vec::new(),
            };
            let scheme = match api.kind {
                ApiKind::Rest => rest_authorizer(cx, config, &at)?,
                ApiKind::Http => http_authorizer(cx, config, &at)?,
            };
            definition.schemes.insert(name.to_owned(), scheme);
            api.authorizers.insert(name.to_owned(), scopes);
        }
    }
    let iam_enabled = match api.auth("EnableIamAuthorizer") {
        Some(value) => cx
            .resolver
            .eval_bool(value, &auth_at.child("EnableIamAuthorizer"))?,
        None => false,
    };
    if api.kind == ApiKind::Rest || iam_enabled {
        api.authorizers.insert(IAM.to_owned(), Vec::new());
    }
    if let Some(value) = api.auth("DefaultAuthorizer") {
        let at = auth_at.child("DefaultAuthorizer");
        let name = cx.resolver.eval_string(value, &at)?;
        if name != NONE && !api.authorizers.contains_key(&name) {
            return Err(TemplateError::invalid(
                &at,
                format!(
                    "Unable to set DefaultAuthorizer because '{name}' was not defined in 'Authorizers'"
                ),
            ));
        }
        api.default_authorizer = (name != NONE).then_some(name);
    }
    if api.authorizers.contains_key(IAM) {
        definition.schemes.insert(IAM.to_owned(), Scheme::Iam);
    }
    if api.kind == ApiKind::Rest {
        // What SAM writes when a method requires a key: `api_key: {type: apiKey, name:
        // x-api-key, in: header}`.
        definition
            .schemes
            .entry(API_KEY.to_owned())
            .or_insert(Scheme::ApiKey);
    }
    Ok(())
}

/// A REST API authorizer: `UserPoolArn` makes it a Cognito user pool authorizer, anything else a
/// Lambda authorizer (as SAM decides).
fn rest_authorizer(
    cx: &mut Context<'_>,
    config: &Yaml,
    at: &Location,
) -> Result<Scheme, TemplateError> {
    let Some(arns) = config.get("UserPoolArn") else {
        return rest_lambda_authorizer(cx, config, at);
    };
    let arns_at = at.child("UserPoolArn");
    let arns = match arns {
        Yaml::Sequence(_) => cx.resolver.eval_string_list(arns, &arns_at)?,
        value => vec![cx.resolver.eval_string(value, &arns_at)?],
    };
    let identity = config.get("Identity");
    let identity_at = at.child("Identity");
    for ignored in ["Headers", "QueryStrings", "StageVariables", "Context"] {
        if identity.and_then(|i| i.get(ignored)).is_some() {
            return Err(TemplateError::invalid(
                &identity_at.child(ignored),
                "not used by Cognito authorizers; use Identity.Header",
            ));
        }
    }
    let header = match identity.and_then(|i| i.get("Header")) {
        Some(value) => cx
            .resolver
            .eval_string(value, &identity_at.child("Header"))?,
        None => "Authorization".to_owned(),
    };
    let expression_at = identity_at.child("ValidationExpression");
    let expression = identity
        .and_then(|i| i.get("ValidationExpression"))
        .map(|value| cx.resolver.eval_string(value, &expression_at))
        .transpose()?;
    Ok(Scheme::Authorizer(AuthorizerConfig::Cognito(
        cognito_config(
            &arns,
            &arns_at,
            &header,
            expression.as_deref(),
            &expression_at,
        )?,
    )))
}

/// An HTTP API authorizer: `JwtConfiguration` makes it a JWT authorizer, anything else a Lambda
/// authorizer (as SAM decides).
fn http_authorizer(
    cx: &mut Context<'_>,
    config: &Yaml,
    at: &Location,
) -> Result<Scheme, TemplateError> {
    let Some(jwt) = config.get("JwtConfiguration") else {
        return http_lambda_authorizer(cx, config, at);
    };
    let source_at = at.child("IdentitySource");
    let source = config.get("IdentitySource").ok_or_else(|| {
        TemplateError::invalid(&source_at, "a JWT authorizer must define 'IdentitySource'")
    })?;
    let identity = http_identity_source(&cx.resolver.eval_string(source, &source_at)?, &source_at)?;
    Ok(Scheme::Authorizer(AuthorizerConfig::Jwt(jwt_config(
        cx,
        jwt,
        &at.child("JwtConfiguration"),
        identity,
    )?)))
}

/// A REST API Lambda authorizer: `FunctionPayloadType` TOKEN (the default: `Identity.Header`,
/// `ValidationExpression`) or REQUEST (`Identity.Headers`, `QueryStrings`, `StageVariables`,
/// `Context`), cached `Identity.ReauthorizeEvery` seconds (300 when not given).
fn rest_lambda_authorizer(
    cx: &mut Context<'_>,
    config: &Yaml,
    at: &Location,
) -> Result<Scheme, TemplateError> {
    let arn_at = at.child("FunctionArn");
    let arn = config.get("FunctionArn").ok_or_else(|| {
        TemplateError::invalid(&arn_at, "a Lambda authorizer needs a FunctionArn")
    })?;
    let arn = cx.resolver.eval_string(arn, &arn_at)?;
    let function = lambda_authorizers::function(cx, &arn, &arn_at)?;
    let identity = config.get("Identity");
    let identity_at = at.child("Identity");
    let ttl = match identity.and_then(|i| i.get("ReauthorizeEvery")) {
        Some(value) => lambda_authorizers::ttl(cx, value, &identity_at.child("ReauthorizeEvery"))?,
        None => lambda_authorizers::REST_DEFAULT_TTL,
    };
    let payload_type = match config.get("FunctionPayloadType") {
        Some(value) => cx
            .resolver
            .eval_string(value, &at.child("FunctionPayloadType"))?,
        None => "TOKEN".to_owned(),
    };
    let (flavor, sources) = match payload_type.as_str() {
        "TOKEN" => {
            let header = match identity.and_then(|i| i.get("Header")) {
                Some(value) => cx
                    .resolver
                    .eval_string(value, &identity_at.child("Header"))?,
                None => "Authorization".to_owned(),
            };
            let validation = lambda_authorizers::validation(
                cx,
                identity.and_then(|i| i.get("ValidationExpression")),
                &identity_at.child("ValidationExpression"),
            )?;
            (
                Flavor::Token { validation },
                vec![IdentitySource::Header(header.to_ascii_lowercase())],
            )
        }
        "REQUEST" => (
            Flavor::Request,
            sam_identity_sources(cx, identity, &identity_at, false)?,
        ),
        other => {
            return Err(TemplateError::invalid(
                &at.child("FunctionPayloadType"),
                format!("Authorizer has invalid 'FunctionPayloadType': {other}"),
            ));
        }
    };
    let config = LambdaConfig {
        function,
        flavor,
        identity: sources,
        ttl,
    };
    lambda_authorizers::check_cacheable(&config, &identity_at)?;
    Ok(Scheme::Authorizer(AuthorizerConfig::Lambda(config)))
}

/// An HTTP API Lambda authorizer: `AuthorizerPayloadFormatVersion`, `EnableSimpleResponses`,
/// `Identity` (cached only with `ReauthorizeEvery`).
fn http_lambda_authorizer(
    cx: &mut Context<'_>,
    config: &Yaml,
    at: &Location,
) -> Result<Scheme, TemplateError> {
    for (key, message) in [
        (
            "IdentitySource",
            "IdentitySource is only supported for OAuth2 Authorizer. For Lambda Authorizer, use the 'Identity' property instead",
        ),
        (
            "AuthorizationScopes",
            "AuthorizationScopes is only supported for OAuth2 Authorizer",
        ),
    ] {
        if config.get(key).is_some() {
            return Err(TemplateError::invalid(&at.child(key), message));
        }
    }
    let arn_at = at.child("FunctionArn");
    let arn = config.get("FunctionArn").ok_or_else(|| {
        TemplateError::invalid(&arn_at, "Lambda Authorizer must define 'FunctionArn'")
    })?;
    let arn = cx.resolver.eval_string(arn, &arn_at)?;
    let function = lambda_authorizers::function(cx, &arn, &arn_at)?;
    let payload_at = at.child("AuthorizerPayloadFormatVersion");
    let payload = config
        .get("AuthorizerPayloadFormatVersion")
        .ok_or_else(|| {
            TemplateError::invalid(
                &payload_at,
                "Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'",
            )
        })?;
    let payload = lambda_authorizers::payload(cx, payload, &payload_at)?;
    let simple_responses = match config.get("EnableSimpleResponses") {
        Some(value) => cx
            .resolver
            .eval_bool(value, &at.child("EnableSimpleResponses"))?,
        None => false,
    };
    let identity = config.get("Identity");
    let identity_at = at.child("Identity");
    let ttl = match identity.and_then(|i| i.get("ReauthorizeEvery")) {
        Some(value) => lambda_authorizers::ttl(cx, value, &identity_at.child("ReauthorizeEvery"))?,
        None => Duration::ZERO,
    };
    let permitted = config.get("FunctionInvokeRole").is_some()
        || match config.get("EnableFunctionDefaultPermissions") {
            Some(value) => cx
                .resolver
                .eval_bool(value, &at.child("EnableFunctionDefaultPermissions"))?,
            None => false,
        };
    if !permitted {
        cx.warnings.push(format!(
            "{at}: SAM gives API Gateway no permission to invoke this authorizer (no EnableFunctionDefaultPermissions: true, no FunctionInvokeRole); deployed, its routes answer 500. The local API invokes it regardless"
        ));
    }
    let config = LambdaConfig {
        function,
        flavor: Flavor::Http {
            payload,
            simple_responses,
        },
        identity: sam_identity_sources(cx, identity, &identity_at, true)?,
        ttl,
    };
    lambda_authorizers::check_cacheable(&config, &identity_at)?;
    Ok(Scheme::Authorizer(AuthorizerConfig::Lambda(config)))
}

/// `Identity.Headers`, `QueryStrings`, `StageVariables`, `Context`, in that order (SAM's).
fn sam_identity_sources(
    cx: &Context<'_>,
    identity: Option<&Yaml>,
    at: &Location,
    http: bool,
) -> Result<Vec<IdentitySource>, TemplateError> {
    let mut sources = Vec::new();
    let Some(identity) = identity else {
        return Ok(sources);
    };
    for (key, prefix) in [
        (
            "Headers",
            if http {
                "$request.header."
            } else {
                "method.request.header."
            },
        ),
        (
            "QueryStrings",
            if http {
                "$request.querystring."
            } else {
                "method.request.querystring."
            },
        ),
        (
            "StageVariables",
            if http {
                "$stageVariables."
            } else {
                "stageVariables."
            },
        ),
        ("Context", if http { "$context." } else { "context." }),
    ] {
        let Some(names) = identity.get(key) else {
            continue;
        };
        let key_at = at.child(key);
        for name in cx.resolver.eval_string_list(names, &key_at)? {
            let source = format!("{prefix}{name}");
            sources.push(if http {
                lambda_authorizers::http_source(&source, &key_at)?
            } else {
                lambda_authorizers::rest_sources(&source, &key_at)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| TemplateError::invalid(&key_at, "names nothing"))?
            });
        }
    }
    Ok(sources)
}

/// A string property of an event.
fn event_string(
    cx: &Context<'_>,
    event: &FunctionEvent<'_>,
    key: &str,
) -> Result<Option<String>, TemplateError> {
    event
        .property(key)
        .map(|v| cx.resolver.eval_string(v, &event.at.child(key)))
        .transpose()
}

fn add_rest_event(
    cx: &Context<'_>,
    api: &SamApi<'_>,
    definition: &mut Definition,
    event: &FunctionEvent<'_>,
    (managed, merge): (bool, bool),
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    for key in ["RequestModel", "RequestParameters"] {
        if event.property(key).is_some() {
            warnings.push(openapi::not_validated(&event.at.child(key)));
        }
    }
    let path = event_string(cx, event, "Path")?
        .ok_or_else(|| TemplateError::invalid(&event.at.child("Path"), "missing"))?;
    validate_path(&path, &event.at.child("Path"))?;
    let method = sam_method(
        &event_string(cx, event, "Method")?
            .ok_or_else(|| TemplateError::invalid(&event.at.child("Method"), "missing"))?,
    );
    let integration = event.integration(
        PayloadVersion::V1,
        integration_timeout(
            &cx.resolver,
            event.property("TimeoutInMillis"),
            &event.at.child("TimeoutInMillis"),
            max_integration_timeout(ApiKind::Rest),
        )?,
        &cx.resolver.values().region,
    );
    let auth = event.property("Auth");
    let override_auth = match auth.and_then(|a| a.get("OverrideApiAuth")) {
        Some(value) => cx
            .resolver
            .eval_bool(value, &event.at.child("Auth").child("OverrideApiAuth"))?,
        None => false,
    };
    if managed || merge {
        let security = rest_event_security(cx, api, event)?;
        match definition.operation_mut(&path, &method) {
            Some(_) if managed => {
                return Err(TemplateError::invalid(
                    &event.at,
                    format!(
                        "API method \"{}\" defined multiple times for path \"{path}\"",
                        method.to_ascii_lowercase()
                    ),
                ));
            }
            // MergeDefinitions: SAM's method replaces the body's integration (and its
            // security, when the event has Auth).
            Some(existing) => {
                existing.integration = Some(integration);
                if security.is_some() {
                    existing.security = security;
                }
            }
            None => definition.operations.push(Operation {
                method,
                path,
                integration: Some(integration),
                security,
                at: event.at.clone(),
            }),
        }
    } else if override_auth {
        let security = rest_event_security(cx, api, event)?;
        match definition.operation_mut(&path, &method) {
            Some(existing) => existing.security = security,
            None => warnings.push(format!(
                "{}: OverrideApiAuth names {method} {path}, which the API's definition does not have",
                event.at
            )),
        }
    }
    Ok(())
}

/// `GET`, `ANY`: SAM lower-cases methods and writes `any` as `x-amazon-apigateway-any-method`.
fn sam_method(method: &str) -> String {
    method.to_ascii_uppercase()
}

/// A REST event's `Auth` as a `security` list (`None`: the event says nothing).
fn rest_event_security(
    cx: &Context<'_>,
    api: &SamApi<'_>,
    event: &FunctionEvent<'_>,
) -> Result<Option<Vec<Requirement>>, TemplateError> {
    let Some(auth) = event.property("Auth") else {
        return Ok(None);
    };
    let auth_at = event.at.child("Auth");
    for unsupported in ["ResourcePolicy"] {
        if auth.get(unsupported).is_some() {
            return Err(TemplateError::invalid(
                &auth_at.child(unsupported),
                "a resource policy decides who may call; the local API does not evaluate resource policies",
            ));
        }
    }
    let mut security = Vec::new();
    let authorizer = auth
        .get("Authorizer")
        .map(|v| cx.resolver.eval_string(v, &auth_at.child("Authorizer")))
        .transpose()?;
    let scopes = auth
        .get("AuthorizationScopes")
        .map(|v| {
            cx.resolver
                .eval_string_list(v, &auth_at.child("AuthorizationScopes"))
        })
        .transpose()?;
    match authorizer.as_deref() {
        None if scopes.is_some() => {
            return Err(TemplateError::invalid(
                &auth_at.child("AuthorizationScopes"),
                "AuthorizationScopes works only when Authorizer is set",
            ));
        }
        None => {}
        Some(NONE) => {
            if api.default_authorizer.is_none() {
                return Err(TemplateError::invalid(
                    &auth_at.child("Authorizer"),
                    "'NONE' is only a valid value when a DefaultAuthorizer on the API is specified",
                ));
            }
            security.push(Requirement::new(NONE, Vec::new()));
        }
        Some(name) => security.push(named_requirement(api, name, scopes, &auth_at)?),
    }
    if let Some(required) = auth.get("ApiKeyRequired") {
        let at = auth_at.child("ApiKeyRequired");
        if cx.resolver.eval_bool(required, &at)? {
            security.push(Requirement::new(API_KEY, Vec::new()));
        } else if api_key_required(cx, api)? {
            security.push(Requirement::new(API_KEY_FALSE, Vec::new()));
        } else {
            return Err(TemplateError::invalid(
                &at,
                "Unable to set ApiKeyRequired [False] because the related API does not specify any ApiKeyRequired",
            ));
        }
    }
    Ok(Some(security))
}

/// The requirement for authorizer `name` of the API: the event's scopes, else the authorizer's.
fn named_requirement(
    api: &SamApi<'_>,
    name: &str,
    scopes: Option<Vec<String>>,
    auth_at: &Location,
) -> Result<Requirement, TemplateError> {
    let Some(default_scopes) = api.authorizers.get(name) else {
        return Err(TemplateError::invalid(
            &auth_at.child("Authorizer"),
            format!(
                "Unable to set Authorizer [{name}] because it wasn't defined in the API's Authorizers"
            ),
        ));
    };
    // REST (swagger.py `_set_method_authorizer`): any event scopes replace the authorizer's, an
    // empty list too; HTTP (open_api.py): only a non-empty list does.
    let scopes = match scopes {
        Some(scopes) if api.kind == ApiKind::Rest || !scopes.is_empty() => scopes,
        _ => default_scopes.clone(),
    };
    Ok(Requirement::new(name, scopes))
}

fn add_http_event(
    cx: &Context<'_>,
    api: &SamApi<'_>,
    definition: &mut Definition,
    event: &FunctionEvent<'_>,
    managed: bool,
) -> Result<(), TemplateError> {
    let (method, path) = match (
        event_string(cx, event, "Method")?,
        event_string(cx, event, "Path")?,
    ) {
        (None, None) => ("ANY".to_owned(), "$default".to_owned()),
        (Some(method), Some(path)) => {
            if path != "$default" {
                validate_path(&path, &event.at.child("Path"))?;
            }
            (sam_method(&method), path)
        }
        (None, Some(_)) => {
            return Err(TemplateError::invalid(
                &event.at.child("Method"),
                "Property 'Method' is required",
            ));
        }
        (Some(_), None) => {
            return Err(TemplateError::invalid(
                &event.at.child("Path"),
                "a route with a Method needs a Path",
            ));
        }
    };
    let payload = match event.property("PayloadFormatVersion") {
        None => PayloadVersion::V2,
        Some(value) => {
            let at = event.at.child("PayloadFormatVersion");
            openapi::payload_version(&cx.resolver.eval_string(value, &at)?, &at)?
        }
    };
    let integration = event.integration(
        payload,
        integration_timeout(
            &cx.resolver,
            event.property("TimeoutInMillis"),
            &event.at.child("TimeoutInMillis"),
            max_integration_timeout(ApiKind::Http),
        )?,
        &cx.resolver.values().region,
    );
    let security = http_event_security(cx, api, event)?;
    match definition.operation_mut(&path, &method) {
        Some(_) if managed => {
            return Err(TemplateError::invalid(
                &event.at,
                format!(
                    "API method '{}' defined multiple times for path '{path}'",
                    method.to_ascii_lowercase()
                ),
            ));
        }
        Some(existing) => {
            if existing.integration.is_none() {
                existing.integration = Some(integration);
            }
            if let Some(mut added) = security {
                existing
                    .security
                    .get_or_insert_with(Vec::new)
                    .append(&mut added);
            }
        }
        None => definition.operations.push(Operation {
            method,
            path,
            integration: Some(integration),
            security,
            at: event.at.clone(),
        }),
    }
    Ok(())
}

/// An HTTP event's `Auth` as a `security` list (`None`: the event says nothing).
fn http_event_security(
    cx: &Context<'_>,
    api: &SamApi<'_>,
    event: &FunctionEvent<'_>,
) -> Result<Option<Vec<Requirement>>, TemplateError> {
    let Some(auth) = event
        .property("Auth")
        .filter(|a| a.as_mapping().is_some_and(|m| !m.is_empty()))
    else {
        return Ok(None);
    };
    let auth_at = event.at.child("Auth");
    let scopes = auth
        .get("AuthorizationScopes")
        .map(|v| {
            cx.resolver
                .eval_string_list(v, &auth_at.child("AuthorizationScopes"))
        })
        .transpose()?;
    let authorizer = match auth.get("Authorizer") {
        Some(value) => cx.resolver.eval_string(value, &auth_at.child("Authorizer"))?,
        None => api.default_authorizer.clone().ok_or_else(|| {
            TemplateError::invalid(
                &auth_at,
                "'Auth' section requires either an explicit 'Authorizer' set or a 'DefaultAuthorizer' configured on the HttpApi",
            )
        })?,
    };
    if authorizer == NONE {
        if api.default_authorizer.is_none() {
            return Err(TemplateError::invalid(
                &auth_at.child("Authorizer"),
                "'NONE' is only a valid value when a DefaultAuthorizer on the API is specified",
            ));
        }
        return Ok(Some(vec![Requirement::new(NONE, Vec::new())]));
    }
    Ok(Some(vec![named_requirement(
        api,
        &authorizer,
        scopes,
        &auth_at,
    )?]))
}

/// `Auth.ApiKeyRequired` of a REST API (an HTTP API's is refused by `refuse_unsupported`).
fn api_key_required(cx: &Context<'_>, api: &SamApi<'_>) -> Result<bool, TemplateError> {
    match api.auth("ApiKeyRequired") {
        Some(value) => cx
            .resolver
            .eval_bool(value, &api.at("Auth").child("ApiKeyRequired")),
        None => Ok(false),
    }
}

/// REST: the default authorizer and `ApiKeyRequired` on every method with an integration.
fn apply_rest_auth(
    cx: &Context<'_>,
    api: &SamApi<'_>,
    definition: &mut Definition,
) -> Result<(), TemplateError> {
    let flag = |key: &str| -> Result<bool, TemplateError> {
        match api.auth(key) {
            Some(value) => cx.resolver.eval_bool(value, &api.at("Auth").child(key)),
            None => Ok(true),
        }
    };
    let default_on_preflight = flag("AddDefaultAuthorizerToCorsPreflight")?;
    let key_on_preflight = flag("AddApiKeyRequiredToCorsPreflight")?;
    let key_required = api_key_required(cx, api)?;
    for op in definition
        .operations
        .iter_mut()
        .filter(|op| op.integration.is_some())
    {
        let mut security = op.security.take().unwrap_or_default();
        let skip_default = op.method == "OPTIONS" && !default_on_preflight;
        if let Some(default) = &api.default_authorizer
            && !skip_default
        {
            let has_none = security.iter().any(|r| r.name == NONE);
            let has_authorizer = security
                .iter()
                .any(|r| api.authorizers.contains_key(&r.name));
            if !has_none && !has_authorizer {
                let scopes = api.authorizers.get(default).cloned().unwrap_or_default();
                security.insert(0, Requirement::new(default.clone(), scopes));
            }
        }
        let key_refused = security.iter().any(|r| r.name == API_KEY_FALSE);
        let has_key = security.iter().any(|r| r.name == API_KEY);
        if key_required && !key_refused && !has_key && (op.method != "OPTIONS" || key_on_preflight)
        {
            security.push(Requirement::new(API_KEY, Vec::new()));
        }
        security.retain(|r| r.name != API_KEY_FALSE);
        // What SAM leaves behind (an empty list, or only NONE) means: no authorizer.
        op.security = Some(security);
    }
    Ok(())
}

/// HTTP: the default authorizer on every method with an integration except OPTIONS, whose
/// `security` is missing or empty.
fn apply_http_auth(api: &SamApi<'_>, definition: &mut Definition) {
    let Some(default) = &api.default_authorizer else {
        return;
    };
    let scopes = api.authorizers.get(default).cloned().unwrap_or_default();
    for op in definition
        .operations
        .iter_mut()
        .filter(|op| op.integration.is_some() && op.method != "OPTIONS")
    {
        if op.security.as_ref().is_none_or(Vec::is_empty) {
            op.security = Some(vec![Requirement::new(default.clone(), scopes.clone())]);
        }
    }
}

/// REST `Cors`: a quoted origin (`"'https://example.com'"`), or a mapping of quoted header values.
/// SAM adds an OPTIONS method to every path that has none: a MOCK answering 200 with these
/// headers, whoever asks.
fn add_preflights(
    cx: &Context<'_>,
    definition: &mut Definition,
    cors: &Yaml,
    at: &Location,
) -> Result<(), TemplateError> {
    let quoted = |value: &Yaml, at: &Location| -> Result<String, TemplateError> {
        let text = cx.resolver.eval_string(value, at)?;
        unquote(&text).map(str::to_owned).ok_or_else(|| {
            TemplateError::invalid(
                at,
                format!(
                    "`{text}`: API Gateway needs the value in single quotes, e.g. \"'{text}'\""
                ),
            )
        })
    };
    let mut headers = Vec::new();
    let mut allow_methods = None;
    if cors.as_mapping().is_none() {
        headers.push(("access-control-allow-origin".to_owned(), quoted(cors, at)?));
    } else {
        for key in cors.as_mapping().into_iter().flat_map(Mapping::keys) {
            let key = key.as_str().unwrap_or("?");
            if !matches!(
                key,
                "AllowOrigin" | "AllowMethods" | "AllowHeaders" | "MaxAge" | "AllowCredentials"
            ) {
                return Err(TemplateError::invalid(
                    &at.child(key),
                    format!("Invalid key '{key}' for 'Cors' property"),
                ));
            }
        }
        let origin = match cors.get("AllowOrigin") {
            Some(origin) => quoted(origin, &at.child("AllowOrigin"))?,
            None => "*".to_owned(),
        };
        headers.push(("access-control-allow-origin".into(), origin));
        if let Some(v) = cors.get("AllowHeaders") {
            headers.push((
                "access-control-allow-headers".into(),
                quoted(v, &at.child("AllowHeaders"))?,
            ));
        }
        if let Some(v) = cors.get("AllowMethods") {
            allow_methods = Some(quoted(v, &at.child("AllowMethods"))?);
        }
        if let Some(v) = cors.get("MaxAge") {
            headers.push((
                "access-control-max-age".into(),
                quoted(v, &at.child("MaxAge"))?,
            ));
        }
        if let Some(v) = cors.get("AllowCredentials")
            && cx.resolver.eval_bool(v, &at.child("AllowCredentials"))?
        {
            headers.push(("access-control-allow-credentials".into(), "true".into()));
        }
    }
    let mut paths: Vec<String> = definition
        .operations
        .iter()
        .map(|op| op.path.clone())
        .collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        let methods: Vec<&str> = definition
            .operations
            .iter()
            .filter(|op| op.path == path)
            .map(|op| op.method.as_str())
            .collect();
        if methods.contains(&"OPTIONS") {
            continue;
        }
        let allowed = allow_methods.clone().unwrap_or_else(|| {
            let mut allowed: Vec<&str> = if methods.contains(&"ANY") {
                ANY_METHODS.to_vec()
            } else {
                methods.iter().copied().chain(["OPTIONS"]).collect()
            };
            allowed.sort_unstable();
            allowed.dedup();
            allowed.join(",")
        });
        let mut headers = headers.clone();
        headers.insert(1, ("access-control-allow-methods".into(), allowed));
        headers.push(("content-type".into(), "application/json".into()));
        definition.operations.push(Operation {
            method: "OPTIONS".into(),
            path,
            integration: Some(Integration::Mock(MockResponse {
                status: 200,
                headers,
                body: "{}".into(),
            })),
            security: None,
            at: at.clone(),
        });
    }
    Ok(())
}

/// HttpApi `CorsConfiguration`: `true` (every origin), or a mapping; SAM writes it over the
/// body's `x-amazon-apigateway-cors` key by key.
fn read_cors_configuration(
    cx: &Context<'_>,
    definition: &mut Definition,
    value: &Yaml,
    at: &Location,
) -> Result<(), TemplateError> {
    let cors = definition.cors.get_or_insert_with(CorsConfig::default);
    if let Yaml::Bool(enabled) = value {
        if *enabled {
            cors.allow_origins = vec!["*".into()];
        }
        return Ok(());
    }
    if value.as_mapping().is_none() {
        return Err(TemplateError::invalid(
            at,
            format!(
                "expected true or a mapping, found {}",
                super::kind_of(value)
            ),
        ));
    }
    let list = |key: &str| match value.get(key) {
        Some(v) => cx.resolver.eval_string_list(v, &at.child(key)).map(Some),
        None => Ok(None),
    };
    if let Some(origins) = list("AllowOrigins")? {
        cors.allow_origins = origins;
    }
    if let Some(methods) = list("AllowMethods")? {
        cors.allow_methods = methods
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect();
    }
    if let Some(headers) = list("AllowHeaders")? {
        cors.allow_headers = headers
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
    }
    if let Some(headers) = list("ExposeHeaders")? {
        cors.expose_headers = headers
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
    }
    if let Some(v) = value.get("MaxAge") {
        let at = at.child("MaxAge");
        cors.max_age = Some(
            cx.resolver
                .eval_string(v, &at)?
                .parse()
                .map_err(|_| TemplateError::invalid(&at, "expected a number of seconds"))?,
        );
    }
    if let Some(v) = value.get("AllowCredentials") {
        cors.allow_credentials = cx.resolver.eval_bool(v, &at.child("AllowCredentials"))?;
    }
    Ok(())
}

/// REST `GatewayResponses`: status codes and headers that are quoted literals.
fn read_gateway_responses(
    cx: &Context<'_>,
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
                    cx.resolver
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
            let map = map
                .as_mapping()
                .ok_or_else(|| TemplateError::invalid(&headers_at, "expected a mapping"))?;
            for (name, value) in map {
                let name = name
                    .as_str()
                    .ok_or_else(|| TemplateError::invalid(&headers_at, "names must be strings"))?;
                let value = cx.resolver.eval_string(value, &headers_at.child(name))?;
                let literal = unquote(&value).map(str::to_owned).ok_or_else(|| {
                    TemplateError::invalid(
                        &headers_at.child(name),
                        format!("`{value}`: only quoted literal values are supported locally"),
                    )
                })?;
                headers.push((name.to_ascii_lowercase(), literal));
            }
        }
        found.insert(kind.to_owned(), GatewayResponse { status, headers });
    }
    Ok(found)
}

/// The stages SAM deploys the API to.
fn stages(cx: &Context<'_>, api: &SamApi<'_>, implicit: bool) -> Result<Vec<Stage>, TemplateError> {
    let variables_key = match api.kind {
        ApiKind::Rest => "Variables",
        ApiKind::Http => "StageVariables",
    };
    let variables = match api.property(variables_key) {
        Some(value) => cx.string_map(value, &api.at(variables_key))?,
        None => BTreeMap::new(),
    };
    let name = match (api.kind, api.property("StageName")) {
        // SAM's implicit REST API is deployed to a stage named Prod, whatever Globals say.
        (ApiKind::Rest, _) if implicit => "Prod".to_owned(),
        (_, Some(value)) => cx.resolver.eval_string(value, &api.at("StageName"))?,
        (ApiKind::Http, None) => Stage::DEFAULT.to_owned(),
        (ApiKind::Rest, None) => {
            return Err(TemplateError::invalid(
                &api.at("StageName"),
                "Missing required property 'StageName'",
            ));
        }
    };
    let valid = name == Stage::DEFAULT
        || (!name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    if !valid {
        return Err(TemplateError::invalid(
            &api.at("StageName"),
            format!("`{name}` is not a valid stage name"),
        ));
    }
    let mut stages = vec![Stage { name, variables }];
    // SAM's deployment also creates a stage named `Stage` (without the named stage's variables)
    // unless OpenApiVersion is set.
    if api.kind == ApiKind::Rest
        && api.property("OpenApiVersion").is_none()
        && stages[0].name != "Stage"
    {
        stages.push(Stage::named("Stage"));
    }
    Ok(stages)
}
