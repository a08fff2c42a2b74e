//! The local user pool and app client are created from the template's own `UserPool` and
//! `UserPoolClient` properties, so the local pool has the same password policy, auth flows, read
//! attributes and token validity as the deployed one.

use serde_json::{Map, Value as Json};

use super::{Resolver, Template, TemplateError};

/// CloudFormation property names that the Cognito API spells differently.
const RENAMED: &[(&str, &str, &str)] = &[("AWS::Cognito::UserPool", "UserPoolName", "PoolName")];

/// CloudFormation properties with no counterpart in the create call (set through other API
/// calls, or only by CloudFormation).
const NOT_IN_CREATE_CALL: &[(&str, &str)] = &[
    ("AWS::Cognito::UserPool", "EnabledMfas"),
    ("AWS::Cognito::UserPool", "WebAuthnRelyingPartyID"),
    ("AWS::Cognito::UserPool", "WebAuthnUserVerification"),
];

/// The JSON for `aws cognito-idp create-user-pool` (or `create-user-pool-client`)
/// `--cli-input-json`, from the properties of the resource `logical_id`.
pub fn create_input(
    template: &Template,
    resolver: &Resolver<'_>,
    logical_id: &str,
) -> Result<Json, TemplateError> {
    let resource = template.resource(logical_id).ok_or_else(|| {
        TemplateError::invalid(
            &super::Location::new(logical_id, ""),
            "no such resource in the template",
        )
    })?;
    if !matches!(
        resource.kind,
        "AWS::Cognito::UserPool" | "AWS::Cognito::UserPoolClient"
    ) {
        return Err(TemplateError::invalid(
            &resource.location(),
            format!(
                "expected a Cognito UserPool or UserPoolClient, found {}",
                resource.kind
            ),
        ));
    }
    let properties = match resource.body.get("Properties") {
        Some(props) => resolver.eval(props, &resource.location())?,
        None => None,
    };
    let Some(Json::Object(properties)) = properties else {
        return Ok(Json::Object(Map::new()));
    };
    let mut input = Map::new();
    for (name, value) in properties {
        if NOT_IN_CREATE_CALL.contains(&(resource.kind, name.as_str())) {
            continue;
        }
        let name = RENAMED
            .iter()
            .find(|(kind, from, _)| *kind == resource.kind && *from == name)
            .map_or(name, |(_, _, to)| (*to).to_owned());
        input.insert(name, value);
    }
    Ok(Json::Object(input))
}

/// Every user pool of the template with its app clients, as the local stack creates them in the
/// emulator: `{"pools": [{"logicalId", "input", "clients": [{"logicalId", "input"}]}]}`, each
/// `input` what `create-user-pool` / `create-user-pool-client` take (a client's `UserPoolId`
/// left out: it is the pool's id once created). Clients of a pool outside the template are left
/// out.
pub fn seed(template: &Template, resolver: &Resolver<'_>) -> Result<Json, TemplateError> {
    let mut pools = Vec::new();
    for pool in template
        .resources()
        .filter(|r| r.kind == "AWS::Cognito::UserPool")
    {
        let mut clients = Vec::new();
        for client in template
            .resources()
            .filter(|r| r.kind == "AWS::Cognito::UserPoolClient")
        {
            let Some(pool_id) = client.property("UserPoolId") else {
                continue;
            };
            let names = resolver.eval_string(pool_id, &client.property_location("UserPoolId"))?;
            if names != pool.logical_id {
                continue;
            }
            let mut input = create_input(template, resolver, client.logical_id)?;
            if let Json::Object(fields) = &mut input {
                fields.remove("UserPoolId");
            }
            clients.push(serde_json::json!({"logicalId": client.logical_id, "input": input}));
        }
        pools.push(serde_json::json!({
            "logicalId": pool.logical_id,
            "input": create_input(template, resolver, pool.logical_id)?,
            "clients": clients,
        }));
    }
    Ok(serde_json::json!({ "pools": pools }))
}
