//! SAM's `Globals`: what a serverless resource inherits (`Globals.Function`, `Globals.Api`,
//! `Globals.HttpApi`), merged as the SAM translator merges it (`samtranslator/plugins/globals/
//! globals.py`): maps are merged key by key at every depth, lists are the global items followed by
//! the resource's, and for anything else (a scalar, an intrinsic function, a type mismatch) the
//! resource's own value wins. `IgnoreGlobals` (`"*"` or a list of property names) opts out.
//! The implicit APIs get `Globals.Api` / `Globals.HttpApi` too (they are added before Globals
//! apply). Written by hand: it is SAM's rule, not a general YAML merge.

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{Location, Resource, Template, TemplateError};

/// The properties `Globals.<section>` may set ([`super::sam`] refuses the rest, as SAM does).
pub(super) fn allowed(section: &str) -> &'static [&'static str] {
    match section {
        "Function" => &[
            "Handler",
            "Runtime",
            "CodeUri",
            "DeadLetterQueue",
            "Description",
            "MemorySize",
            "Timeout",
            "VpcConfig",
            "Environment",
            "Tags",
            "PropagateTags",
            "Tracing",
            "KmsKeyArn",
            "AutoPublishAlias",
            "AutoPublishAliasAllProperties",
            "Layers",
            "DeploymentPreference",
            "RolePath",
            "PermissionsBoundary",
            "ReservedConcurrentExecutions",
            "ProvisionedConcurrencyConfig",
            "AssumeRolePolicyDocument",
            "EventInvokeConfig",
            "FileSystemConfigs",
            "CodeSigningConfigArn",
            "Architectures",
            "SnapStart",
            "EphemeralStorage",
            "FunctionUrlConfig",
            "RuntimeManagementConfig",
            "LoggingConfig",
            "RecursiveLoop",
            "SourceKMSKeyArn",
            "TenancyConfig",
            "DurableConfig",
            "CapacityProviderConfig",
            "FunctionScalingConfig",
            "PublishToLatestPublished",
            "VersionDeletionPolicy",
        ],
        "Api" => &[
            "Auth",
            "Name",
            "DefinitionUri",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "MergeDefinitions",
            "Variables",
            "EndpointConfiguration",
            "MethodSettings",
            "BinaryMediaTypes",
            "MinimumCompressionSize",
            "Cors",
            "GatewayResponses",
            "AccessLogSetting",
            "CanarySetting",
            "TracingEnabled",
            "OpenApiVersion",
            "Domain",
            "AlwaysDeploy",
            "PropagateTags",
            "SecurityPolicy",
            "EndpointAccessMode",
        ],
        "HttpApi" => &[
            "Auth",
            "AccessLogSettings",
            "StageVariables",
            "Tags",
            "CorsConfiguration",
            "DefaultRouteSettings",
            "Domain",
            "RouteSettings",
            "FailOnWarnings",
            "PropagateTags",
        ],
        _ => &[],
    }
}

/// Checks `Globals.Function`, `.Api` and `.HttpApi` for properties SAM refuses there.
pub(super) fn check(template: &Template) -> Result<(), TemplateError> {
    for section in ["Function", "Api", "HttpApi"] {
        let Some(globals) = template.globals().get(section) else {
            continue;
        };
        let at = Location::new("Globals", section);
        let globals = globals
            .as_mapping()
            .ok_or_else(|| TemplateError::invalid(&at, "expected a mapping"))?;
        for key in globals.keys() {
            let key = key.as_str().unwrap_or("?");
            if !allowed(section).contains(&key) {
                return Err(TemplateError::invalid(
                    &at.child(key),
                    format!("SAM does not allow `{key}` in Globals.{section}"),
                ));
            }
        }
    }
    Ok(())
}

