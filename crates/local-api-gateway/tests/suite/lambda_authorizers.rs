//! Lambda authorizers through the whole gateway, against a scripted authorizer function: what
//! each kind of authorizer gets (compared with AWS's published example events), what each
//! answer becomes (statuses, bodies, error types as API Gateway answers them), caching, and what
//! the integration learns. `../shared/notes/LAMBDA-AUTHORIZERS.md` has the sources.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Request},
};
use local_api_gateway::{
    authorizer::{
        AuthRequest, Authorizer, AuthorizerConfig, IdentitySource, Services,
        lambda::{Flavor, LambdaConfig},
    },
    invoke::{FunctionTarget, Invoke, InvokeError},
    keys::KeyCache,
    model::{ApiKind, GatewayResponse},
    verify::Verifier,
};
use serde_json::{Value, json};

use crate::{
    event::compare,
    support::{
        Answer, MemoryJwks, NoEvents, Recorder, Shared, TestGateway, auth_request, gateway, read,
        send,
    },
};

/// The authorizer function, scripted by the token (or header) it is given, and the integration
/// function, which answers with what it received as `requestContext.authorizer`.
#[derive(Clone, Default)]
struct Functions {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Functions {
    fn calls_of(&self, function: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, _)| name == function)
            .map(|(_, event)| event.clone())
            .collect()
    }
}

fn allow(resource: &str) -> Value {
    json!({
        "principalId": "user-7",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}]},
        "context": {"tenant": "blue", "level": 3, "admin": true},
    })
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
        if function == "hello" {
            let body = event["requestContext"]["authorizer"].to_string();
            return Ok(serde_json::to_vec(&json!({"statusCode": 200, "body": body})).unwrap());
        }
        let token = event["headers"]["x-token"]
            .as_str()
            .or_else(|| event["headers"]["X-Token"].as_str())
            .or_else(|| event["authorizationToken"].as_str())
            .unwrap_or_default()
            .trim_start_matches("Bearer ")
            .to_owned();
        let method_arn = event["methodArn"]
            .as_str()
            .or_else(|| event["routeArn"].as_str())
            .unwrap_or_default()
            .to_owned();
        let failure = |message: &str| InvokeError::FunctionError {
            error_type: "Error".into(),
            message: Some(message.into()),
        };
        let answer = match token.as_str() {
            "allow" => allow("arn:aws:execute-api:*:*:*"),
            "own" => allow(&method_arn),
            "deny" => {
                json!({"principalId": "user-7", "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"},
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": method_arn}]}})
            }
            "nothing" => {
                json!({"principalId": "user-7", "policyDocument": {"Version": "2012-10-17", "Statement": []}})
            }
            "unauthorized" => return Err(failure("Unauthorized")),
            "crash" => return Err(failure("boom")),
            "slow" => return Err(InvokeError::Timeout(Duration::from_secs(1))),
            "garbage" => return Ok(b"not json".to_vec()),
            "null" => {
                json!({"principalId": "u", "policyDocument": allow("*")["policyDocument"], "context": {"n": null}})
            }
            "nested" => {
                json!({"principalId": "u", "policyDocument": allow("*")["policyDocument"], "context": {"o": {"a": 1}}})
            }
            "condition" => {
                json!({"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*", "Condition": null}]}})
            }
            "anonymous" => json!({"policyDocument": allow("*")["policyDocument"]}),
            "yes" => {
                json!({"isAuthorized": true, "context": {"tenant": "blue", "level": 3, "tags": ["a"]}})
            }
            "no" => json!({"isAuthorized": false}),
            _ => {
                json!({"principalId": "x", "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}]}})
            }
        };
        Ok(serde_json::to_vec(&answer).unwrap())
    }
}

