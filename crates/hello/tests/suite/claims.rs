//! The claims adapter over every sample event and over the shapes that must be refused.
use crate::fixtures::{ACCESS_TOKEN, GROUPS, ID_TOKEN, NO_AUTHORIZER, REST_ID_TOKEN};

use hello::{AuthError, Claims, TokenUse};
use serde_json::{Value, json};

fn claims_of(event: &str) -> Result<Claims, AuthError> {
    let req = lambda_http::request::from_str(event).expect("the event deserializes");
    Claims::from_request(&req)
}

/// The ID-token event with its claims map replaced by `claims`.
fn v2_with_claims(claims: Value) -> String {
    let mut event: Value = serde_json::from_str(ID_TOKEN).unwrap();
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims;
    event.to_string()
}

/// The REST API event with `requestContext.authorizer` replaced by `authorizer`.
fn v1_with_authorizer(authorizer: Value) -> String {
    let mut event: Value = serde_json::from_str(REST_ID_TOKEN).unwrap();
    event["requestContext"]["authorizer"] = authorizer;
    event.to_string()
}

#[test]
fn http_api_id_token() {
    let claims = claims_of(ID_TOKEN).unwrap();
    assert_eq!(
        claims,
        Claims {
            sub: "7d8ca528-4931-4254-9273-ea5ee853f271".into(),
            username: "user-a".into(),
            email: Some("usera@example.com".into()),
            email_verified: Some(true),
            groups: vec![],
            token_use: Some(TokenUse::Id),
            client_id: Some("4r3o1vbb0e2j1cnm9u8qugp5u4".into()),
            scopes: vec![],
        }
    );
}

#[test]
fn http_api_access_token_uses_username_client_id_and_scope() {
    let claims = claims_of(ACCESS_TOKEN).unwrap();
    assert_eq!(
        claims,
        Claims {
            sub: "7d8ca528-4931-4254-9273-ea5ee853f271".into(),
            username: "user-a".into(),
            email: None,
            email_verified: None,
            groups: vec![],
            token_use: Some(TokenUse::Access),
            client_id: Some("4r3o1vbb0e2j1cnm9u8qugp5u4".into()),
            scopes: vec!["aws.cognito.signin.user.admin".into()],
        }
    );
}

#[test]
fn http_api_groups_arrive_as_a_bracketed_string() {
    let claims = claims_of(GROUPS).unwrap();
    assert_eq!(claims.groups, ["admin", "poweruser"]);
    assert_eq!(claims.username, "user-b");
    assert_eq!(claims.email_verified, Some(false));
}

#[test]
fn rest_api_cognito_authorizer_claims_as_api_gateway_sends_them() {
    let claims = claims_of(REST_ID_TOKEN).unwrap();
    assert_eq!(
        claims,
        Claims {
            sub: "7d8ca528-4931-4254-9273-ea5ee853f271".into(),
            username: "user-a".into(),
            email: Some("usera@example.com".into()),
            email_verified: Some(true),
            groups: vec!["admin".into(), "dev".into()],
            token_use: Some(TokenUse::Id),
            client_id: Some("4r3o1vbb0e2j1cnm9u8qugp5u4".into()),
            scopes: vec![],
        }
    );
}

#[test]
fn rest_api_groups_one_or_several_and_hand_written_arrays() {
    let with = |groups: Value| {
        let mut claims = json!({"sub": "abc"});
        claims["cognito:groups"] = groups;
        claims_of(&v1_with_authorizer(json!({ "claims": claims })))
            .unwrap()
            .groups
    };
    assert_eq!(with(json!("team_manager")), ["team_manager"]);
    assert_eq!(
        with(json!("admin,staging-manager")),
        ["admin", "staging-manager"]
    );
    assert_eq!(with(json!(["admin", "dev"])), ["admin", "dev"]);
    // The HTTP API's form is not the REST API's: brackets stay part of the names.
    assert_eq!(with(json!("[admin dev]")), ["[admin dev]"]);
}

#[test]
fn route_scopes_take_precedence_over_the_scope_claim() {
    let mut event: Value = serde_json::from_str(ACCESS_TOKEN).unwrap();
    event["requestContext"]["authorizer"]["jwt"]["scopes"] = json!(["hello/read"]);
    let claims = claims_of(&event.to_string()).unwrap();
    assert_eq!(claims.scopes, ["hello/read"]);
}

#[test]
fn username_falls_back_to_sub() {
    let claims = claims_of(&v2_with_claims(json!({"sub": "abc"}))).unwrap();
    assert_eq!(claims.username, "abc");
    assert_eq!(claims.token_use, None);
    assert_eq!(claims.client_id, None);
}

#[test]
fn no_authorizer_is_refused() {
    assert_eq!(claims_of(NO_AUTHORIZER), Err(AuthError::NoAuthorizer));
}