/// The properties of `resource` with `Globals.<section>` merged in. `resource` is `None` for
/// SAM's implicit APIs.
pub(super) fn merged(
    template: &Template,
    section: &str,
    resource: Option<&Resource<'_>>,
) -> Result<Mapping, TemplateError> {
    let local = resource
        .and_then(|r| r.body.get("Properties"))
        .and_then(Yaml::as_mapping)
        .cloned()
        .unwrap_or_default();
    let Some(Yaml::Mapping(globals)) = template.globals().get(section) else {
        return Ok(local);
    };
    let at = resource
        .map_or_else(|| Location::new("Globals", ""), |r| r.location())
        .child("IgnoreGlobals");
    // As samtranslator's get_template_globals: "*", a list of names the section has, or nothing.
    let ignored = match resource.and_then(|r| r.body.get("IgnoreGlobals")) {
        None | Some(Yaml::Null) => Vec::new(),
        Some(Yaml::String(all)) if all == "*" => return Ok(local),
        Some(Yaml::String(none)) if none.is_empty() => Vec::new(),
        Some(Yaml::Sequence(names)) => names
            .iter()
            .map(|name| match name.as_str() {
                Some(name) if globals.contains_key(name) => Ok(name.to_owned()),
                _ => Err(TemplateError::invalid(
                    &at,
                    format!(
                        "`{}` is not a property of Globals.{section}",
                        serde_yaml_ng::to_string(name).unwrap_or_default().trim()
                    ),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(TemplateError::invalid(
                &at,
                "expected \"*\" or a list of property names",
            ));
        }
    };
    let mut out = local;
    for (key, global) in globals {
        if key.as_str().is_some_and(|k| ignored.iter().any(|i| i == k)) {
            continue;
        }
        let value = match out.remove(key) {
            Some(local) => merge(global, local),
            None => global.clone(),
        };
        out.insert(key.clone(), value);
    }
    Ok(out)
}

/// SAM's merge of one global value with the resource's.
fn merge(global: &Yaml, local: Yaml) -> Yaml {
    match (global, local) {
        (Yaml::Mapping(global), Yaml::Mapping(mut local))
            if !is_intrinsic(global) && !is_intrinsic(&local) =>
        {
            for (key, value) in global {
                let merged = match local.remove(key) {
                    Some(own) => merge(value, own),
                    None => value.clone(),
                };
                local.insert(key.clone(), merged);
            }
            Yaml::Mapping(local)
        }
        (Yaml::Sequence(global), Yaml::Sequence(local)) => {
            Yaml::Sequence(global.iter().cloned().chain(local).collect())
        }
        (_, local) => local,
    }
}

/// `{Ref: ..}` / `{Fn::..: ..}` count as values, never as maps to merge.
fn is_intrinsic(map: &Mapping) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .and_then(Yaml::as_str)
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::") || k == "Condition")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Yaml {
        serde_yaml_ng::from_str(text).unwrap_or(Yaml::Null)
    }

    #[test]
    fn maps_merge_deeply_lists_concatenate_and_the_resource_wins_otherwise() {
        let global = yaml(
            "Auth: {DefaultAuthorizer: G, Authorizers: {G: {UserPoolArn: a, AuthorizationScopes: [s1]}}}\nTypes: [g]\nName: global\nCors: \"'*'\"\nRef: {Ref: X}",
        );
        let local = yaml(
            "Auth: {Authorizers: {G: {Identity: {Header: X-Tok}}, L: {UserPoolArn: b}}}\nTypes: [l]\nName: local\nCors: {AllowOrigin: \"'o'\"}\nRef: {Ref: Y}",
        );
        let merged = merge(&global, local);
        let expected = yaml(
            "Auth: {Authorizers: {G: {Identity: {Header: X-Tok}, UserPoolArn: a, AuthorizationScopes: [s1]}, L: {UserPoolArn: b}}, DefaultAuthorizer: G}\nTypes: [g, l]\nName: local\nCors: {AllowOrigin: \"'o'\"}\nRef: {Ref: Y}",
        );
        assert_eq!(merged, expected);
    }

    #[test]
    fn an_intrinsic_is_a_value_never_a_map_to_merge() {
        let global =
            yaml("Arn: {Ref: X}\nSub: {Fn::Sub: x}\nCond: {Condition: C}\nTwo: {Ref: X, Other: 1}");
        let local = yaml("Arn: {Fn::GetAtt: [B, Arn]}\nSub: {A: 1}\nCond: {A: 1}\nTwo: {A: 1}");
        let expected = yaml(
            "Arn: {Fn::GetAtt: [B, Arn]}\nSub: {A: 1}\nCond: {A: 1}\nTwo: {A: 1, Ref: X, Other: 1}",
        );
        assert_eq!(merge(&global, local), expected);
    }
}