const HEAD: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n";
const FUNCTIONS: &str = "  Hello:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: hello\n    Properties:\n      \
                         Runtime: provided.al2023\n      Handler: bootstrap\n      Events:\n        Get:\n          Type: Api\n          Properties:\n            \
                         RestApiId: !Ref Rest\n            Path: /hello\n            Method: get\n        Other:\n          Type: Api\n          Properties:\n            \
                         RestApiId: !Ref Rest\n            Path: /other/{id}\n            Method: get\n        HttpGet:\n          Type: HttpApi\n          Properties:\n            \
                         ApiId: !Ref Http\n            Path: /hello\n            Method: get\n        HttpOther:\n          Type: HttpApi\n          Properties:\n            \
                         ApiId: !Ref Http\n            Path: /other\n            Method: get\n  Authorizer:\n    Type: AWS::Serverless::Function\n    Metadata:\n      \
                         BuildProperties:\n        Binary: authorizer\n    Properties:\n      Runtime: provided.al2023\n      Handler: bootstrap\n      Timeout: 2\n";

/// A REST API whose default authorizer is `authorizer` (SAM's `Auth.Authorizers.Lambda`).
fn rest_api(authorizer: &str) -> (TestGateway<Functions>, Functions) {
    let text = format!(
        "{HEAD}  Rest:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      OpenApiVersion: '3.0.1'\n      Variables:\n        tier: gold\n      \
         Auth:\n        DefaultAuthorizer: Lambda\n        Authorizers:\n          Lambda:\n            FunctionArn: !GetAtt Authorizer.Arn\n{authorizer}\
         \n  Http:\n    Type: AWS::Serverless::HttpApi\n{FUNCTIONS}"
    );
    let functions = Functions::default();
    (
        gateway(read(&text, ApiKind::Rest), functions.clone()),
        functions,
    )
}

/// An HTTP API whose default authorizer is `authorizer`.
fn http_api(authorizer: &str) -> (TestGateway<Functions>, Functions) {
    let text = format!(
        "{HEAD}  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageVariables:\n        tier: gold\n      Auth:\n        DefaultAuthorizer: Lambda\n        \
         Authorizers:\n          Lambda:\n            FunctionArn: !GetAtt Authorizer.Arn\n            EnableFunctionDefaultPermissions: true\n{authorizer}\
         \n  Rest:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n{FUNCTIONS}"
    );
    let functions = Functions::default();
    (
        gateway(read(&text, ApiKind::Http), functions.clone()),
        functions,
    )
}

const TOKEN: &str = "            Identity:\n              Header: X-Token\n              ValidationExpression: 'Bearer [a-z]+'\n";

async fn get(api: &TestGateway<Functions>, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder()
        .method("GET")
        .uri(uri)
        .header("host", "127.0.0.1:3000");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(api, request.body(Body::empty()).unwrap()).await
}

fn error_type(answer: &Answer) -> Option<&str> {
    answer.header("x-amzn-errortype")
}

#[tokio::test]
async fn a_token_authorizer_gets_the_header_verbatim_and_its_answer_decides() {
    let (api, functions) = rest_api(TOKEN);
    let allowed = get(&api, "/dev/hello", &[("x-token", "Bearer allow")]).await;
    assert_eq!(allowed.status, 200);
    let event = functions.calls_of("authorizer").remove(0);
    let method_arn = "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/hello";
    assert_eq!(
        event,
        json!({"type": "TOKEN", "authorizationToken": "Bearer allow", "methodArn": method_arn})
    );
    let aws: Value = serde_json::from_str(include_str!(
        "../fixtures/aws-docs/rest-authorizer-token.json"
    ))
    .unwrap();
    compare(
        &aws,
        &event,
        &[
            ("authorizationToken", "the client's own token"),
            ("methodArn", "this API, region and stage"),
        ],
        &[],
    );
    // The integration: the principal, the authorizer's latency, the context as strings.
    let context = allowed.json();
    assert_eq!(context["principalId"], "user-7");
    assert!(context["integrationLatency"].is_u64(), "{context}");
    assert_eq!(
        (&context["tenant"], &context["level"], &context["admin"]),
        (&json!("blue"), &json!("3"), &json!("true"))
    );

    let denied = get(&api, "/dev/hello", &[("x-token", "Bearer deny")]).await;
    assert_eq!(
        (denied.status, denied.json()),
        (
            403,
            json!({"Message": "User is not authorized to access this resource with an explicit deny in an identity-based policy"})
        )
    );
    assert_eq!(error_type(&denied), Some("AccessDeniedException"));
    let nothing = get(&api, "/dev/hello", &[("x-token", "Bearer nothing")]).await;
    assert_eq!(
        (nothing.status, nothing.json()),
        (
            403,
            json!({"Message": "User is not authorized to access this resource because no identity-based policy allows the execute-api:Invoke action"})
        )
    );
    assert_eq!(
        functions.calls_of("hello").len(),
        1,
        "only the allowed call reached the function"
    );
}

