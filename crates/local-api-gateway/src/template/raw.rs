//! APIs declared as plain CloudFormation (what SAM translates to, and what people write by hand):
//!
//! - REST: `AWS::ApiGateway::RestApi` (its `Body`, or its `Resource` tree with a `Method` per
//!   verb), `Authorizer`, `GatewayResponse`, and the stages of its `Deployment` / `Stage`;
//! - HTTP: `AWS::ApiGatewayV2::Api` (its `Body`, `CorsConfiguration`, or quick create's
//!   `Target`), `Route`, `Integration`, `Authorizer`, `Stage`.
//!
//! References between them (`RestApiId`, `ParentId`, `ResourceId`, `AuthorizerId`, a route's
//! `Target: integrations/<id>`) are evaluated like any value: a resource's `Ref` is its logical id
//! locally, and `!GetAtt Api.RootResourceId` names the API's root.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::lambda_authorizers;
use super::{
    Context, Location, Resource, TemplateError,
    definition::{API_KEY, Definition, IAM, NONE, Operation, Requirement, Scheme},
    functions::validate_path,
    get_att,
    openapi::{self, cognito_config, http_identity_source, jwt_config},
    ref_to,
};
use crate::{
    authorizer::lambda::{Flavor, LambdaConfig},
    model::{Api, ApiKind, AuthorizerConfig, CorsConfig, GatewayResponse, Stage},
};

const REST_API: &str = "AWS::ApiGateway::RestApi";
const HTTP_API: &str = "AWS::ApiGatewayV2::Api";

pub(super) fn read(cx: &mut Context<'_>, apis: &mut Vec<Api>) -> Result<(), TemplateError> {
    let mut found = Vec::new();
    for resource in cx.template.resources() {
        if (resource.kind == REST_API || resource.kind == HTTP_API) && cx.holds(resource)? {
            found.push(resource);
        }
    }
    for resource in found {
        let api = match resource.kind {
            REST_API => read_rest(cx, resource)?,
            _ => read_http(cx, resource)?,
        };
        if let Some(api) = api {
            apis.push(api);
        }
    }
    Ok(())
}

/// The resources of `kind` whose `property` names the API `api_id` (its `Ref`).
fn children<'t>(
    cx: &Context<'t>,
    kind: &str,
    property: &str,
    api_id: &str,
) -> Result<Vec<Resource<'t>>, TemplateError> {
    let mut children = Vec::new();
    for resource in cx.template.resources().filter(|r| r.kind == kind) {
        if !cx.holds(resource)? {
            continue;
        }
        let Some(value) = resource.property(property) else {
            continue;
        };
        if cx
            .resolver
            .eval_string(value, &resource.property_location(property))?
            == api_id
        {
            children.push(resource);
        }
    }
    Ok(children)
}

fn string_property(
    cx: &Context<'_>,
    resource: Resource<'_>,
    name: &str,
) -> Result<Option<String>, TemplateError> {
    resource
        .property(name)
        .map(|v| {
            cx.resolver
                .eval_string(v, &resource.property_location(name))
        })
        .transpose()
}

fn required_string(
    cx: &Context<'_>,
    resource: Resource<'_>,
    name: &str,
) -> Result<String, TemplateError> {
    string_property(cx, resource, name)?
        .ok_or_else(|| TemplateError::invalid(&resource.property_location(name), "missing"))
}

/// The API's own `Ref`: what its children's `RestApiId` / `ApiId` evaluate to.
fn api_ref(cx: &Context<'_>, resource: Resource<'_>) -> Result<String, TemplateError> {
    cx.resolver
        .eval_string(&ref_to(resource.logical_id), &resource.location())
}

