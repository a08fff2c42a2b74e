//! An example Lambda authorizer, on `aws_lambda_events`' authorizer types. Its rule is a
//! stand-in for yours (a session store, an API's own tokens, a partner's keys): the token
//! `allow-<name>` is the user `<name>`, `deny` is refused, `crash` fails, anything else (or
//! nothing) is unauthorized.
//!
//! What API Gateway does with each answer (see the crate README of `local-api-gateway`):
//! allowed, the function is invoked with the context; a `Deny` policy or `isAuthorized: false`
//! is a 403; an error whose message is `Unauthorized` is a 401; any other error is a 500.

use aws_lambda_events::{
    apigw::{
        ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
        ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
        ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
        ApiGatewayV2CustomAuthorizerV2Request,
    },
    iam::{IamPolicyEffect, IamPolicyStatement},
};
use serde_json::{Value, json};

/// What the authorizer decided about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow {
        user: String,
    },
    Deny,
    /// The error API Gateway turns into a 401: its message must be exactly `Unauthorized`.
    Unauthorized,
    /// Any other error: API Gateway answers 500.
    Fail,
}

/// The decision for an `Authorization` value (`Bearer ` optional).
pub fn decide(authorization: Option<&str>) -> Verdict {
    let token = authorization
        .map(|value| value.strip_prefix("Bearer ").unwrap_or(value).trim())
        .unwrap_or_default();
    match token {
        "deny" => Verdict::Deny,
        "crash" => Verdict::Fail,
        _ => match token.strip_prefix("allow-") {
            Some(user) if !user.is_empty() => Verdict::Allow {
                user: user.to_owned(),
            },
            _ => Verdict::Unauthorized,
        },
    }
}

/// What the allowed request's function sees: the `hello` function greets `username`. REST APIs
/// pass only strings, numbers and booleans, so the groups are one comma-separated string.
pub fn context(user: &str) -> Value {
    json!({"sub": format!("user-{user}"), "username": user, "groups": "readers"})
}

/// The policy for every method of the API's stage: `arn:...:<api>/<stage>/*`. API Gateway
/// caches the answer by token and applies it to every method the token calls next; a policy
/// naming only this method would deny the others until the cache entry expires.
pub fn stage_wide(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*"),
        _ => method_arn.to_owned(),
    }
}

fn policy(effect: IamPolicyEffect, resource: String) -> ApiGatewayCustomAuthorizerPolicy {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![resource];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    policy
}

/// The error API Gateway reads as `Unauthorized` (401) or as a failure (500).
#[derive(Debug)]
pub struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Refused {}

/// A REST (or HTTP, IAM-policy) answer for `verdict` on `method_arn`.
pub fn policy_answer(
    verdict: &Verdict,
    method_arn: &str,
) -> Result<ApiGatewayCustomAuthorizerResponse, Refused> {
    let (principal, effect, context) = match verdict {
        Verdict::Allow { user } => (user.clone(), IamPolicyEffect::Allow, context(user)),
        Verdict::Deny => ("denied".to_owned(), IamPolicyEffect::Deny, Value::Null),
        Verdict::Unauthorized => return Err(Refused("Unauthorized")),
        Verdict::Fail => return Err(Refused("the session store is unreachable")),
    };
    let mut answer = ApiGatewayCustomAuthorizerResponse::default();
    answer.principal_id = Some(principal);
    answer.policy_document = policy(effect, stage_wide(method_arn));
    answer.context = context;
    Ok(answer)
}

/// A REST TOKEN authorizer's answer.
pub fn token(
    event: &ApiGatewayCustomAuthorizerRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse, Refused> {
    let verdict = decide(event.authorization_token.as_deref());
    policy_answer(&verdict, event.method_arn.as_deref().unwrap_or_default())
}

/// A REST REQUEST authorizer's answer, from the `Authorization` header.
pub fn request(
    event: &ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse, Refused> {
    let authorization = event
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    policy_answer(
        &decide(authorization),
        event.method_arn.as_deref().unwrap_or_default(),
    )
}

/// An HTTP API authorizer's IAM-policy answer (payload 2.0), from the first identity source.
pub fn http_policy(
    event: &ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<ApiGatewayV2CustomAuthorizerIamPolicyResponse, Refused> {
    let identity = event.identity_source.as_ref().and_then(|s| s.first());
    let rest = policy_answer(
        &decide(identity.map(String::as_str)),
        event.route_arn.as_deref().unwrap_or_default(),
    )?;
    let mut answer = ApiGatewayV2CustomAuthorizerIamPolicyResponse::default();
    answer.principal_id = rest.principal_id;
    answer.policy_document = rest.policy_document;
    answer.context = rest.context;
    Ok(answer)
}

/// An HTTP API authorizer's simple answer (`EnableSimpleResponses`).
pub fn http_simple(
    event: &ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, Refused> {
    let identity = event.identity_source.as_ref().and_then(|s| s.first());
    let mut answer = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    match decide(identity.map(String::as_str)) {
        Verdict::Allow { user } => {
            answer.is_authorized = true;
            answer.context = context(&user);
        }
        Verdict::Deny => answer.is_authorized = false,
        Verdict::Unauthorized => return Err(Refused("Unauthorized")),
        Verdict::Fail => return Err(Refused("the session store is unreachable")),
    }
    Ok(answer)
}

/// One JSON log line per invocation (the local stack's tests count them to see the cache).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decide() {
        assert_eq!(
            decide(Some("Bearer allow-alice")),
            Verdict::Allow {
                user: "alice".into()
            }
        );
        assert_eq!(
            decide(Some("allow-bob")),
            Verdict::Allow { user: "bob".into() }
        );
        assert_eq!(decide(Some("Bearer deny")), Verdict::Deny);
        assert_eq!(decide(Some("crash")), Verdict::Fail);
        for other in [None, Some(""), Some("allow-"), Some("Bearer nope")] {
            assert_eq!(decide(other), Verdict::Unauthorized, "{other:?}");
        }
    }

    #[test]
    fn the_policy_covers_the_whole_stage() {
        assert_eq!(
            stage_wide("arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/dev/*"
        );
        assert_eq!(stage_wide("not-an-arn"), "not-an-arn");
    }

    #[test]
    fn answers_serialize_as_api_gateway_reads_them() {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello";
        let allow = serde_json::to_value(policy_answer(&decide(Some("allow-alice")), arn).unwrap())
            .unwrap();
        assert_eq!(allow["principalId"], "alice");
        assert_eq!(allow["policyDocument"]["Version"], "2012-10-17");
        let statement = &allow["policyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Action"], json!(["execute-api:Invoke"]));
        assert_eq!(
            statement["Resource"],
            json!(["arn:aws:execute-api:us-east-1:123456789012:abc/dev/*"])
        );
        assert_eq!(allow["context"]["username"], "alice");
        let deny = serde_json::to_value(policy_answer(&Verdict::Deny, arn).unwrap()).unwrap();
        assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(
            policy_answer(&Verdict::Unauthorized, arn)
                .unwrap_err()
                .to_string(),
            "Unauthorized"
        );
        assert_ne!(
            policy_answer(&Verdict::Fail, arn).unwrap_err().to_string(),
            "Unauthorized"
        );
    }
}