/// The ID-token event with `requestContext.authorizer` replaced by `authorizer`.
fn v2_with_authorizer(authorizer: Value) -> String {
    let mut event: Value = serde_json::from_str(ID_TOKEN).unwrap();
    event["requestContext"]["authorizer"] = authorizer;
    event.to_string()
}

fn caller(sub: &str, username: &str, groups: &[&str]) -> Claims {
    Claims {
        sub: sub.into(),
        username: username.into(),
        email: None,
        email_verified: None,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        token_use: None,
        client_id: None,
        scopes: vec![],
    }
}

#[test]
fn an_http_lambda_authorizers_context_names_the_caller() {
    let context = json!({"lambda": {"sub": "u-1", "username": "alice", "groups": ["a", "b"]}});
    assert_eq!(
        claims_of(&v2_with_authorizer(context)),
        Ok(caller("u-1", "alice", &["a", "b"]))
    );
    let without_sub = json!({"lambda": {"user": "x"}});
    assert_eq!(
        claims_of(&v2_with_authorizer(without_sub)),
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(
        claims_of(&v2_with_authorizer(json!({}))),
        Err(AuthError::NoClaims)
    );
}

#[test]
fn a_rest_lambda_authorizers_principal_and_context_name_the_caller() {
    assert_eq!(
        claims_of(&v1_with_authorizer(
            json!({"principalId": "x", "integrationLatency": 0})
        )),
        Ok(caller("x", "x", &[]))
    );
    // REST contexts are strings: lists come comma-separated.
    let context = json!({"principalId": "p", "sub": "u-1", "username": "alice", "groups": "a,b"});
    assert_eq!(
        claims_of(&v1_with_authorizer(context)),
        Ok(caller("u-1", "alice", &["a", "b"]))
    );
}

#[test]
fn an_iam_signer_is_named_by_its_arn() {
    let mut rest: Value = serde_json::from_str(REST_ID_TOKEN).unwrap();
    rest["requestContext"]["authorizer"] = json!({});
    rest["requestContext"]["identity"]["userArn"] = json!("arn:aws:iam::123456789012:user/local");
    assert_eq!(
        claims_of(&rest.to_string()),
        Ok(caller("arn:aws:iam::123456789012:user/local", "local", &[]))
    );
    let arn = "arn:aws:sts::123456789012:assumed-role/Admin/session-1";
    let http = json!({"iam": {"accessKey": "AKIA", "accountId": "123456789012", "userArn": arn}});
    assert_eq!(
        claims_of(&v2_with_authorizer(http)),
        Ok(caller(arn, "session-1", &[]))
    );
}

#[test]
fn a_missing_or_blank_subject_is_refused() {
    assert_eq!(
        claims_of(&v2_with_claims(json!({}))),
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(
        claims_of(&v2_with_claims(
            json!({"sub": " ", "cognito:username": "user-a"})
        )),
        Err(AuthError::MissingClaim("sub"))
    );
}

#[test]
fn malformed_claims_are_refused() {
    assert_eq!(
        claims_of(&v2_with_claims(
            json!({"sub": "abc", "email_verified": "yes"})
        )),
        Err(AuthError::MalformedClaim("email_verified"))
    );
    assert_eq!(
        claims_of(&v2_with_claims(
            json!({"sub": "abc", "token_use": "refresh"})
        )),
        Err(AuthError::MalformedClaim("token_use"))
    );
}

#[test]
fn rest_api_claims_of_the_wrong_type_are_refused() {
    let with = |claims: Value| claims_of(&v1_with_authorizer(json!({ "claims": claims })));
    assert_eq!(
        with(json!({"sub": 42})),
        Err(AuthError::MalformedClaim("sub"))
    );
    assert_eq!(
        with(json!({"sub": "abc", "cognito:groups": [1, 2]})),
        Err(AuthError::MalformedClaim("cognito:groups"))
    );
    assert_eq!(
        with(json!({"sub": "abc", "cognito:groups": {"a": 1}})),
        Err(AuthError::MalformedClaim("cognito:groups"))
    );
    assert_eq!(
        with(json!({"sub": null})),
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(
        with(json!({"sub": "abc", "email_verified": true})).map(|c| c.email_verified),
        Ok(Some(true))
    );
}

#[test]
fn rest_api_without_claims_is_refused() {
    assert_eq!(
        claims_of(&v1_with_authorizer(json!({}))),
        Err(AuthError::NoAuthorizer)
    );
    assert_eq!(
        claims_of(&v1_with_authorizer(json!({"principalId": 7}))),
        Err(AuthError::NoClaims),
        "a principal that is not a string is no Lambda authorizer's"
    );
    assert_eq!(
        claims_of(&v1_with_authorizer(json!({"claims": "sub=abc"}))),
        Err(AuthError::MalformedClaim("claims"))
    );
}