fn refuse_policies(cx: &Context<'_>, resource: Resource<'_>) -> Result<(), TemplateError> {
    if resource.property("Policy").is_some() {
        return Err(TemplateError::invalid(
            &resource.property_location("Policy"),
            "a resource policy decides who may call; the local API does not evaluate resource policies",
        ));
    }
    let at = resource.property_location("EndpointConfiguration");
    let types = match resource.property("EndpointConfiguration") {
        Some(config) => match cx
            .resolver
            .select(config, &at)?
            .and_then(|c| c.get("Types"))
        {
            Some(types) => cx.resolver.eval_string_list(types, &at.child("Types"))?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    cx.refuse_unreachable(
        resource.property("DisableExecuteApiEndpoint"),
        &resource.property_location("DisableExecuteApiEndpoint"),
        &types,
        &at,
    )
}

fn read_rest(cx: &mut Context<'_>, api: Resource<'_>) -> Result<Option<Api>, TemplateError> {
    refuse_policies(cx, api)?;
    let id = api_ref(cx, api)?;
    let mut definition = body_definition(cx, api, ApiKind::Rest)?;
    if let Some(source) = api.property("ApiKeySourceType") {
        definition.api_key_source =
            openapi::api_key_source(cx, source, &api.property_location("ApiKeySourceType"))?;
    }
    if let Some(types) = api.property("BinaryMediaTypes") {
        for media_type in cx
            .resolver
            .eval_string_list(types, &api.property_location("BinaryMediaTypes"))?
        {
            let media_type = media_type.replace("~1", "/");
            if !definition.binary_media_types.contains(&media_type) {
                definition.binary_media_types.push(media_type);
            }
        }
    }
    for authorizer in children(cx, "AWS::ApiGateway::Authorizer", "RestApiId", &id)? {
        let scheme = rest_authorizer(cx, authorizer)?;
        definition
            .schemes
            .insert(authorizer.logical_id.to_owned(), scheme);
    }
    // Logical ids have no `_`: these names are free for `AuthorizationType: AWS_IAM` and
    // `ApiKeyRequired`.
    definition
        .schemes
        .entry(IAM.to_owned())
        .or_insert(Scheme::Iam);
    definition
        .schemes
        .entry(API_KEY.to_owned())
        .or_insert(Scheme::ApiKey);
    // The resource tree: each resource's path from its parents'.
    let root = cx
        .resolver
        .eval_string(&get_att(api.logical_id, "RootResourceId"), &api.location())?;
    let resources = children(cx, "AWS::ApiGateway::Resource", "RestApiId", &id)?;
    let mut paths: BTreeMap<String, String> = BTreeMap::from([(root.clone(), "/".to_owned())]);
    for _ in 0..=resources.len() {
        for resource in &resources {
            let parent = required_string(cx, *resource, "ParentId")?;
            let own = cx
                .resolver
                .eval_string(&ref_to(resource.logical_id), &resource.location())?;
            if paths.contains_key(&own) {
                continue;
            }
            if let Some(parent_path) = paths.get(&parent) {
                let part = required_string(cx, *resource, "PathPart")?;
                let path = format!("{}/{part}", parent_path.trim_end_matches('/'));
                paths.insert(own, path);
            }
        }
    }
    for resource in &resources {
        let own = cx
            .resolver
            .eval_string(&ref_to(resource.logical_id), &resource.location())?;
        if !paths.contains_key(&own) {
            return Err(TemplateError::invalid(
                &resource.property_location("ParentId"),
                "names no resource of this API (nor its RootResourceId)",
            ));
        }
    }
    for method in children(cx, "AWS::ApiGateway::Method", "RestApiId", &id)? {
        let resource_id = required_string(cx, method, "ResourceId")?;
        let path = paths.get(&resource_id).cloned().ok_or_else(|| {
            TemplateError::invalid(
                &method.property_location("ResourceId"),
                "names no resource of this API (nor its RootResourceId)",
            )
        })?;
        validate_path(&path, &method.property_location("ResourceId"))?;
        let verb = required_string(cx, method, "HttpMethod")?.to_ascii_uppercase();
        let operation = rest_method(cx, method, &path, verb)?;
        if definition
            .operation(&operation.path, &operation.method)
            .is_some()
        {
            return Err(TemplateError::invalid(
                &method.location(),
                format!("{} {path} is defined twice", operation.method),
            ));
        }
        definition.operations.push(operation);
    }
    for response in children(cx, "AWS::ApiGateway::GatewayResponse", "RestApiId", &id)? {
        let (kind, gateway_response) = gateway_response(cx, response)?;
        definition.gateway_responses.insert(kind, gateway_response);
    }
    let mut stages = Vec::new();
    for deployment in children(cx, "AWS::ApiGateway::Deployment", "RestApiId", &id)? {
        if let Some(name) = string_property(cx, deployment, "StageName")? {
            let variables = match deployment
                .property("StageDescription")
                .and_then(|d| d.get("Variables"))
            {
                Some(v) => cx.string_map(
                    v,
                    &deployment.property_location("StageDescription.Variables"),
                )?,
                None => BTreeMap::new(),
            };
            stages.push(Stage { name, variables });
        }
    }
    for stage in children(cx, "AWS::ApiGateway::Stage", "RestApiId", &id)? {
        let name = required_string(cx, stage, "StageName")?;
        let variables = match stage.property("Variables") {
            Some(v) => cx.string_map(v, &stage.property_location("Variables"))?,
            None => BTreeMap::new(),
        };
        stages.retain(|s| s.name != name);
        stages.push(Stage { name, variables });
    }
    finish(cx, api, definition, stages)
}

fn finish(
    cx: &mut Context<'_>,
    api: Resource<'_>,
    definition: Definition,
    stages: Vec<Stage>,
) -> Result<Option<Api>, TemplateError> {
    if stages.is_empty() {
        cx.warnings.push(format!(
            "`{}`: the API is deployed to no stage; it is not served",
            api.logical_id
        ));
        return Ok(None);
    }
    let api = definition.into_api(api.logical_id, stages, &mut cx.warnings)?;
    if api.routes.is_empty() {
        cx.warnings.push(format!(
            "`{}`: the API has no routes; it is not served",
            api.id
        ));
        return Ok(None);
    }
    Ok(Some(api))
}

/// The API's `Body` (or `BodyS3Location` naming a local file), or an empty definition.
fn body_definition(
    cx: &mut Context<'_>,
    api: Resource<'_>,
    kind: ApiKind,
) -> Result<Definition, TemplateError> {
    let body = match (api.property("Body"), api.property("BodyS3Location")) {
        (Some(body), _) => Some(cx.inline_body(body, &api.property_location("Body"))?),
        (None, Some(location)) => {
            Some(cx.body_file(location, &api.property_location("BodyS3Location"))?)
        }
        (None, None) => None,
    };
    match body {
        Some((body, at)) => openapi::read(cx, kind, &body, &at),
        None => Ok(Definition::new(kind)),
    }
}

/// One `AWS::ApiGateway::Method`.
fn rest_method(
    cx: &mut Context<'_>,
    method: Resource<'_>,
    path: &str,
    verb: String,
) -> Result<Operation, TemplateError> {
    let verb = if verb == "ANY" {
        "ANY".to_owned()
    } else {
        verb
    };
    let authorization = string_property(cx, method, "AuthorizationType")?
        .unwrap_or_else(|| "NONE".into())
        .to_ascii_uppercase();
    let scopes = match method.property("AuthorizationScopes") {
        Some(v) => cx
            .resolver
            .eval_string_list(v, &method.property_location("AuthorizationScopes"))?,
        None => Vec::new(),
    };
    let mut security = match authorization.as_str() {
        "NONE" => vec![Requirement::new(NONE, Vec::new())],
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            let authorizer = required_string(cx, method, "AuthorizerId")?;
            vec![Requirement::new(authorizer, scopes)]
        }
        "AWS_IAM" => vec![Requirement::new(IAM, Vec::new())],
        other => {
            return Err(TemplateError::invalid(
                &method.property_location("AuthorizationType"),
                format!("`{other}` is not an authorization type of a REST API"),
            ));
        }
    };
    if method
        .property("ApiKeyRequired")
        .map(|v| {
            cx.resolver
                .eval_bool(v, &method.property_location("ApiKeyRequired"))
        })
        .transpose()?
        == Some(true)
    {
        security.push(Requirement::new(API_KEY, Vec::new()));
    }
    if method.property("RequestValidatorId").is_some() {
        cx.warnings.push(openapi::not_validated(
            &method.property_location("RequestValidatorId"),
        ));
    }
    let integration = match method.property("Integration") {
        Some(integration) => Some(raw_integration(
            cx,
            ApiKind::Rest,
            integration,
            &method.property_location("Integration"),
        )?),
        None => None,
    };
    Ok(Operation {
        method: verb,
        path: path.to_owned(),
        integration,
        security: Some(security),
        at: method.location(),
    })
}

/// A raw integration, read as its OpenAPI twin (`x-amazon-apigateway-integration`) is: the same
/// keys, spelled in CloudFormation's case.
fn raw_integration(
    cx: &mut Context<'_>,
    kind: ApiKind,
    value: &Yaml,
    at: &Location,
) -> Result<crate::model::Integration, TemplateError> {
    let mut twin = Mapping::new();
    let renames: &[(&str, &str)] = &[
        ("Type", "type"),
        ("IntegrationType", "type"),
        ("Uri", "uri"),
        ("IntegrationUri", "uri"),
        ("TimeoutInMillis", "timeoutInMillis"),
        ("PayloadFormatVersion", "payloadFormatVersion"),
        ("IntegrationSubtype", "integrationSubtype"),
        ("ConnectionType", "connectionType"),
        ("RequestTemplates", "requestTemplates"),
    ];
    for (from, to) in renames {
        if let Some(v) = value.get(*from) {
            twin.insert(Yaml::from(*to), v.clone());
        }
    }
    if let Some(responses) = value.get("IntegrationResponses") {
        let responses_at = at.child("IntegrationResponses");
        let list = cx
            .resolver
            .select(responses, &responses_at)?
            .and_then(Yaml::as_sequence)
            .ok_or_else(|| TemplateError::invalid(&responses_at, "expected a list"))?;
        let mut by_pattern = Mapping::new();
        for (i, response) in list.iter().enumerate() {
            // No pattern, or an empty one, is the default response ("omit it to make it the
            // default"; published templates write '').
            let pattern = match response.get("SelectionPattern") {
                Some(p) => cx
                    .resolver
                    .eval_string(p, &responses_at.child(i).child("SelectionPattern"))?,
                None => String::new(),
            };
            let pattern = if pattern.is_empty() {
                "default".to_owned()
            } else {
                pattern
            };
            let mut twin_response = Mapping::new();
            for (from, to) in [
                ("StatusCode", "statusCode"),
                ("ResponseParameters", "responseParameters"),
                ("ResponseTemplates", "responseTemplates"),
            ] {
                if let Some(v) = response.get(from) {
                    twin_response.insert(Yaml::from(to), v.clone());
                }
            }
            by_pattern.insert(Yaml::from(pattern), Yaml::Mapping(twin_response));
        }
        twin.insert(Yaml::from("responses"), Yaml::Mapping(by_pattern));
    }
    openapi::read_integration(cx, kind, &Yaml::Mapping(twin), at)
}

/// One `AWS::ApiGateway::Authorizer`.
fn rest_authorizer(
    cx: &mut Context<'_>,
    authorizer: Resource<'_>,
) -> Result<Scheme, TemplateError> {
    let kind = required_string(cx, authorizer, "Type")?.to_ascii_uppercase();
    match kind.as_str() {
        "COGNITO_USER_POOLS" => {
            let arns_at = authorizer.property_location("ProviderARNs");
            let arns = authorizer
                .property("ProviderARNs")
                .ok_or_else(|| TemplateError::invalid(&arns_at, "missing"))?;
            let arns = cx.resolver.eval_string_list(arns, &arns_at)?;
            let source = required_string(cx, authorizer, "IdentitySource")?;
            let header = source
                .strip_prefix("method.request.header.")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    TemplateError::invalid(
                        &authorizer.property_location("IdentitySource"),
                        format!(
                            "`{source}`: a Cognito authorizer takes method.request.header.<name>"
                        ),
                    )
                })?;
            let expression = string_property(cx, authorizer, "IdentityValidationExpression")?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Cognito(
                cognito_config(
                    &arns,
                    &arns_at,
                    header,
                    expression.as_deref(),
                    &authorizer.property_location("IdentityValidationExpression"),
                )?,
            )))
        }
        "TOKEN" | "REQUEST" => {
            let uri_at = authorizer.property_location("AuthorizerUri");
            let uri = required_string(cx, authorizer, "AuthorizerUri")?;
            let function = lambda_authorizers::function(cx, &uri, &uri_at)?;
            let ttl = match authorizer.property("AuthorizerResultTtlInSeconds") {
                Some(value) => lambda_authorizers::ttl(
                    cx,
                    value,
                    &authorizer.property_location("AuthorizerResultTtlInSeconds"),
                )?,
                None => lambda_authorizers::REST_DEFAULT_TTL,
            };
            let source_at = authorizer.property_location("IdentitySource");
            let identity = lambda_authorizers::rest_sources(
                &string_property(cx, authorizer, "IdentitySource")?.unwrap_or_default(),
                &source_at,
            )?;
            let flavor = if kind == "TOKEN" {
                if !matches!(
                    identity.as_slice(),
                    [crate::model::IdentitySource::Header(_)]
                ) {
                    return Err(TemplateError::invalid(
                        &source_at,
                        "a TOKEN authorizer takes one header (method.request.header.<name>)",
                    ));
                }
                Flavor::Token {
                    validation: lambda_authorizers::validation(
                        cx,
                        authorizer.property("IdentityValidationExpression"),
                        &authorizer.property_location("IdentityValidationExpression"),
                    )?,
                }
            } else {
                Flavor::Request
            };
            let config = LambdaConfig {
                function,
                flavor,
                identity,
                ttl,
            };
            lambda_authorizers::check_cacheable(&config, &authorizer.location())?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Lambda(config)))
        }
        other => Err(TemplateError::invalid(
            &authorizer.property_location("Type"),
            format!("`{other}` is not an authorizer type of a REST API"),
        )),
    }
}

