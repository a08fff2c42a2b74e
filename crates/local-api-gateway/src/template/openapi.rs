//! An OpenAPI 3 or Swagger 2 document with API Gateway's extensions, as API Gateway imports it
//! ("Working with API Gateway extensions to OpenAPI"): `paths` with their methods
//! (`x-amazon-apigateway-any-method` is `ANY`), each method's `x-amazon-apigateway-integration`
//! and `security`, the security schemes (`components.securitySchemes` or `securityDefinitions`)
//! with `x-amazon-apigateway-authorizer` / `x-amazon-apigateway-authtype`, root-level `security`,
//! and `x-amazon-apigateway-cors` / `-gateway-responses` / `-binary-media-types`. The document may
//! hold intrinsic functions (a template's `DefinitionBody`): values are evaluated where they are
//! read, and `Fn::If` is followed wherever a path, method or list entry is expected.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::lambda_authorizers;
use super::{
    Context, Location, TemplateError,
    definition::{Definition, Operation, Requirement, Scheme},
    functions::{integration_timeout, validate_path},
    kind_of,
};
use crate::{
    authorizer::{
        cognito::{CognitoConfig, Pattern, issuer_of_user_pool_arn},
        jwt::JwtConfig,
        lambda::{Flavor, LambdaConfig},
    },
    model::{
        ApiKeySource, ApiKind, AuthorizerConfig, CorsConfig, GatewayResponse, IdentitySource,
        Integration, LambdaIntegration, MockResponse, PayloadVersion,
    },
};

/// API Gateway's integration timeouts when the document sets none (and their maximum).
pub(super) fn max_integration_timeout(kind: ApiKind) -> std::time::Duration {
    std::time::Duration::from_millis(match kind {
        ApiKind::Http => 30_000,
        ApiKind::Rest => 29_000,
    })
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

/// Reads `body`, found at `at`, as the definition of an API of `kind`.
pub(super) fn read(
    cx: &mut Context<'_>,
    kind: ApiKind,
    body: &Yaml,
    at: &Location,
) -> Result<Definition, TemplateError> {
    let body = cx
        .resolver
        .select(body, at)?
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| TemplateError::invalid(at, "expected an OpenAPI document (a mapping)"))?;
    if body.get("openapi").is_none() && body.get("swagger").is_none() {
        return Err(TemplateError::invalid(
            at,
            "not an OpenAPI document: it has neither `openapi` nor `swagger`",
        ));
    }
    for (key, why) in [
        (
            "x-amazon-apigateway-policy",
            "a resource policy decides who may call; the local API does not evaluate resource policies",
        ),
        (
            "x-amazon-apigateway-endpoint-configuration",
            "endpoint configurations (disableExecuteApiEndpoint, VPC endpoints) are not emulated",
        ),
    ] {
        if body.get(key).is_some() {
            return Err(TemplateError::invalid(&at.child(key), why));
        }
    }
    let mut definition = Definition::new(kind);
    if body.get(VALIDATOR).is_some() {
        cx.warnings.push(not_validated(&at.child(VALIDATOR)));
    }
    let schemes_at = |key: &str| at.child(key);
    let schemes = match body
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
    {
        Some(schemes) => Some((schemes, schemes_at("components").child("securitySchemes"))),
        None => body
            .get("securityDefinitions")
            .map(|schemes| (schemes, schemes_at("securityDefinitions"))),
    };
    if let Some((schemes, schemes_at)) = schemes {
        let schemes = mapping(cx, schemes, &schemes_at)?;
        for (name, scheme) in schemes {
            let name = key_str(name, &schemes_at)?;
            let scheme_at = schemes_at.child(name);
            definition
                .schemes
                .insert(name.to_owned(), read_scheme(cx, kind, scheme, &scheme_at)?);
        }
    }
    if let Some(security) = body.get("security") {
        definition.root_security = Some(read_security(cx, security, &at.child("security"))?);
    }
    if let Some(paths) = body.get("paths") {
        let paths_at = at.child("paths");
        for (path, item) in mapping(cx, paths, &paths_at)? {
            let path = key_str(path, &paths_at)?;
            let item_at = paths_at.child(path);
            let Some(item) = cx.resolver.select(item, &item_at)? else {
                continue;
            };
            let item = item.as_mapping().ok_or_else(|| {
                TemplateError::invalid(
                    &item_at,
                    format!("expected a path item, found {}", kind_of(item)),
                )
            })?;
            read_path(cx, kind, path, item, &item_at, &mut definition)?;
        }
    }
    if let Some(cors) = body.get("x-amazon-apigateway-cors") {
        definition.cors = Some(read_cors(cx, cors, &at.child("x-amazon-apigateway-cors"))?);
    }
    if let Some(responses) = body.get("x-amazon-apigateway-gateway-responses") {
        definition.gateway_responses = read_gateway_responses(
            cx,
            responses,
            &at.child("x-amazon-apigateway-gateway-responses"),
        )?;
    }
    if let Some(types) = body.get("x-amazon-apigateway-binary-media-types") {
        definition.binary_media_types = cx
            .resolver
            .eval_string_list(types, &at.child("x-amazon-apigateway-binary-media-types"))?;
    }
    if let Some(source) = body.get("x-amazon-apigateway-api-key-source") {
        definition.api_key_source =
            api_key_source(cx, source, &at.child("x-amazon-apigateway-api-key-source"))?;
    }
    Ok(definition)
}