#[tokio::test]
async fn without_its_header_or_with_one_the_expression_refuses_the_authorizer_is_not_called() {
    let (api, functions) = rest_api(TOKEN);
    for headers in [
        vec![],
        vec![("x-token", "")],
        vec![("x-token", "  ")],
        vec![("x-token", "Token allow")],
        vec![("x-token", "Bearer allow!")],
        vec![("authorization", "Bearer allow")],
    ] {
        let answer = get(&api, "/dev/hello", &headers).await;
        assert_eq!(
            (answer.status, answer.json()),
            (401, json!({"message": "Unauthorized"})),
            "{headers:?}"
        );
        assert_eq!(error_type(&answer), Some("UnauthorizedException"));
    }
    assert!(functions.calls_of("authorizer").is_empty());
    // The expression matches the whole token (chosen; see src/authorizer/lambda.rs).
    assert_eq!(
        get(&api, "/dev/hello", &[("x-token", "Bearer allow")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_authorizers_failures_are_401_for_unauthorized_and_500_otherwise() {
    let (api, functions) = rest_api(
        "            Identity:\n              Header: X-Token\n              ReauthorizeEvery: 0\n",
    );
    let unauthorized = get(&api, "/dev/hello", &[("x-token", "unauthorized")]).await;
    assert_eq!(
        (unauthorized.status, unauthorized.json()),
        (401, json!({"message": "Unauthorized"}))
    );
    for token in [
        "crash",
        "slow",
        "garbage",
        "null",
        "nested",
        "condition",
        "anonymous",
    ] {
        let answer = get(&api, "/dev/hello", &[("x-token", token)]).await;
        assert_eq!(
            (answer.status, answer.json()),
            (500, json!({"message": null})),
            "{token}"
        );
        assert_eq!(
            error_type(&answer),
            Some("AuthorizerConfigurationException"),
            "{token}"
        );
    }
    assert!(functions.calls_of("hello").is_empty());
}

#[tokio::test]
async fn gateway_responses_apply_to_the_authorizers_answers() {
    let (mut api, _) = rest_api(TOKEN);
    let _ = &mut api;
    let text_of = |kind: &str| GatewayResponse {
        status: None,
        headers: vec![("x-kind".into(), kind.into())],
    };
    let mut model = api.api().clone();
    model.gateway_responses = [
        ("ACCESS_DENIED".to_owned(), text_of("denied")),
        (
            "AUTHORIZER_CONFIGURATION_ERROR".to_owned(),
            GatewayResponse {
                status: Some(503),
                ..text_of("config")
            },
        ),
        ("DEFAULT_4XX".to_owned(), text_of("4xx")),
    ]
    .into();
    let api = gateway(model, Functions::default());
    let denied = get(&api, "/dev/hello", &[("x-token", "Bearer deny")]).await;
    assert_eq!(
        (denied.status, denied.header("x-kind")),
        (403, Some("denied"))
    );
    let unauthorized = get(&api, "/dev/hello", &[]).await;
    assert_eq!(
        (unauthorized.status, unauthorized.header("x-kind")),
        (401, Some("4xx"))
    );
    let broken = get(&api, "/dev/hello", &[("x-token", "Bearer crash")]).await;
    assert_eq!(
        (broken.status, broken.header("x-kind")),
        (503, Some("config"))
    );
}

#[tokio::test(start_paused = true)]
async fn results_are_cached_by_token_for_reauthorize_every_and_reapplied_to_every_method() {
    let (api, functions) = rest_api(
        "            Identity:\n              Header: X-Token\n              ReauthorizeEvery: 60\n",
    );
    let count = || functions.calls_of("authorizer").len();
    assert_eq!(
        get(&api, "/dev/hello", &[("x-token", "own")]).await.status,
        200
    );
    assert_eq!(
        get(&api, "/dev/hello", &[("x-token", "own")]).await.status,
        200
    );
    assert_eq!(count(), 1, "the second call was answered from the cache");
    // The cached policy names /hello only: the next method is denied until it expires.
    let other = get(&api, "/dev/other/7", &[("x-token", "own")]).await;
    assert_eq!(
        other.status, 403,
        "a policy cached for one resource denies another"
    );
    assert_eq!(count(), 1);
    assert_eq!(
        get(&api, "/dev/hello", &[("x-token", "allow")])
            .await
            .status,
        200
    );
    assert_eq!(count(), 2, "another token is another cache entry");
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(
        get(&api, "/dev/other/7", &[("x-token", "own")])
            .await
            .status,
        403
    );
    assert_eq!(count(), 2);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        get(&api, "/dev/other/7", &[("x-token", "own")])
            .await
            .status,
        200
    );
    assert_eq!(count(), 3, "expired: the authorizer is asked again");
    // Failures are not cached.
    get(&api, "/dev/hello", &[("x-token", "crash")]).await;
    get(&api, "/dev/hello", &[("x-token", "crash")]).await;
    assert_eq!(count(), 5);
}

#[tokio::test(start_paused = true)]
async fn without_reauthorize_every_a_rest_authorizer_caches_300_seconds_and_0_turns_it_off() {
    let (api, functions) = rest_api("            Identity:\n              Header: X-Token\n");
    get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    tokio::time::advance(Duration::from_secs(299)).await;
    get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    assert_eq!(functions.calls_of("authorizer").len(), 1);
    tokio::time::advance(Duration::from_secs(1)).await;
    get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    assert_eq!(functions.calls_of("authorizer").len(), 2);

    let (api, functions) = rest_api(
        "            Identity:\n              Header: X-Token\n              ReauthorizeEvery: 0\n",
    );
    get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    assert_eq!(functions.calls_of("authorizer").len(), 2);
}

const REQUEST: &str = "            FunctionPayloadType: REQUEST\n            Identity:\n              Headers: [X-Token]\n              QueryStrings: [tenant]\n              \
                       StageVariables: [tier]\n              Context: [identity.sourceIp]\n              ReauthorizeEvery: 60\n";

#[tokio::test]
async fn a_request_authorizer_needs_every_identity_source_and_gets_the_request() {
    let (api, functions) = rest_api(REQUEST);
    let missing = get(&api, "/dev/hello", &[("x-token", "allow")]).await;
    assert_eq!(missing.status, 401, "no tenant query parameter");
    let empty = get(&api, "/dev/hello?tenant=", &[("x-token", "allow")]).await;
    assert_eq!(empty.status, 401);
    assert!(functions.calls_of("authorizer").is_empty());
    let answer = get(
        &api,
        "/dev/hello?tenant=blue",
        &[("x-token", "allow"), ("user-agent", "curl/8")],
    )
    .await;
    assert_eq!(answer.status, 200);
    let event = functions.calls_of("authorizer").remove(0);
    let aws: Value = serde_json::from_str(include_str!(
        "../fixtures/aws-docs/rest-authorizer-request.json"
    ))
    .unwrap();
    compare(
        &aws,
        &event,
        &[
            ("methodArn", "this API, region and stage"),
            ("resource", "another route"),
            ("path", "another path"),
            ("headers.X-AMZ-Date", "the example's client headers"),
            ("headers.Accept", "the example's client headers"),
            ("headers.HeaderAuth1", "the example's client headers"),
            ("headers.CloudFront-Viewer-Country", "no CloudFront locally"),
            (
                "headers.CloudFront-Forwarded-Proto",
                "no CloudFront locally",
            ),
            (
                "headers.CloudFront-Is-Tablet-Viewer",
                "no CloudFront locally",
            ),
            (
                "headers.CloudFront-Is-Mobile-Viewer",
                "no CloudFront locally",
            ),
            ("headers.User-Agent", "another client"),
            ("headers.X-Forwarded-Proto", "plain http locally"),
            (
                "headers.CloudFront-Is-SmartTV-Viewer",
                "no CloudFront locally",
            ),
            ("headers.Host", "the local host"),
            ("headers.Accept-Encoding", "the example's client headers"),
            ("headers.X-Forwarded-Port", "the local port"),
            ("headers.X-Amzn-Trace-Id", "no X-Ray locally"),
            ("headers.Via", "no CloudFront locally"),
            ("headers.X-Amz-Cf-Id", "no CloudFront locally"),
            ("headers.X-Forwarded-For", "the local client"),
            ("headers.Postman-Token", "the example's client headers"),
            ("headers.cache-control", "the example's client headers"),
            (
                "headers.CloudFront-Is-Desktop-Viewer",
                "no CloudFront locally",
            ),
            ("headers.Content-Type", "the example's client headers"),
            ("queryStringParameters.QueryString1", "another query"),
            ("stageVariables.StageVar1", "another stage variable"),
            ("requestContext.path", "another path"),
            ("requestContext.resourceId", "made up locally"),
            ("requestContext.stage", "another stage"),
            ("requestContext.requestId", "made up locally"),
            (
                "requestContext.identity.apiKey",
                "the method requires no API key",
            ),
            ("requestContext.identity.sourceIp", "the local client"),
            ("requestContext.resourcePath", "another route"),
            ("requestContext.apiId", "made up locally"),
        ],
        &[
            "headers.X-Token",
            "multiValueHeaders",
            "multiValueQueryStringParameters",
            "queryStringParameters.tenant",
            "stageVariables.tier",
            "requestContext.domainName",
            "requestContext.domainPrefix",
            "requestContext.extendedRequestId",
            "requestContext.protocol",
            "requestContext.requestTime",
            "requestContext.requestTimeEpoch",
            "requestContext.identity",
        ],
    );
    assert_eq!(
        event["pathParameters"],
        json!({}),
        "{{}}, not null as in a proxy event"
    );
    assert!(event.get("body").is_none() && event["requestContext"].get("authorizer").is_none());
    assert_eq!(event["headers"]["X-Token"], "allow");
    assert_eq!(event["stageVariables"]["tier"], "gold");
    // Cached by all the sources together: another tenant is another entry.
    get(&api, "/dev/hello?tenant=blue", &[("x-token", "allow")]).await;
    get(&api, "/dev/hello?tenant=red", &[("x-token", "allow")]).await;
    assert_eq!(functions.calls_of("authorizer").len(), 2);
}

#[tokio::test]
async fn an_http_simple_response_authorizes_with_its_context_and_refuses_with_403() {
    let (api, functions) = http_api(
        "            AuthorizerPayloadFormatVersion: 2.0\n            EnableSimpleResponses: true\n            Identity:\n              Headers: [X-Token]\n",
    );
    let yes = get(&api, "/hello", &[("x-token", "yes")]).await;
    assert_eq!(yes.status, 200);
    assert_eq!(
        yes.json(),
        json!({"lambda": {"tenant": "blue", "level": 3, "tags": ["a"]}}),
        "payload 2.0: the context under `lambda`, as the function gave it"
    );
    let no = get(&api, "/hello", &[("x-token", "no")]).await;
    assert_eq!(
        (no.status, no.json()),
        (403, json!({"message": "Forbidden"}))
    );
    assert!(
        no.header("x-amzn-errortype").is_none(),
        "HTTP APIs send no error type"
    );
    let missing = get(&api, "/hello", &[]).await;
    assert_eq!(
        (missing.status, missing.json()),
        (401, json!({"message": "Unauthorized"}))
    );
    let broken = get(&api, "/hello", &[("x-token", "crash")]).await;
    assert_eq!(
        (broken.status, broken.json()),
        (500, json!({"message": "Internal Server Error"}))
    );
    // Without ReauthorizeEvery an HTTP API does not cache.
    get(&api, "/hello", &[("x-token", "yes")]).await;
    assert_eq!(functions.calls_of("authorizer").len(), 4);

    let event = functions.calls_of("authorizer").remove(0);
    let aws: Value =
        serde_json::from_str(include_str!("../fixtures/aws-docs/http-authorizer-v2.json")).unwrap();
    compare(
        &aws,
        &event,
        &[
            ("routeArn", "this API, region, stage and route"),
            ("identitySource", "this request's identity"),
            ("routeKey", "another route"),
            ("rawPath", "another path"),
            ("rawQueryString", "another query"),
            ("cookies", "no cookies sent"),
            ("headers.Header1", "the example's client headers"),
            ("headers.Header2", "the example's client headers"),
            ("queryStringParameters.parameter1", "another query"),
            ("queryStringParameters.parameter2", "another query"),
            ("requestContext.apiId", "made up locally"),
            (
                "requestContext.authentication.clientCert.clientCertPem",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.subjectDN",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.issuerDN",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.serialNumber",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.validity.notBefore",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.validity.notAfter",
                "no mutual TLS locally",
            ),
            ("requestContext.domainName", "the local host"),
            ("requestContext.domainPrefix", "the local host"),
            ("requestContext.http.method", "another method"),
            ("requestContext.http.path", "another path"),
            ("requestContext.http.sourceIp", "the local client"),
            ("requestContext.http.userAgent", "no user agent sent"),
            ("requestContext.requestId", "made up locally"),
            ("requestContext.routeKey", "another route"),
            ("requestContext.time", "now"),
            ("requestContext.timeEpoch", "now"),
            ("pathParameters.parameter1", "no path parameters"),
            ("stageVariables.stageVariable1", "another stage variable"),
            ("stageVariables.stageVariable2", "another stage variable"),
        ],
        &[
            "headers.host",
            "headers.x-token",
            "headers.x-forwarded-for",
            "headers.x-forwarded-port",
            "headers.x-forwarded-proto",
            "stageVariables.tier",
        ],
    );
    assert_eq!(event["identitySource"], json!(["yes"]));
    assert_eq!(
        event["routeArn"],
        "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/hello"
    );
}

#[tokio::test(start_paused = true)]
async fn an_http_policy_authorizer_is_cached_for_every_route() {
    let (api, functions) = http_api(
        "            AuthorizerPayloadFormatVersion: '2.0'\n            Identity:\n              Headers: [X-Token]\n              ReauthorizeEvery: 30\n",
    );
    assert_eq!(get(&api, "/hello", &[("x-token", "own")]).await.status, 200);
    let other = get(&api, "/other", &[("x-token", "own")]).await;
    assert_eq!(
        (other.status, other.json()),
        (403, json!({"message": "Forbidden"}))
    );
    assert_eq!(
        functions.calls_of("authorizer").len(),
        1,
        "the cached result serves every route"
    );
    let denied = get(&api, "/hello", &[("x-token", "deny")]).await;
    assert_eq!(denied.status, 403);
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(get(&api, "/other", &[("x-token", "own")]).await.status, 200);
}

#[tokio::test]
async fn an_http_payload_1_0_authorizer_gets_the_rest_shape_with_identity_joined() {
    let (api, functions) = http_api(
        "            AuthorizerPayloadFormatVersion: 1.0\n            Identity:\n              Headers: [X-Token]\n              QueryStrings: [tenant]\n",
    );
    assert_eq!(
        get(&api, "/hello?tenant=blue", &[("x-token", "allow")])
            .await
            .status,
        200
    );
    let event = functions.calls_of("authorizer").remove(0);
    assert_eq!(
        (
            &event["version"],
            &event["type"],
            &event["identitySource"],
            &event["authorizationToken"]
        ),
        (
            &json!("1.0"),
            &json!("REQUEST"),
            &json!("allow,blue"),
            &json!("allow,blue")
        )
    );
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/hello"
    );
    assert_eq!(
        event["headers"]["x-token"], "allow",
        "HTTP APIs lower-case header names"
    );
}

/// SAM gives API Gateway permission to invoke an HTTP API's Lambda authorizer only with
/// `EnableFunctionDefaultPermissions: true` or a `FunctionInvokeRole`; without either the
/// deployed routes answer 500, which the local API says at start and does not reproduce.
#[test]
fn an_http_lambda_authorizer_without_a_permission_is_warned_of() {
    let warnings = |permission: &str| {
        let text = format!(
            "{HEAD}  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        DefaultAuthorizer: Lambda\n        \
             Authorizers:\n          Lambda:\n            FunctionArn: !GetAtt Authorizer.Arn\n            AuthorizerPayloadFormatVersion: '2.0'\n{permission}\
             \n  Rest:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n{FUNCTIONS}"
        );
        let template = local_api_gateway::template::Template::parse(&text).unwrap();
        local_api_gateway::template::read_apis(&template, &crate::support::local_values())
            .unwrap()
            .warnings
            .into_iter()
            .filter(|w| w.contains("no permission to invoke this authorizer"))
            .count()
    };
    assert_eq!(warnings(""), 1);
    assert_eq!(
        warnings("            EnableFunctionDefaultPermissions: false\n"),
        1
    );
    assert_eq!(
        warnings("            EnableFunctionDefaultPermissions: true\n"),
        0
    );
    assert_eq!(
        warnings("            EnableFunctionDefaultPermissions: !Equals [a, a]\n"),
        0,
        "the flag is evaluated"
    );
    assert_eq!(
        warnings("            EnableFunctionDefaultPermissions: !Equals [a, b]\n"),
        1
    );
    assert_eq!(
        warnings("            FunctionInvokeRole: !GetAtt Role.Arn\n"),
        0
    );
}

#[test]
fn what_a_lambda_authorizer_needs_is_an_error_when_missing() {
    let cases = [
        (
            "            FunctionPayloadType: REQUEST\n",
            "`Rest` property `Auth.Authorizers.Lambda.Identity`: a REQUEST authorizer that caches its results needs at least one identity source",
        ),
        (
            "            FunctionPayloadType: request\n",
            "`Rest` property `Auth.Authorizers.Lambda.FunctionPayloadType`: Authorizer has invalid 'FunctionPayloadType': request",
        ),
        (
            "            FunctionPayloadType: REQUEST\n            Identity:\n              Context: [nope]\n",
            "`Rest` property `Auth.Authorizers.Lambda.Identity.Context`: `context.nope`: the local API knows the context variables",
        ),
        (
            "            FunctionPayloadType: REQUEST\n            Identity:\n              QueryStrings: ['']\n",
            "`method.request.querystring.` names nothing",
        ),
        (
            "            Identity:\n              ValidationExpression: '('\n",
            "`Rest` property `Auth.Authorizers.Lambda.Identity.ValidationExpression`: not a valid regular expression",
        ),
    ];
    for (authorizer, expected) in cases {
        let text = format!(
            "{HEAD}  Rest:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      Auth:\n        DefaultAuthorizer: Lambda\n        Authorizers:\n          \
             Lambda:\n            FunctionArn: !GetAtt Authorizer.Arn\n{authorizer}\n  Http:\n    Type: AWS::Serverless::HttpApi\n{FUNCTIONS}"
        );
        let template = local_api_gateway::template::Template::parse(&text).unwrap();
        let err =
            local_api_gateway::template::read_apis(&template, &crate::support::local_values())
                .unwrap_err()
                .to_string();
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

/// Each context variable an identity source can name (`$context.X`, `context.X`) read from its own
/// part of the request: every part has a value no other part has, so a variable read from the
/// wrong place, or not at all, fails.
#[test]
fn each_context_identity_source_reads_its_own_variable() {
    let mut headers = HeaderMap::new();
    headers.insert("user-agent", HeaderValue::from_static("agent/1"));
    let variables = BTreeMap::new();
    let request = AuthRequest {
        headers: &headers,
        raw_query: "",
        stage: "stage-1",
        stage_variables: &variables,
        method: "PATCH",
        path: "/stage-1/items/7",
        resource_path: "/items/{id}",
        route_key: "PATCH /items/{id}",
        source_ip: "198.51.100.7",
        request_id: "request-1",
        account_id: "111122223333",
        api_id: "api-1",
        method_arn: "arn:aws:execute-api:us-east-1:111122223333:api-1/stage-1/PATCH/items/7",
        full_path: "/stage-1/items/7",
        body: b"",
        now: 0,
        events: &NoEvents,
    };
    let context = |request: &AuthRequest<'_>, name: &str| {
        request
            .identity(&IdentitySource::Context(name.to_owned()))
            .unwrap()
    };
    for (name, value) in [
        ("accountId", "111122223333"),
        ("apiId", "api-1"),
        ("httpMethod", "PATCH"),
        ("identity.sourceIp", "198.51.100.7"),
        ("identity.userAgent", "agent/1"),
        ("path", "/stage-1/items/7"),
        ("protocol", "HTTP/1.1"),
        ("requestId", "request-1"),
        ("resourcePath", "/items/{id}"),
        ("routeKey", "PATCH /items/{id}"),
        ("stage", "stage-1"),
    ] {
        assert_eq!(context(&request, name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(context(&request, "domainName"), None);
    // No User-Agent header: the variable is absent, so an authorizer that needs it answers 401.
    let no_headers = HeaderMap::new();
    let bare = AuthRequest {
        headers: &no_headers,
        ..request
    };
    assert_eq!(context(&bare, "identity.userAgent"), None);
}

/// A cache needs a key: an authorizer without identity sources (the template reader refuses one
/// that caches, but the library can be given one) is invoked for every request, so one caller's
/// answer never serves another.
#[tokio::test]
async fn without_identity_sources_no_answer_is_shared() {
    let recorder = Recorder::new(Ok(json!({
        "principalId": "user-a",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": "Allow",
            "Resource": "arn:aws:execute-api:us-east-1:123456789012:local/dev/*"}]},
    })));
    let authorizer = Authorizer::new(AuthorizerConfig::Lambda(LambdaConfig {
        function: FunctionTarget {
            logical_id: "Authorizer".into(),
            name: "authorizer".into(),
            timeout: Duration::from_secs(3),
        },
        flavor: Flavor::Request,
        identity: vec![],
        ttl: Duration::from_secs(300),
    }));
    let verifier = Verifier::new(Arc::new(KeyCache::new(Shared(MemoryJwks::new(None)))));
    let services = Services {
        verifier: &verifier,
        invoker: &recorder,
        credentials: &[],
        region: "us-east-1",
    };
    let headers = HeaderMap::new();
    for _ in 0..2 {
        authorizer
            .authorize(&[], &auth_request(&headers, ""), &services)
            .await
            .unwrap();
    }
    assert_eq!(recorder.calls.lock().unwrap().len(), 2);
}