fn gateway_response(
    cx: &Context<'_>,
    response: Resource<'_>,
) -> Result<(String, GatewayResponse), TemplateError> {
    let kind = required_string(cx, response, "ResponseType")?;
    if response
        .property("ResponseTemplates")
        .and_then(Yaml::as_mapping)
        .is_some_and(|t| !t.is_empty())
    {
        return Err(TemplateError::invalid(
            &response.property_location("ResponseTemplates"),
            "response templates are not supported by the local API",
        ));
    }
    let status = match string_property(cx, response, "StatusCode")? {
        Some(status) => Some(
            status
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| {
                    TemplateError::invalid(
                        &response.property_location("StatusCode"),
                        "expected an HTTP status",
                    )
                })?,
        ),
        None => None,
    };
    let mut headers = Vec::new();
    if let Some(parameters) = response.property("ResponseParameters") {
        let at = response.property_location("ResponseParameters");
        for (name, value) in cx.string_map(parameters, &at)? {
            let header = name
                .strip_prefix("gatewayresponse.header.")
                .ok_or_else(|| {
                    TemplateError::invalid(
                        &at.child(&name),
                        "only headers are supported by the local API",
                    )
                })?;
            let literal = openapi::unquote(&value).ok_or_else(|| {
                TemplateError::invalid(
                    &at.child(&name),
                    format!("`{value}`: only quoted literal values are supported locally"),
                )
            })?;
            headers.push((header.to_ascii_lowercase(), literal.to_owned()));
        }
    }
    Ok((kind, GatewayResponse { status, headers }))
}