const VALIDATOR: &str = "x-amazon-apigateway-request-validator";

/// The warning for a request validator: not emulated (chosen: validation is no authorization;
/// the route is served, and what AWS would refuse with a 400 reaches the function).
pub(super) fn not_validated(at: &Location) -> String {
    format!(
        "{at}: request validation is not emulated: requests API Gateway would refuse (400 Invalid request body / Missing required request parameters) reach the function"
    )
}

/// `HEADER` or `AUTHORIZER` (`x-amazon-apigateway-api-key-source`, `ApiKeySourceType`).
pub(super) fn api_key_source(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<ApiKeySource, TemplateError> {
    match cx.resolver.eval_string(value, at)?.as_str() {
        "HEADER" => Ok(ApiKeySource::Header),
        "AUTHORIZER" => Ok(ApiKeySource::Authorizer),
        other => Err(TemplateError::invalid(
            at,
            format!("`{other}` is not an API key source (HEADER or AUTHORIZER)"),
        )),
    }
}

fn read_path(
    cx: &mut Context<'_>,
    kind: ApiKind,
    path: &str,
    item: &Mapping,
    at: &Location,
    definition: &mut Definition,
) -> Result<(), TemplateError> {
    // An HTTP API's catch-all: `$default`, or an `ANY` marked `isDefaultRoute` (SAM writes it on
    // `/$default` when FailOnWarnings is set; API Gateway's documentation ties the flag to no
    // path, so it counts on any path).
    let is_default = path == "$default"
        || match item.get(ANY_METHOD).and_then(|m| m.get("isDefaultRoute")) {
            Some(flag) => cx
                .resolver
                .eval_bool(flag, &at.child(ANY_METHOD).child("isDefaultRoute"))?,
            None => false,
        };
    let path = if is_default && kind == ApiKind::Http {
        "$default".to_owned()
    } else {
        validate_path(path, at)?;
        path.to_owned()
    };
    for (method, operation) in item {
        let Some(key) = method.as_str() else {
            continue;
        };
        let method = match key.to_ascii_lowercase().as_str() {
            ANY_METHOD => "ANY".to_owned(),
            m if METHODS.contains(&m) => m.to_ascii_uppercase(),
            // `parameters`, `summary`, `servers`, other extensions: nothing to serve.
            _ => continue,
        };
        let op_at = at.child(key);
        let Some(operation) = cx.resolver.select(operation, &op_at)? else {
            continue;
        };
        let integration = match operation.get("x-amazon-apigateway-integration") {
            Some(integration) => Some(read_integration(
                cx,
                kind,
                integration,
                &op_at.child("x-amazon-apigateway-integration"),
            )?),
            None => None,
        };
        let security = match operation.get("security") {
            Some(security) => Some(read_security(cx, security, &op_at.child("security"))?),
            None => None,
        };
        if operation.get(VALIDATOR).is_some() {
            cx.warnings.push(not_validated(&op_at.child(VALIDATOR)));
        }
        if definition.operation(&path, &method).is_some() {
            return Err(TemplateError::invalid(
                &op_at,
                format!("{method} {path} is defined twice"),
            ));
        }
        definition.operations.push(Operation {
            method,
            path: path.clone(),
            integration,
            security,
            at: op_at,
        });
    }
    Ok(())
}

/// A `security` list: `[{Name: [scopes]}, ...]`.
pub(super) fn read_security(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<Vec<Requirement>, TemplateError> {
    let Some(value) = cx.resolver.select(value, at)? else {
        return Ok(Vec::new());
    };
    let items = value
        .as_sequence()
        .ok_or_else(|| TemplateError::invalid(at, "expected a list of security requirements"))?;
    let mut requirements = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_at = at.child(i);
        let Some(item) = cx.resolver.select(item, &item_at)? else {
            continue;
        };
        let entries = item
            .as_mapping()
            .ok_or_else(|| TemplateError::invalid(&item_at, "expected {Name: [scopes]}"))?;
        for (name, scopes) in entries {
            let name = key_str(name, &item_at)?;
            let scopes = match scopes {
                Yaml::Null => Vec::new(),
                scopes => cx.resolver.eval_string_list(scopes, &item_at.child(name))?,
            };
            requirements.push(Requirement::new(name, scopes));
        }
    }
    Ok(requirements)
}

/// A security scheme. Types the local API cannot enforce are kept as such: they are an error
/// only where a route requires them.
fn read_scheme(
    cx: &mut Context<'_>,
    kind: ApiKind,
    scheme: &Yaml,
    at: &Location,
) -> Result<Scheme, TemplateError> {
    let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") else {
        let auth_type = scheme
            .get("x-amazon-apigateway-authtype")
            .and_then(Yaml::as_str)
            .unwrap_or_default();
        if auth_type.eq_ignore_ascii_case("awsSigv4") {
            return Ok(Scheme::Iam);
        }
        let why = if scheme.get("type").and_then(Yaml::as_str) == Some("apiKey") {
            let name = scheme
                .get("name")
                .and_then(Yaml::as_str)
                .unwrap_or_default();
            match kind {
                ApiKind::Rest if name.eq_ignore_ascii_case("x-api-key") => {
                    return Ok(Scheme::ApiKey);
                }
                ApiKind::Rest => format!(
                    "API Gateway takes API keys from the x-api-key header only, not `{name}`"
                ),
                ApiKind::Http => "HTTP APIs have no API keys".into(),
            }
        } else {
            "this security scheme has no x-amazon-apigateway-authorizer the local API can enforce"
                .into()
        };
        return Ok(Scheme::Unsupported {
            why,
            at: at.clone(),
        });
    };
    let authorizer_at = at.child("x-amazon-apigateway-authorizer");
    let kind_at = authorizer_at.child("type");
    let authorizer_type = authorizer
        .get("type")
        .map(|t| cx.resolver.eval_string(t, &kind_at))
        .transpose()?
        .unwrap_or_default()
        .to_ascii_lowercase();
    match (kind, authorizer_type.as_str()) {
        (ApiKind::Http, "jwt") => {
            let jwt_at = authorizer_at.child("jwtConfiguration");
            let jwt = authorizer
                .get("jwtConfiguration")
                .ok_or_else(|| TemplateError::invalid(&jwt_at, "missing"))?;
            let identity_at = authorizer_at.child("identitySource");
            let identity = match authorizer.get("identitySource") {
                None => IdentitySource::Header("authorization".into()),
                Some(value) => {
                    let sources = match value {
                        Yaml::Sequence(_) => cx.resolver.eval_string_list(value, &identity_at)?,
                        value => vec![cx.resolver.eval_string(value, &identity_at)?],
                    };
                    let [source] = sources.as_slice() else {
                        return Err(TemplateError::invalid(
                            &identity_at,
                            "a JWT authorizer takes one identity source",
                        ));
                    };
                    http_identity_source(source, &identity_at)?
                }
            };
            Ok(Scheme::Authorizer(AuthorizerConfig::Jwt(jwt_config(
                cx, jwt, &jwt_at, identity,
            )?)))
        }
        (ApiKind::Rest, "cognito_user_pools") => {
            let arns_at = authorizer_at.child("providerARNs");
            let arns = authorizer
                .get("providerARNs")
                .ok_or_else(|| TemplateError::invalid(&arns_at, "missing"))?;
            let arns = cx.resolver.eval_string_list(arns, &arns_at)?;
            // The token comes from the header the scheme names (`name`, `in: header`).
            let header = match scheme.get("name") {
                Some(name) => cx.resolver.eval_string(name, &at.child("name"))?,
                None => "Authorization".into(),
            };
            let expression = authorizer
                .get("identityValidationExpression")
                .map(|e| {
                    cx.resolver
                        .eval_string(e, &authorizer_at.child("identityValidationExpression"))
                })
                .transpose()?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Cognito(
                cognito_config(
                    &arns,
                    &arns_at,
                    &header,
                    expression.as_deref(),
                    &authorizer_at.child("identityValidationExpression"),
                )?,
            )))
        }
        (_, "token" | "request") => {
            let uri_at = authorizer_at.child("authorizerUri");
            let uri = authorizer
                .get("authorizerUri")
                .ok_or_else(|| TemplateError::invalid(&uri_at, "missing"))?;
            let uri = cx.resolver.eval_string(uri, &uri_at)?;
            let function = lambda_authorizers::function(cx, &uri, &uri_at)?;
            let ttl_at = authorizer_at.child("authorizerResultTtlInSeconds");
            let ttl = match authorizer.get("authorizerResultTtlInSeconds") {
                Some(value) => lambda_authorizers::ttl(cx, value, &ttl_at)?,
                None if kind == ApiKind::Rest => lambda_authorizers::REST_DEFAULT_TTL,
                None => std::time::Duration::ZERO,
            };
            let source_at = authorizer_at.child("identitySource");
            let sources = match authorizer.get("identitySource") {
                None => None,
                Some(value @ Yaml::Sequence(_)) => {
                    Some(cx.resolver.eval_string_list(value, &source_at)?)
                }
                Some(value) => Some(
                    cx.resolver
                        .eval_string(value, &source_at)?
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                ),
            };
            let (flavor, identity) = match (kind, authorizer_type.as_str()) {
                (ApiKind::Rest, "token") => {
                    // The token's header: the identity source, else the scheme's `name`.
                    let identity = match &sources {
                        Some(sources) => {
                            lambda_authorizers::rest_sources(&sources.join(","), &source_at)?
                        }
                        None => {
                            let header = match scheme.get("name") {
                                Some(name) => cx.resolver.eval_string(name, &at.child("name"))?,
                                None => "Authorization".into(),
                            };
                            vec![crate::model::IdentitySource::Header(
                                header.to_ascii_lowercase(),
                            )]
                        }
                    };
                    if !matches!(
                        identity.as_slice(),
                        [crate::model::IdentitySource::Header(_)]
                    ) {
                        return Err(TemplateError::invalid(
                            &source_at,
                            "a TOKEN authorizer takes one header",
                        ));
                    }
                    let validation = lambda_authorizers::validation(
                        cx,
                        authorizer.get("identityValidationExpression"),
                        &authorizer_at.child("identityValidationExpression"),
                    )?;
                    (Flavor::Token { validation }, identity)
                }
                (ApiKind::Rest, _) => (
                    Flavor::Request,
                    lambda_authorizers::rest_sources(
                        &sources.unwrap_or_default().join(","),
                        &source_at,
                    )?,
                ),
                (ApiKind::Http, "request") => {
                    let payload_at = authorizer_at.child("authorizerPayloadFormatVersion");
                    let payload = authorizer
                        .get("authorizerPayloadFormatVersion")
                        .ok_or_else(|| TemplateError::invalid(&payload_at, "missing"))?;
                    let payload = lambda_authorizers::payload(cx, payload, &payload_at)?;
                    let simple_responses = match authorizer.get("enableSimpleResponses") {
                        Some(value) => cx
                            .resolver
                            .eval_bool(value, &authorizer_at.child("enableSimpleResponses"))?,
                        None => false,
                    };
                    let identity = sources
                        .unwrap_or_default()
                        .iter()
                        .map(|source| lambda_authorizers::http_source(source, &source_at))
                        .collect::<Result<_, _>>()?;
                    (
                        Flavor::Http {
                            payload,
                            simple_responses,
                        },
                        identity,
                    )
                }
                (ApiKind::Http, _) => {
                    return Err(TemplateError::invalid(
                        &kind_at,
                        "an HTTP API's Lambda authorizers are of type request",
                    ));
                }
            };
            let config = LambdaConfig {
                function,
                flavor,
                identity,
                ttl,
            };
            lambda_authorizers::check_cacheable(&config, &authorizer_at)?;
            Ok(Scheme::Authorizer(AuthorizerConfig::Lambda(config)))
        }
        (_, other) => Err(TemplateError::invalid(
            &kind_at,
            format!(
                "`{other}` is not an authorizer type of this {}",
                kind.name()
            ),
        )),
    }
}

