//! API keys through the whole gateway: a REST method that requires a key answers
//! `403 {"message":"Forbidden"}` with `ForbiddenException` (as a public capture of API Gateway
//! shows) unless the `x-api-key` header, or the Lambda authorizer's `usageIdentifierKey`, is a key
//! of a usage plan of the stage; the key reaches the function in `requestContext.identity`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Body, http::Request};
use local_api_gateway::{
    invoke::{Invoke, InvokeError},
    template::{Template, read_apis},
};
use serde_json::{Value, json};

use crate::support::{Answer, TestGateway, gateway, local_values, send};

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Keyed:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
      GatewayResponses:
        INVALID_API_KEY:
          ResponseParameters:
            Headers:
              X-Why: "'key'"
  ByAuthorizer:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      ApiKeySourceType: AUTHORIZER
      Auth:
        ApiKeyRequired: true
        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authorizer.Arn
            FunctionPayloadType: TOKEN
            Identity:
              ReauthorizeEvery: 0
        UsagePlan:
          CreateUsagePlan: PER_API
  Partner:
    Type: AWS::ApiGateway::ApiKey
    Properties:
      Enabled: true
      Value: partner-0123456789abcdef
  OtherPlan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages:
        - ApiId: !Ref ByAuthorizer
          Stage: prod
  PartnerInOtherPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties:
      KeyId: !Ref Partner
      KeyType: API_KEY
      UsagePlanId: !Ref OtherPlan
  Authorizer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Keyed:
          Type: Api
          Properties: {RestApiId: !Ref Keyed, Path: /keyed, Method: get}
        Free:
          Type: Api
          Properties: {RestApiId: !Ref Keyed, Path: /free, Method: get, Auth: {ApiKeyRequired: false}}
        ByAuthorizer:
          Type: Api
          Properties: {RestApiId: !Ref ByAuthorizer, Path: /keyed, Method: get}
"#;

/// The authorizer allows every token but `deny`, and returns the token's `key=` part as the
/// usage identifier key; the integration answers with its request context.
#[derive(Clone, Default)]
struct Functions {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Functions {
    fn integration_calls(&self) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(name, _)| name == "Fn")
            .map(|(_, event)| event.clone())
            .collect()
    }
}

impl Invoke for Functions {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        _: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        let event: Value = serde_json::from_slice(&payload).unwrap();
        self.calls
            .lock()
            .unwrap()
            .push((function.to_owned(), event.clone()));
        let answer = if function == "Authorizer" {
            let token = event["authorizationToken"].as_str().unwrap_or_default();
            let effect = if token == "deny" { "Deny" } else { "Allow" };
            let mut answer = json!({
                "principalId": "user",
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}]},
            });
            if let Some(key) = token.strip_prefix("key=") {
                answer["usageIdentifierKey"] = key.into();
            }
            answer
        } else {
            json!({"statusCode": 200, "body": "ok"})
        };
        Ok(serde_json::to_vec(&answer).unwrap())
    }
}

fn keyed(id: &str) -> (TestGateway<Functions>, Functions) {
    let functions = Functions::default();
    let template = Template::parse(TEMPLATE).unwrap();
    let api = read_apis(&template, &local_values())
        .unwrap()
        .apis
        .into_iter()
        .find(|api| api.id == id)
        .unwrap();
    (gateway(api, functions.clone()), functions)
}

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

fn assert_forbidden(answer: &Answer) {
    assert_eq!(answer.status, 403);
    assert_eq!(answer.json(), json!({"message": "Forbidden"}));
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("ForbiddenException")
    );
}

#[tokio::test]
async fn a_method_that_requires_a_key_takes_only_a_key_of_the_stage() {
    let (gateway, functions) = keyed("Keyed");
    for headers in [
        vec![],
        vec![("x-api-key", "")],
        vec![("x-api-key", "guess-0123456789abcdef")],
        // A key of another API's plan.
        vec![("x-api-key", "partner-0123456789abcdef")],
        // Sent twice, even the right one.
        vec![
            ("x-api-key", "local-KeyedApiKey"),
            ("x-api-key", "local-KeyedApiKey"),
        ],
    ] {
        let answer = send(&gateway, get("/prod/keyed", &headers)).await;
        assert_forbidden(&answer);
        assert_eq!(
            answer.header("x-why"),
            Some("key"),
            "GatewayResponses INVALID_API_KEY"
        );
    }
    // SAM's usage plan covers the named stage, not the extra `Stage` stage.
    let other_stage = send(
        &gateway,
        get("/Stage/keyed", &[("x-api-key", "local-KeyedApiKey")]),
    )
    .await;
    assert_forbidden(&other_stage);
    assert!(functions.integration_calls().is_empty());

    let answer = send(
        &gateway,
        get("/prod/keyed", &[("X-API-Key", "local-KeyedApiKey")]),
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let identity = &functions.integration_calls()[0]["requestContext"]["identity"];
    assert_eq!(identity["apiKey"], "local-KeyedApiKey");
    assert_eq!(identity["apiKeyId"], "KeyedApiKey");
}

#[tokio::test]
async fn a_method_without_the_requirement_takes_no_key_and_shows_none() {
    let (gateway, functions) = keyed("Keyed");
    let answer = send(&gateway, get("/prod/free", &[])).await;
    assert_eq!(answer.status, 200);
    let identity = &functions.integration_calls()[0]["requestContext"]["identity"];
    assert!(
        identity.get("apiKey").is_none() && identity.get("apiKeyId").is_none(),
        "{identity}"
    );
}

#[tokio::test]
async fn with_source_authorizer_the_key_is_the_authorizers_usage_identifier_key() {
    let (gateway, functions) = keyed("ByAuthorizer");
    // The header does not count for this source.
    let header_only = send(
        &gateway,
        get(
            "/prod/keyed",
            &[
                ("authorization", "no-key"),
                ("x-api-key", "partner-0123456789abcdef"),
            ],
        ),
    )
    .await;
    assert_forbidden(&header_only);
    let unknown = send(
        &gateway,
        get("/prod/keyed", &[("authorization", "key=guess")]),
    )
    .await;
    assert_forbidden(&unknown);
    for key in ["local-ByAuthorizerApiKey", "partner-0123456789abcdef"] {
        let token = format!("key={key}");
        let answer = send(&gateway, get("/prod/keyed", &[("authorization", &token)])).await;
        assert_eq!(answer.status, 200, "{key}");
    }
    let calls = functions.integration_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1]["requestContext"]["identity"]["apiKeyId"],
        "Partner"
    );
}

#[tokio::test]
async fn the_authorizer_decides_before_the_key_is_looked_at() {
    let (gateway, _) = keyed("ByAuthorizer");
    let missing_token = send(&gateway, get("/prod/keyed", &[])).await;
    assert_eq!(
        missing_token.status, 401,
        "no token: the authorizer's 401, not the key's 403"
    );
    let denied = send(&gateway, get("/prod/keyed", &[("authorization", "deny")])).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );
}