fn read_http(cx: &mut Context<'_>, api: Resource<'_>) -> Result<Option<Api>, TemplateError> {
    let protocol = string_property(cx, api, "ProtocolType")?.unwrap_or_else(|| "HTTP".into());
    if !protocol.eq_ignore_ascii_case("HTTP") {
        cx.warnings.push(format!(
            "`{}`: {protocol} APIs are not served by the local API",
            api.logical_id
        ));
        return Ok(None);
    }
    refuse_policies(cx, api)?;
    let id = api_ref(cx, api)?;
    let mut definition = body_definition(cx, api, ApiKind::Http)?;
    if let Some(cors) = api.property("CorsConfiguration") {
        definition.cors = Some(http_cors(
            cx,
            cors,
            &api.property_location("CorsConfiguration"),
        )?);
    }
    for authorizer in children(cx, "AWS::ApiGatewayV2::Authorizer", "ApiId", &id)? {
        let scheme = http_authorizer(cx, authorizer)?;
        definition
            .schemes
            .insert(authorizer.logical_id.to_owned(), scheme);
    }
    // Logical ids have no `_`: this name is free for `AuthorizationType: AWS_IAM`.
    definition
        .schemes
        .entry(IAM.to_owned())
        .or_insert(Scheme::Iam);
    let mut integrations = BTreeMap::new();
    for integration in children(cx, "AWS::ApiGatewayV2::Integration", "ApiId", &id)? {
        let own = cx
            .resolver
            .eval_string(&ref_to(integration.logical_id), &integration.location())?;
        let body = Yaml::Mapping(
            integration
                .body
                .get("Properties")
                .and_then(Yaml::as_mapping)
                .cloned()
                .unwrap_or_default(),
        );
        integrations.insert(
            own,
            raw_integration(cx, ApiKind::Http, &body, &integration.property_location(""))?,
        );
    }
    let mut stages = Vec::new();
    // Quick create: `Target` makes a `$default` route (or `RouteKey`) and a `$default` stage.
    if let Some(target) = string_property(cx, api, "Target")? {
        let route_key = string_property(cx, api, "RouteKey")?.unwrap_or_else(|| "$default".into());
        let mut twin = Mapping::new();
        twin.insert(Yaml::from("type"), Yaml::from("aws_proxy"));
        twin.insert(Yaml::from("uri"), Yaml::from(target));
        twin.insert(Yaml::from("payloadFormatVersion"), Yaml::from("2.0"));
        let integration = openapi::read_integration(
            cx,
            ApiKind::Http,
            &Yaml::Mapping(twin),
            &api.property_location("Target"),
        )?;
        let (method, path) = route_key_parts(&route_key, &api.property_location("RouteKey"))?;
        definition.operations.push(Operation {
            method,
            path,
            integration: Some(integration),
            security: None,
            at: api.property_location("Target"),
        });
        stages.push(Stage::named(Stage::DEFAULT));
    }
    for route in children(cx, "AWS::ApiGatewayV2::Route", "ApiId", &id)? {
        let route_key = required_string(cx, route, "RouteKey")?;
        let (method, path) = route_key_parts(&route_key, &route.property_location("RouteKey"))?;
        let integration = match string_property(cx, route, "Target")? {
            None => None,
            Some(target) => {
                let target_at = route.property_location("Target");
                let integration_id = target.strip_prefix("integrations/").ok_or_else(|| {
                    TemplateError::invalid(
                        &target_at,
                        format!("`{target}`: expected integrations/<id>"),
                    )
                })?;
                Some(integrations.get(integration_id).cloned().ok_or_else(|| {
                    TemplateError::invalid(
                        &target_at,
                        format!("names no AWS::ApiGatewayV2::Integration of this API (`{integration_id}`)"),
                    )
                })?)
            }
        };
        let authorization = string_property(cx, route, "AuthorizationType")?
            .unwrap_or_else(|| "NONE".into())
            .to_ascii_uppercase();
        let scopes = match route.property("AuthorizationScopes") {
            Some(v) => cx
                .resolver
                .eval_string_list(v, &route.property_location("AuthorizationScopes"))?,
            None => Vec::new(),
        };
        let security = match authorization.as_str() {
            "NONE" => Vec::new(),
            "JWT" | "CUSTOM" => vec![Requirement::new(
                required_string(cx, route, "AuthorizerId")?,
                scopes,
            )],
            "AWS_IAM" => vec![Requirement::new(IAM, Vec::new())],
            other => {
                return Err(TemplateError::invalid(
                    &route.property_location("AuthorizationType"),
                    format!("`{other}` is not an authorization type of an HTTP API"),
                ));
            }
        };
        if definition.operation(&path, &method).is_some() {
            return Err(TemplateError::invalid(
                &route.location(),
                format!("route `{route_key}` is defined twice"),
            ));
        }
        definition.operations.push(Operation {
            method,
            path,
            integration,
            security: Some(security),
            at: route.location(),
        });
    }
    for stage in children(cx, "AWS::ApiGatewayV2::Stage", "ApiId", &id)? {
        let name = required_string(cx, stage, "StageName")?;
        let variables = match stage.property("StageVariables") {
            Some(v) => cx.string_map(v, &stage.property_location("StageVariables"))?,
            None => BTreeMap::new(),
        };
        stages.retain(|s| s.name != name);
        stages.push(Stage { name, variables });
    }
    finish(cx, api, definition, stages)
}