/// `$request.header.X` / `$request.querystring.X`: where an HTTP API authorizer looks.
pub(super) fn http_identity_source(
    source: &str,
    at: &Location,
) -> Result<IdentitySource, TemplateError> {
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

/// A JWT authorizer's `jwtConfiguration` / `JwtConfiguration` (`issuer`, `audience`, either case).
pub(super) fn jwt_config(
    cx: &Context<'_>,
    jwt: &Yaml,
    at: &Location,
    identity: IdentitySource,
) -> Result<JwtConfig, TemplateError> {
    let field = |lower: &str, upper: &str| {
        jwt.get(lower)
            .or_else(|| jwt.get(upper))
            .map(|v| (v, at.child(lower)))
    };
    let (issuer, issuer_at) = field("issuer", "Issuer")
        .ok_or_else(|| TemplateError::invalid(&at.child("issuer"), "missing"))?;
    let issuer = cx.resolver.eval_string(issuer, &issuer_at)?;
    let audience = match field("audience", "Audience") {
        Some((value @ Yaml::Sequence(_), at)) => cx.resolver.eval_string_list(value, &at)?,
        Some((value, at)) => vec![cx.resolver.eval_string(value, &at)?],
        None => Vec::new(),
    };
    if audience.is_empty() {
        return Err(TemplateError::invalid(
            &at.child("audience"),
            "a JWT authorizer needs at least one audience",
        ));
    }
    Ok(JwtConfig {
        issuer,
        audience,
        identity,
    })
}

/// A Cognito user pool authorizer: the issuers of the pools `arns` name, the header, and the
/// validation expression matched against the whole `aud`.
pub(super) fn cognito_config(
    arns: &[String],
    arns_at: &Location,
    header: &str,
    expression: Option<&str>,
    expression_at: &Location,
) -> Result<CognitoConfig, TemplateError> {
    if arns.is_empty() {
        return Err(TemplateError::invalid(arns_at, "names no user pool"));
    }
    let issuers = arns
        .iter()
        .map(|arn| {
            issuer_of_user_pool_arn(arn).ok_or_else(|| {
                TemplateError::invalid(
                    arns_at,
                    format!("`{arn}` is not a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let audience_pattern = expression.map(Pattern::whole).transpose().map_err(|e| {
        TemplateError::invalid(
            expression_at,
            format!("not a valid regular expression: {e}"),
        )
    })?;
    Ok(CognitoConfig {
        issuers,
        audience_pattern,
        identity: IdentitySource::Header(header.to_ascii_lowercase()),
    })
}

/// `x-amazon-apigateway-integration`: a Lambda proxy integration is served; a static MOCK too;
/// anything that would leave the laptop is kept as unavailable, named.
pub(super) fn read_integration(
    cx: &mut Context<'_>,
    kind: ApiKind,
    value: &Yaml,
    at: &Location,
) -> Result<Integration, TemplateError> {
    let type_at = at.child("type");
    let integration_type = value
        .get("type")
        .map(|t| cx.resolver.eval_string(t, &type_at))
        .transpose()?
        .ok_or_else(|| TemplateError::invalid(&type_at, "missing"))?
        .to_ascii_lowercase();
    let uri = || -> Option<String> {
        value
            .get("uri")
            .and_then(|uri| cx.resolver.eval_string(uri, &at.child("uri")).ok())
    };
    if value
        .get("connectionType")
        .and_then(Yaml::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("VPC_LINK"))
    {
        return Ok(Integration::Unavailable(format!(
            "a {integration_type} integration through a VPC link"
        )));
    }
    match integration_type.as_str() {
        "aws_proxy" => {
            if let Some(subtype) = value.get("integrationSubtype") {
                let subtype = cx
                    .resolver
                    .eval_string(subtype, &at.child("integrationSubtype"))?;
                return Ok(Integration::Unavailable(format!(
                    "an AWS service integration ({subtype})"
                )));
            }
            let uri_at = at.child("uri");
            let uri = value
                .get("uri")
                .ok_or_else(|| TemplateError::invalid(&uri_at, "missing"))?;
            let uri = cx.resolver.eval_string(uri, &uri_at)?;
            let function = lambda_of_uri(&uri)
                .and_then(|arn| cx.functions.by_arn(arn))
                .ok_or_else(|| {
                    TemplateError::invalid(
                        &uri_at,
                        format!("`{uri}` is not a Lambda function's invocation URI"),
                    )
                })?;
            if function.logical_id.is_empty() {
                cx.warnings.push(format!(
                    "{uri_at}: function `{}` is not in the template; it is invoked by that name",
                    function.name
                ));
            }
            let payload = match kind {
                ApiKind::Rest => PayloadVersion::V1,
                ApiKind::Http => match value.get("payloadFormatVersion") {
                    // API Gateway's import takes 1.0 when the document says nothing (chosen:
                    // the documentation calls the field required and gives no default).
                    None => PayloadVersion::V1,
                    Some(version) => payload_version(
                        &cx.resolver
                            .eval_string(version, &at.child("payloadFormatVersion"))?,
                        &at.child("payloadFormatVersion"),
                    )?,
                },
            };
            let timeout = integration_timeout(
                &cx.resolver,
                value.get("timeoutInMillis"),
                &at.child("timeoutInMillis"),
                max_integration_timeout(kind),
            )?;
            Ok(Integration::Lambda(LambdaIntegration {
                function,
                payload,
                timeout,
            }))
        }
        "mock" if kind == ApiKind::Rest => Ok(read_mock(cx, value, at)?.map_or_else(
            || Integration::Unavailable("a MOCK integration with mapping templates".into()),
            Integration::Mock,
        )),
        "http" | "http_proxy" => Ok(Integration::Unavailable(match uri() {
            Some(uri) => format!("an HTTP integration to {uri}"),
            None => "an HTTP integration".into(),
        })),
        "aws" => Ok(Integration::Unavailable(match uri() {
            Some(uri) => format!("an AWS service integration ({uri})"),
            None => "an AWS service integration".into(),
        })),
        other => Err(TemplateError::invalid(
            &type_at,
            format!(
                "`{other}` is not an integration type of this {}",
                kind.name()
            ),
        )),
    }
}

/// `1.0` / `2.0`, written as a string or a YAML number.
pub(super) fn payload_version(
    version: &str,
    at: &Location,
) -> Result<PayloadVersion, TemplateError> {
    match version {
        "1.0" | "1" => Ok(PayloadVersion::V1),
        "2.0" | "2" => Ok(PayloadVersion::V2),
        other => Err(TemplateError::invalid(
            at,
            format!("payload format `{other}`: expected 1.0 or 2.0"),
        )),
    }
}

/// The function ARN in a Lambda invocation URI
/// (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`); an HTTP
/// API also takes the function's ARN itself.
pub(super) fn lambda_of_uri(uri: &str) -> Option<&str> {
    if uri.starts_with("arn:") && uri.contains(":lambda:") && !uri.contains(":apigateway:") {
        return Some(uri);
    }
    let (_, rest) = uri.split_once(":lambda:path/")?;
    let rest = rest
        .strip_prefix("2015-03-31/functions/")
        .or_else(|| rest.strip_prefix("2021-11-15/functions/"))?;
    rest.strip_suffix("/invocations")
        .or_else(|| rest.strip_suffix("/response-streaming-invocations"))
}

/// A MOCK integration whose answer is fixed: the request template picks a status code
/// (`{"statusCode": 200}`, or 200 without one), the integration response matching it (its
/// selection pattern, else `default`) gives the status, headers that are quoted literals and a
/// body without template expressions. `None`: the answer depends on the request (mapping
/// templates), which the local API does not evaluate.
fn read_mock(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<Option<MockResponse>, TemplateError> {
    let selected = match value
        .get("requestTemplates")
        .and_then(|t| t.get("application/json"))
    {
        None => 200,
        Some(template) => {
            let template = cx
                .resolver
                .eval_string(template, &at.child("requestTemplates"))?;
            match serde_json::from_str::<serde_json::Value>(&template)
                .ok()
                .and_then(|v| v.get("statusCode").and_then(serde_json::Value::as_u64))
            {
                Some(status) => status,
                None => return Ok(None),
            }
        }
    };
    let responses_at = at.child("responses");
    let Some(responses) = value.get("responses") else {
        return Ok(Some(MockResponse {
            status: u16::try_from(selected).unwrap_or(200),
            headers: Vec::new(),
            body: String::new(),
        }));
    };
    let responses = mapping(cx, responses, &responses_at)?;
    let selected_text = selected.to_string();
    let matching = responses.iter().find(|(pattern, _)| {
        pattern.as_str().is_some_and(|p| {
            p != "default"
                && regex::Regex::new(&format!("^(?:{p})$"))
                    .is_ok_and(|r| r.is_match(&selected_text))
        })
    });
    let Some((key, response)) = matching.or_else(|| {
        responses
            .iter()
            .find(|(k, _)| k.as_str() == Some("default"))
    }) else {
        return Ok(None);
    };
    let response_at = responses_at.child(key.as_str().unwrap_or("?"));
    let status = match response.get("statusCode") {
        Some(status) => cx
            .resolver
            .eval_string(status, &response_at.child("statusCode"))?
            .parse::<u16>()
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| {
                TemplateError::invalid(&response_at.child("statusCode"), "expected an HTTP status")
            })?,
        None => u16::try_from(selected).unwrap_or(200),
    };
    let mut headers = Vec::new();
    if let Some(parameters) = response.get("responseParameters") {
        let parameters_at = response_at.child("responseParameters");
        for (name, value) in mapping(cx, parameters, &parameters_at)? {
            let name = key_str(name, &parameters_at)?;
            let Some(header) = name.strip_prefix("method.response.header.") else {
                return Ok(None);
            };
            let value = cx.resolver.eval_string(value, &parameters_at.child(name))?;
            let Some(literal) = unquote(&value) else {
                return Ok(None);
            };
            headers.push((header.to_ascii_lowercase(), literal.to_owned()));
        }
    }
    let mut body = String::new();
    if let Some(templates) = response.get("responseTemplates") {
        let templates_at = response_at.child("responseTemplates");
        let templates = mapping(cx, templates, &templates_at)?;
        if let Some((content_type, template)) = templates.iter().next() {
            let template = cx.resolver.eval_string(template, &templates_at)?;
            if template.contains('$') || template.contains('#') {
                return Ok(None);
            }
            body = template;
            if let Some(content_type) = content_type.as_str() {
                headers.push(("content-type".into(), content_type.to_owned()));
            }
        }
    }
    Ok(Some(MockResponse {
        status,
        headers,
        body,
    }))
}

/// `x-amazon-apigateway-cors`.
fn read_cors(cx: &Context<'_>, value: &Yaml, at: &Location) -> Result<CorsConfig, TemplateError> {
    let list = |key: &str| match value.get(key) {
        Some(v) => cx.resolver.eval_string_list(v, &at.child(key)),
        None => Ok(Vec::new()),
    };
    let max_age = match value.get("maxAge") {
        None => None,
        Some(v) => Some(
            cx.resolver
                .eval_string(v, &at.child("maxAge"))?
                .parse()
                .map_err(|_| TemplateError::invalid(&at.child("maxAge"), "expected seconds"))?,
        ),
    };
    let allow_credentials = match value.get("allowCredentials") {
        None => false,
        Some(v) => cx.resolver.eval_bool(v, &at.child("allowCredentials"))?,
    };
    let lower = |items: Vec<String>| items.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    Ok(CorsConfig {
        allow_origins: list("allowOrigins")?,
        allow_methods: list("allowMethods")?
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        allow_headers: lower(list("allowHeaders")?),
        expose_headers: lower(list("exposeHeaders")?),
        max_age,
        allow_credentials,
    })
}

/// `x-amazon-apigateway-gateway-responses`: status codes and headers that are quoted literals.
fn read_gateway_responses(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<BTreeMap<String, GatewayResponse>, TemplateError> {
    let mut found = BTreeMap::new();
    for (kind, response) in mapping(cx, value, at)? {
        let kind = key_str(kind, at)?;
        let kind_at = at.child(kind);
        if response
            .get("responseTemplates")
            .and_then(Yaml::as_mapping)
            .is_some_and(|t| !t.is_empty())
        {
            return Err(TemplateError::invalid(
                &kind_at.child("responseTemplates"),
                "response templates are not supported by the local API",
            ));
        }
        let status = match response.get("statusCode") {
            Some(v) => Some(
                cx.resolver
                    .eval_string(v, &kind_at.child("statusCode"))?
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .ok_or_else(|| {
                        TemplateError::invalid(
                            &kind_at.child("statusCode"),
                            "expected an HTTP status",
                        )
                    })?,
            ),
            None => None,
        };
        let mut headers = Vec::new();
        if let Some(parameters) = response.get("responseParameters") {
            let parameters_at = kind_at.child("responseParameters");
            for (name, value) in mapping(cx, parameters, &parameters_at)? {
                let name = key_str(name, &parameters_at)?;
                let Some(header) = name.strip_prefix("gatewayresponse.header.") else {
                    return Err(TemplateError::invalid(
                        &parameters_at.child(name),
                        "only headers are supported by the local API",
                    ));
                };
                let value = cx.resolver.eval_string(value, &parameters_at.child(name))?;
                let literal = unquote(&value).ok_or_else(|| {
                    TemplateError::invalid(
                        &parameters_at.child(name),
                        format!("`{value}`: only quoted literal values are supported locally"),
                    )
                })?;
                headers.push((header.to_ascii_lowercase(), literal.to_owned()));
            }
        }
        found.insert(kind.to_owned(), GatewayResponse { status, headers });
    }
    Ok(found)
}

/// `'value'` -> `value`: API Gateway mapping values are quoted literals (unquoted ones are
/// expressions like `method.request.header.x`, which the local API does not evaluate).
pub(super) fn unquote(text: &str) -> Option<&str> {
    text.strip_prefix('\'')?.strip_suffix('\'')
}

fn mapping<'v>(
    cx: &Context<'_>,
    value: &'v Yaml,
    at: &Location,
) -> Result<&'v Mapping, TemplateError> {
    cx.resolver
        .select(value, at)?
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| {
            TemplateError::invalid(at, format!("expected a mapping, found {}", kind_of(value)))
        })
}

fn key_str<'v>(key: &'v Yaml, at: &Location) -> Result<&'v str, TemplateError> {
    key.as_str()
        .ok_or_else(|| TemplateError::invalid(at, "keys must be strings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_invocation_uris_name_their_function() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:Hello";
        for uri in [
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
            ),
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/{arn}/response-streaming-invocations"
            ),
            arn.to_owned(),
        ] {
            assert_eq!(lambda_of_uri(&uri), Some(arn), "{uri}");
        }
        for uri in [
            "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "https://example.com/x",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/x",
        ] {
            assert_eq!(lambda_of_uri(uri), None, "{uri}");
        }
    }
}
