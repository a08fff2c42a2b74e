//! Lambda authorizers, however a template declares them: SAM's `Auth.Authorizers` with a
//! `FunctionArn`, an OpenAPI `x-amazon-apigateway-authorizer` of type `token` / `request`, or an
//! `AWS::ApiGateway::Authorizer` / `AWS::ApiGatewayV2::Authorizer`. What they share is read here:
//! identity sources in both APIs' spellings, the function an authorizer URI names, the cache TTL.

use std::time::Duration;

use serde_yaml_ng::Value as Yaml;

use super::{Context, Location, TemplateError, openapi::lambda_of_uri};
use crate::{
    authorizer::{
        CONTEXT_VARIABLES, IdentitySource,
        cognito::Pattern,
        lambda::{Flavor, LambdaConfig},
    },
    event::PayloadVersion,
    invoke::FunctionTarget,
};

/// A REST API's default `authorizerResultTtlInSeconds` (an HTTP API's is 0: chosen, as SAM writes
/// none unless `ReauthorizeEvery` is set).
pub(super) const REST_DEFAULT_TTL: Duration = Duration::from_secs(300);

/// The function an `authorizerUri` (or SAM's `FunctionArn`) names.
pub(super) fn function(
    cx: &mut Context<'_>,
    uri_or_arn: &str,
    at: &Location,
) -> Result<FunctionTarget, TemplateError> {
    let function = lambda_of_uri(uri_or_arn)
        .and_then(|arn| cx.functions.by_arn(arn))
        .ok_or_else(|| {
            TemplateError::invalid(
                at,
                format!("`{uri_or_arn}` is not a Lambda function's ARN or invocation URI"),
            )
        })?;
    if function.logical_id.is_empty() {
        cx.warnings.push(format!(
            "{at}: function `{}` is not in the template; it is invoked by that name",
            function.name
        ));
    }
    Ok(function)
}

/// REST identity sources: `method.request.header.X`, `method.request.querystring.X`,
/// `stageVariables.X`, `context.X`, comma-separated.
pub(super) fn rest_sources(
    text: &str,
    at: &Location,
) -> Result<Vec<IdentitySource>, TemplateError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|source| {
            let parsed = if let Some(name) = source.strip_prefix("method.request.header.") {
                Some(IdentitySource::Header(name.to_ascii_lowercase()))
            } else if let Some(name) = source.strip_prefix("method.request.querystring.") {
                Some(IdentitySource::Query(name.to_owned()))
            } else if let Some(name) = source.strip_prefix("stageVariables.") {
                Some(IdentitySource::StageVariable(name.to_owned()))
            } else {
                source
                    .strip_prefix("context.")
                    .map(|name| IdentitySource::Context(name.to_owned()))
            };
            checked(parsed, source, at)
        })
        .collect()
}

/// HTTP identity sources: `$request.header.X`, `$request.querystring.X`, `$stageVariables.X`,
/// `$context.X`.
pub(super) fn http_source(source: &str, at: &Location) -> Result<IdentitySource, TemplateError> {
    let parsed = if let Some(name) = source.strip_prefix("$request.header.") {
        Some(IdentitySource::Header(name.to_ascii_lowercase()))
    } else if let Some(name) = source.strip_prefix("$request.querystring.") {
        Some(IdentitySource::Query(name.to_owned()))
    } else if let Some(name) = source.strip_prefix("$stageVariables.") {
        Some(IdentitySource::StageVariable(name.to_owned()))
    } else {
        source
            .strip_prefix("$context.")
            .map(|name| IdentitySource::Context(name.to_owned()))
    };
    checked(parsed, source, at)
}

fn checked(
    parsed: Option<IdentitySource>,
    source: &str,
    at: &Location,
) -> Result<IdentitySource, TemplateError> {
    match parsed {
        Some(IdentitySource::Context(name)) if !CONTEXT_VARIABLES.contains(&name.as_str()) => {
            Err(TemplateError::invalid(
                at,
                format!(
                    "`{source}`: the local API knows the context variables {}",
                    CONTEXT_VARIABLES.join(", ")
                ),
            ))
        }
        Some(
            IdentitySource::Header(name)
            | IdentitySource::Query(name)
            | IdentitySource::StageVariable(name)
            | IdentitySource::Context(name),
        ) if name.is_empty() => Err(TemplateError::invalid(
            at,
            format!("`{source}` names nothing"),
        )),
        Some(parsed) => Ok(parsed),
        None => Err(TemplateError::invalid(
            at,
            format!("`{source}` is not an identity source"),
        )),
    }
}

/// A TTL in seconds (0 to 3600).
pub(super) fn ttl(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<Duration, TemplateError> {
    cx.resolver
        .eval_string(value, at)?
        .parse::<u64>()
        .ok()
        .filter(|s| *s <= 3600)
        .map(Duration::from_secs)
        .ok_or_else(|| TemplateError::invalid(at, "expected 0 to 3600 seconds"))
}

/// A TOKEN authorizer's `ValidationExpression`.
pub(super) fn validation(
    cx: &Context<'_>,
    value: Option<&Yaml>,
    at: &Location,
) -> Result<Option<Pattern>, TemplateError> {
    value
        .map(|v| cx.resolver.eval_string(v, at))
        .transpose()?
        .map(|expression| {
            Pattern::whole(&expression).map_err(|e| {
                TemplateError::invalid(at, format!("not a valid regular expression: {e}"))
            })
        })
        .transpose()
}

/// `AuthorizerPayloadFormatVersion` / `authorizerPayloadFormatVersion`: 1.0 or 2.0, a string or a
/// YAML number (SAM passes an unquoted `2.0` through as a number).
pub(super) fn payload(
    cx: &Context<'_>,
    value: &Yaml,
    at: &Location,
) -> Result<PayloadVersion, TemplateError> {
    super::openapi::payload_version(&cx.resolver.eval_string(value, at)?, at)
}

/// A REQUEST authorizer that caches needs identity sources to key its cache by.
pub(super) fn check_cacheable(config: &LambdaConfig, at: &Location) -> Result<(), TemplateError> {
    if !config.ttl.is_zero() && config.identity.is_empty() {
        return Err(TemplateError::invalid(
            at,
            "a REQUEST authorizer that caches its results needs at least one identity source (Headers, QueryStrings, StageVariables or Context)",
        ));
    }
    if let Flavor::Http {
        payload: PayloadVersion::V1,
        simple_responses: true,
    } = config.flavor
    {
        return Err(TemplateError::invalid(
            at,
            "simple responses exist only for authorizer payload format 2.0",
        ));
    }
    Ok(())
}