/// `GET /items/{id}` -> (`GET`, `/items/{id}`); `$default` -> (`ANY`, `$default`).
fn route_key_parts(route_key: &str, at: &Location) -> Result<(String, String), TemplateError> {
    if route_key == "$default" {
        return Ok(("ANY".into(), "$default".into()));
    }
    let (method, path) = route_key.split_once(' ').ok_or_else(|| {
        TemplateError::invalid(
            at,
            format!("`{route_key}`: expected `METHOD /path` or `$default`"),
        )
    })?;
    validate_path(path, at)?;
    Ok((method.to_ascii_uppercase(), path.to_owned()))
}

/// One `AWS::ApiGatewayV2::Authorizer`.
fn http_authorizer(
    cx: &mut Context<'_>,
    authorizer: Resource<'_>,
) -> Result<Scheme, TemplateError> {
    let kind = required_string(cx, authorizer, "AuthorizerType")?.to_ascii_uppercase();
    match kind.as_str() {
        "JWT" => {
            let source_at = authorizer.property_location("IdentitySource");
            let sources = match authorizer.property("IdentitySource") {
                Some(v) => cx.resolver.eval_string_list(v, &source_at)?,
                None => Vec::new(),
            };
            let identity = match sources.as_slice() {
                [] => crate::model::IdentitySource::Header("authorization".into()),
                [source] => http_identity_source(source, &source_at)?,
                _ => {
                    return Err(TemplateError::invalid(
                        &source_at,
                        "a JWT authorizer takes one identity source",
                    ));
                }
            };
            let jwt_at = authorizer.property_location("JwtConfiguration");
            let jwt = authorizer
                .property("JwtConfiguration")
                .ok_or_else(|| TemplateError::invalid(&jwt_at, "missing"))?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Jwt(jwt_config(
                cx, jwt, &jwt_at, identity,
            )?)))
        }
        "REQUEST" => {
            let uri_at = authorizer.property_location("AuthorizerUri");
            let uri = required_string(cx, authorizer, "AuthorizerUri")?;
            let function = lambda_authorizers::function(cx, &uri, &uri_at)?;
            let payload_at = authorizer.property_location("AuthorizerPayloadFormatVersion");
            let payload = authorizer
                .property("AuthorizerPayloadFormatVersion")
                .ok_or_else(|| TemplateError::invalid(&payload_at, "missing"))?;
            let payload = lambda_authorizers::payload(cx, payload, &payload_at)?;
            let simple_responses = match authorizer.property("EnableSimpleResponses") {
                Some(value) => cx.resolver.eval_bool(
                    value,
                    &authorizer.property_location("EnableSimpleResponses"),
                )?,
                None => false,
            };
            let ttl = match authorizer.property("AuthorizerResultTtlInSeconds") {
                Some(value) => lambda_authorizers::ttl(
                    cx,
                    value,
                    &authorizer.property_location("AuthorizerResultTtlInSeconds"),
                )?,
                None => std::time::Duration::ZERO,
            };
            let source_at = authorizer.property_location("IdentitySource");
            let identity = match authorizer.property("IdentitySource") {
                Some(value) => cx
                    .resolver
                    .eval_string_list(value, &source_at)?
                    .iter()
                    .map(|source| lambda_authorizers::http_source(source, &source_at))
                    .collect::<Result<_, _>>()?,
                None => Vec::new(),
            };
            let config = LambdaConfig {
                function,
                flavor: Flavor::Http {
                    payload,
                    simple_responses,
                },
                identity,
                ttl,
            };
            lambda_authorizers::check_cacheable(&config, &authorizer.location())?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Lambda(config)))
        }
        other => Err(TemplateError::invalid(
            &authorizer.property_location("AuthorizerType"),
            format!("`{other}` is not an authorizer type of an HTTP API"),
        )),
    }
}

/// `AWS::ApiGatewayV2::Api` `CorsConfiguration`.
fn http_cors(cx: &Context<'_>, value: &Yaml, at: &Location) -> Result<CorsConfig, TemplateError> {
    let list = |key: &str| match value.get(key) {
        Some(v) => cx.resolver.eval_string_list(v, &at.child(key)),
        None => Ok(Vec::new()),
    };
    let max_age = match value.get("MaxAge") {
        None => None,
        Some(v) => Some(
            cx.resolver
                .eval_string(v, &at.child("MaxAge"))?
                .parse()
                .map_err(|_| TemplateError::invalid(&at.child("MaxAge"), "expected seconds"))?,
        ),
    };
    let allow_credentials = match value.get("AllowCredentials") {
        None => false,
        Some(v) => cx.resolver.eval_bool(v, &at.child("AllowCredentials"))?,
    };
    let lower = |items: Vec<String>| items.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    Ok(CorsConfig {
        allow_origins: list("AllowOrigins")?,
        allow_methods: list("AllowMethods")?
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        allow_headers: lower(list("AllowHeaders")?),
        expose_headers: lower(list("ExposeHeaders")?),
        max_age,
        allow_credentials,
    })
}
