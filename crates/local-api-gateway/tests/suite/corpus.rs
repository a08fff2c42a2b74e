//! The corpus: templates shaped like the public SAM templates people write
//! (`tests/fixtures/templates/<name>/`, each with a `SOURCE.md` naming the template it
//! reproduces), served in process against a stand-in Invoke API.
//!
//! Each fixture's `expected.yaml` says, from SAM's and API Gateway's documentation (every
//! entry cites its rule), which APIs, stages, authorizers and routes the template gives, and
//! for every route what API Gateway answers with no credentials, good ones and bad ones. This
//! file only reads that and compares; it knows nothing about any one template.
//!
//! The stand-in Invoke API: the functions a fixture lists as `scripted` are Lambda
//! authorizers whose answer is chosen by the identity value they are given (`allow`, `deny`,
//! `unauthorized`, `crash`, `yes`, `no`; see [`script`]); every other function echoes, as
//! `{"function": <name>, "authorizer": <its event's requestContext.authorizer>}`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Body, http::Request};
use local_api_gateway::{
    authorizer::{
        iam,
        lambda::{Flavor, LambdaConfig},
    },
    gateway::{Gateway, Settings},
    invoke::{Invoke, InvokeError},
    model::{Api, ApiKind, AuthorizerConfig, Integration, PayloadVersion, RouteAuth},
    template::{LocalValues, Template, read_apis},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::{ACCOUNT, Answer, issuer_key, now, other_key, send, sigv4, verifier};

// ---- what expected.yaml says ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// What the test tells the gateway that CloudFormation would know (`LocalValues`).
    #[serde(default)]
    values: Values,
    /// Tokens signed at test time, by name (`{{name}}` in a header, path or query).
    #[serde(default)]
    tokens: BTreeMap<String, TokenSpec>,
    /// The functions that are Lambda authorizers, by invoke name.
    #[serde(default)]
    scripted: Vec<String>,
    /// SigV4 credentials requests are signed with (`sign:` in a case), by name.
    #[serde(default)]
    signers: BTreeMap<String, Signer>,
    /// Warnings the reading must give, each as a substring (integrations that cannot run here).
    #[serde(default)]
    warnings: Vec<String>,
    apis: Vec<ExpectedApi>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Values {
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    resource_ids: BTreeMap<String, String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    /// The values of the template's `AWS::ApiGateway::ApiKey`s that have none (AWS generates
    /// them), by logical id.
    #[serde(default)]
    api_keys: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signer {
    access_key_id: String,
    secret_access_key: String,
    user_arn: String,
    /// Whether the local gateway is told these credentials (the account has them).
    known: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSpec {
    /// `issuer`: the test issuer's published key; `other`: a key no issuer published.
    key: String,
    /// `iat` and `exp` are added: issued a minute ago, expiring in an hour (or a minute ago).
    #[serde(default)]
    expired: bool,
    claims: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedApi {
    id: String,
    kind: String,
    stages: Vec<String>,
    /// The first stage's variables.
    #[serde(default)]
    stage_variables: BTreeMap<String, String>,
    #[serde(default)]
    authorizers: BTreeMap<String, Value>,
    /// HTTP APIs: the CORS configuration API Gateway answers preflights with.
    #[serde(default)]
    cors: Option<Value>,
    rule: String,
    routes: Vec<ExpectedRoute>,
    /// Requests that match no route (or test something of the whole API).
    #[serde(default)]
    requests: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedRoute {
    /// `GET /path`, `ANY /{proxy+}`, `$default`.
    route: String,
    /// `lambda <invoke name> <payload> <function timeout>s <integration timeout>ms`,
    /// `mock <status>`, `unavailable`.
    integration: String,
    /// `none`, `<authorizer>`, `<authorizer>[scope ...]`.
    auth: String,
    /// REST: whether the method requires an API key.
    #[serde(default)]
    api_key: bool,
    rule: String,
    requests: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What is sent: `none` (no credentials), `good`, `bad`, or `other`.
    credentials: String,
    case: String,
    #[serde(default)]
    method: Option<String>,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// The request's body.
    #[serde(default)]
    body_text: Option<String>,
    status: u16,
    /// The JSON body (`$any`, `$number`, `$string` match any such value).
    #[serde(default)]
    body: Option<Value>,
    /// Response headers that must be present with these values (`$any`: any value; `$absent`:
    /// the header must not be there).
    #[serde(default)]
    response_headers: BTreeMap<String, String>,
    /// `x-amzn-ErrorType`, when API Gateway sends one (`$any`: any value).
    #[serde(default)]
    error_type: Option<String>,
    /// Sign the request with SigV4 for `execute-api`, as this signer.
    #[serde(default)]
    sign: Option<String>,
    /// Other answers AWS may give instead, where the documentation leaves the order of two
    /// checks open (an API key and an authorizer); the rule says why.
    #[serde(default)]
    or: Vec<Alternative>,
    /// The functions invoked, in order; absent where the documentation leaves the order of two
    /// checks open (an API key and an authorizer).
    #[serde(default)]
    invokes: Option<Vec<String>>,
    rule: String,
    /// Where the local gateway knowingly answers otherwise (a choice the crate README lists):
    /// the local answer, checked instead, and why. The AWS answer above stays the record.
    #[serde(default)]
    local: Option<LocalAnswer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalAnswer {
    status: u16,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    invokes: Option<Vec<String>>,
    why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alternative {
    status: u16,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    error_type: Option<String>,
}

// ---- the stand-in Invoke API ----

/// The fixture's functions: the scripted authorizers, and echo for the rest. Records every
/// invocation by name.
#[derive(Clone)]
struct Functions {
    scripted: Arc<Vec<String>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Invoke for Functions {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        _: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        let event: Value = serde_json::from_slice(&payload).unwrap();
        self.calls.lock().unwrap().push(function.to_owned());
        if self.scripted.iter().any(|name| name == function) {
            let answer = script(&event)?;
            return Ok(serde_json::to_vec(&answer).unwrap());
        }
        assert!(
            event.get("type").is_none(),
            "{function} is not an authorizer but was given an authorizer event: {event}"
        );
        let mut body = json!({
            "function": function,
            "authorizer": event["requestContext"].get("authorizer").cloned().unwrap_or(Value::Null),
        });
        // A signed caller (REST: requestContext.identity.userArn).
        if let Some(user) = event["requestContext"]["identity"]["userArn"].as_str() {
            body["user"] = user.into();
        }
        Ok(serde_json::to_vec(&json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": body.to_string(),
        }))
        .unwrap())
    }
}

/// A Lambda authorizer's answer, chosen by the first identity value (`Bearer ` stripped) that
/// is one of the words below, looked for in `authorizationToken`, `identitySource`, the
/// headers, then the query string:
/// - `allow`: Allow `execute-api:Invoke` on everything, with a context (REST: a string, a
///   number and a boolean; HTTP: a string);
/// - `deny`: an explicit Deny on everything;
/// - `unauthorized`: fails with the error message `Unauthorized`; `crash`: fails otherwise;
/// - `yes` / `no`: a simple response (`isAuthorized`), with a context when yes;
/// - nothing recognised: a policy with no statement (no Allow).
///
/// A value may carry more after a `-`: `allow-tenant-0123456789` is `allow`;
/// `allow-key-<value>` also answers `usageIdentifierKey: <value>`.
fn script(event: &Value) -> Result<Value, InvokeError> {
    let kind = event["type"].as_str().unwrap_or_default();
    assert!(
        kind == "TOKEN" || kind == "REQUEST",
        "a scripted authorizer was given a non-authorizer event: {event}"
    );
    let mut values: Vec<String> = Vec::new();
    values.extend(event["authorizationToken"].as_str().map(str::to_owned));
    match &event["identitySource"] {
        Value::String(joined) => values.extend(joined.split(',').map(str::to_owned)),
        Value::Array(items) => {
            values.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)))
        }
        _ => {}
    }
    for key in ["headers", "queryStringParameters"] {
        if let Value::Object(map) = &event[key] {
            values.extend(map.values().filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    // The word is the value, or its part before a `-` (`allow-tenant-0123456789` for API keys,
    // which are at least 20 characters).
    let word = values
        .iter()
        .map(|v| {
            let v = v.trim().trim_start_matches("Bearer ");
            v.split_once('-').map_or(v, |(word, _)| word).to_owned()
        })
        .find(|v| ["allow", "deny", "unauthorized", "crash", "yes", "no"].contains(&v.as_str()))
        .unwrap_or_default();
    // HTTP API authorizer events carry `version`; REST ones do not.
    let http = event.get("version").is_some();
    let context = if http {
        json!({"tenant": "blue"})
    } else {
        json!({"tenant": "blue", "level": 3, "admin": true})
    };
    let policy = |effect: &str| {
        json!({"principalId": "user-7", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "arn:aws:execute-api:*:*:*"}]},
            "context": context})
    };
    let failure = |message: &str| InvokeError::FunctionError {
        error_type: "Error".into(),
        message: Some(message.into()),
    };
    // `allow-key-<value>`: also names the API key (`usageIdentifierKey`, for APIs whose key
    // source is AUTHORIZER).
    let usage_key = values.iter().find_map(|v| {
        v.trim()
            .trim_start_matches("Bearer ")
            .strip_prefix("allow-key-")
            .map(str::to_owned)
    });
    Ok(match word.as_str() {
        "allow" if usage_key.is_some() => {
            let mut answer = policy("Allow");
            answer["usageIdentifierKey"] = usage_key.into();
            answer
        }
        "allow" => policy("Allow"),
        "deny" => policy("Deny"),
        "unauthorized" => return Err(failure("Unauthorized")),
        "crash" => return Err(failure("boom")),
        "yes" => json!({"isAuthorized": true, "context": context}),
        "no" => json!({"isAuthorized": false}),
        _ => {
            json!({"principalId": "user-7", "policyDocument": {"Version": "2012-10-17", "Statement": []}})
        }
    })
}

// ---- the model, written the way expected.yaml writes it ----

fn kind_name(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Http => "HTTP",
        ApiKind::Rest => "REST",
    }
}

fn payload_name(payload: PayloadVersion) -> &'static str {
    match payload {
        PayloadVersion::V1 => "1.0",
        PayloadVersion::V2 => "2.0",
    }
}

fn integration(integration: &Integration) -> String {
    match integration {
        Integration::Lambda(lambda) => format!(
            "lambda {} {} {}s {}ms",
            lambda.function.name,
            payload_name(lambda.payload),
            lambda.function.timeout.as_secs(),
            lambda.timeout.as_millis()
        ),
        Integration::Mock(mock) => format!("mock {}", mock.status),
        Integration::Unavailable(_) => "unavailable".to_owned(),
    }
}

fn auth(auth: &RouteAuth) -> String {
    match auth {
        RouteAuth::None => "none".to_owned(),
        RouteAuth::Iam => "AWS_IAM".to_owned(),
        RouteAuth::Authorizer { name, scopes } if scopes.is_empty() => name.clone(),
        RouteAuth::Authorizer { name, scopes } => format!("{name}[{}]", scopes.join(" ")),
    }
}

fn sources(sources: &[local_api_gateway::model::IdentitySource]) -> Value {
    sources.iter().map(|s| Value::from(s.to_string())).collect()
}

fn lambda(config: &LambdaConfig) -> Value {
    let mut found = json!({
        "function": config.function.name,
        "identity": sources(&config.identity),
        "ttl": config.ttl.as_secs(),
    });
    match &config.flavor {
        Flavor::Token { validation } => {
            found["type"] = "token".into();
            if let Some(pattern) = validation {
                found["validation"] = pattern.source().into();
            }
        }
        Flavor::Request => found["type"] = "request".into(),
        Flavor::Http {
            payload,
            simple_responses,
        } => {
            found["type"] = "http-request".into();
            found["payload"] = payload_name(*payload).into();
            found["simple"] = (*simple_responses).into();
        }
    }
    found
}

fn authorizer(config: &AuthorizerConfig) -> Value {
    match config {
        AuthorizerConfig::Jwt(jwt) => json!({
            "type": "jwt",
            "issuer": jwt.issuer,
            "audience": jwt.audience,
            "identity": jwt.identity.to_string(),
        }),
        AuthorizerConfig::Cognito(cognito) => {
            let mut found = json!({
                "type": "cognito",
                "issuers": cognito.issuers,
                "identity": cognito.identity.to_string(),
            });
            if let Some(pattern) = &cognito.audience_pattern {
                found["validation"] = pattern.source().into();
            }
            found
        }
        AuthorizerConfig::Lambda(config) => lambda(config),
    }
}

fn cors(api: &Api) -> Option<Value> {
    api.cors.as_ref().map(|cors| {
        json!({
            "allow_origins": cors.allow_origins,
            "allow_methods": cors.allow_methods,
            "allow_headers": cors.allow_headers,
            "expose_headers": cors.expose_headers,
            "max_age": cors.max_age,
            "allow_credentials": cors.allow_credentials,
        })
    })
}

// ---- running a fixture ----

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates")
}

fn local_values(values: &Values) -> LocalValues {
    LocalValues {
        parameters: values.parameters.clone(),
        resource_ids: values.resource_ids.clone(),
        attributes: values.attributes.clone(),
        api_keys: values.api_keys.clone(),
        ..LocalValues::default()
    }
}

fn sign_token(spec: &TokenSpec) -> String {
    let mut claims = spec.claims.clone();
    let now = now();
    claims.insert("iat".into(), (now - 60).into());
    claims.insert(
        "exp".into(),
        if spec.expired { now - 60 } else { now + 3600 }.into(),
    );
    let key = match spec.key.as_str() {
        "issuer" => issuer_key(),
        "other" => other_key(),
        other => panic!("unknown key `{other}`: issuer or other"),
    };
    key.sign(&Value::Object(claims))
}

/// `{{name}}` replaced by the token `name`.
fn fill(text: &str, tokens: &BTreeMap<String, String>) -> String {
    let mut filled = text.to_owned();
    while let Some(start) = filled.find("{{") {
        let end = filled[start..].find("}}").expect("an unclosed {{") + start;
        let name = &filled[start + 2..end];
        let token = tokens
            .get(name)
            .unwrap_or_else(|| panic!("no token `{name}` in expected.yaml"));
        filled.replace_range(start..end + 2, token);
    }
    filled
}

/// `expected` matches `found`: `$any` matches anything, `$number` / `$string` any number /
/// string; objects must have the same keys.
fn matches(expected: &Value, found: &Value) -> bool {
    match (expected, found) {
        (Value::String(s), _) if s == "$any" => true,
        (Value::String(s), Value::Number(_)) if s == "$number" => true,
        (Value::String(s), Value::String(_)) if s == "$string" => true,
        (Value::Object(e), Value::Object(f)) => {
            e.len() == f.len()
                && e.iter()
                    .all(|(k, v)| f.get(k).is_some_and(|found| matches(v, found)))
        }
        (Value::Array(e), Value::Array(f)) => {
            e.len() == f.len() && e.iter().zip(f).all(|(e, f)| matches(e, f))
        }
        _ => expected == found,
    }
}

/// The credentials the local gateway is told (the signers the account has).
fn known_credentials(signers: &BTreeMap<String, Signer>) -> Vec<iam::Credentials> {
    signers
        .values()
        .filter(|signer| signer.known)
        .map(|signer| iam::Credentials {
            access_key_id: signer.access_key_id.clone(),
            secret_access_key: signer.secret_access_key.clone(),
            session_token: None,
            account_id: ACCOUNT.into(),
            user_arn: signer.user_arn.clone(),
        })
        .collect()
}

/// `request` signed for execute-api by `signer` now, as the AWS SDK for Rust signs (aws-sigv4).
fn sign_request(request: &mut Request<Body>, body: &[u8], signer: &Signer) {
    let url = format!("http://127.0.0.1:3000{}", request.uri());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let signed = sigv4::Signer::new(&signer.access_key_id, &signer.secret_access_key).headers(
        request.method().as_str(),
        &url,
        &headers,
        body,
    );
    for (name, value) in signed {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&value).unwrap(),
        );
    }
}

async fn request(
    api: &Api,
    expected: &Expected,
    case: &Case,
    method: &str,
    tokens: &BTreeMap<String, String>,
) -> (Answer, Vec<String>) {
    let functions = Functions {
        scripted: Arc::new(expected.scripted.clone()),
        calls: Arc::default(),
    };
    // A gateway per request: no authorizer result is cached from one case to the next.
    let settings = Settings {
        region: "us-east-1".into(),
        account_id: ACCOUNT.into(),
        api_id: "local".into(),
        port: 3000,
        credentials: known_credentials(&expected.signers),
    };
    let gateway = Gateway::new(
        api.clone(),
        Arc::new(verifier()),
        functions.clone(),
        settings,
    );
    let mut builder = Request::builder()
        .method(case.method.as_deref().unwrap_or(method))
        .uri(fill(&case.path, tokens))
        .header("host", "127.0.0.1:3000");
    for (name, value) in &case.headers {
        builder = builder.header(name.as_str(), fill(value, tokens));
    }
    let body = case.body_text.clone().unwrap_or_default();
    let mut request = builder.body(Body::from(body.clone())).unwrap();
    if let Some(signer) = &case.sign {
        let signer = expected
            .signers
            .get(signer)
            .unwrap_or_else(|| panic!("no signer `{signer}` in expected.yaml"));
        sign_request(&mut request, body.as_bytes(), signer);
    }
    let answer = send(&gateway, request).await;
    let calls = functions.calls.lock().unwrap().clone();
    (answer, calls)
}

/// What is wrong with the status, body and error type of `answer`, if anything.
fn check_status(
    answer: &Answer,
    status: u16,
    body: Option<&Value>,
    expected_type: Option<&str>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    if answer.status != status {
        wrong.push(format!("status {} (expected {status})", answer.status));
    }
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    if let Some(expected) = body {
        match serde_json::from_slice::<Value>(&answer.body) {
            Ok(found) if matches(expected, &found) => {}
            _ => wrong.push(format!("body {text} (expected {expected})")),
        }
    }
    let error_type = answer.header("x-amzn-errortype");
    let any = expected_type == Some("$any") && error_type.is_some();
    if !any && error_type != expected_type {
        wrong.push(format!(
            "x-amzn-ErrorType {error_type:?} (expected {expected_type:?})"
        ));
    }
    wrong
}

/// What is wrong with the answer to `case`, if anything.
fn check_answer(case: &Case, answer: &Answer, calls: &[String]) -> Vec<String> {
    if let Some(local) = &case.local {
        assert!(
            !local.why.is_empty(),
            "{}: a local difference says why",
            case.case
        );
        let mut wrong = check_status(
            answer,
            local.status,
            local.body.as_ref(),
            local.error_type.as_deref(),
        );
        if let Some(invokes) = &local.invokes
            && calls != invokes.as_slice()
        {
            wrong.push(format!("invoked {calls:?} (expected locally {invokes:?})"));
        }
        return wrong;
    }
    let mut wrong = check_status(
        answer,
        case.status,
        case.body.as_ref(),
        case.error_type.as_deref(),
    );
    if case.or.iter().any(|alternative| {
        check_status(
            answer,
            alternative.status,
            alternative.body.as_ref(),
            alternative.error_type.as_deref(),
        )
        .is_empty()
    }) {
        wrong.clear();
    }
    for (name, value) in &case.response_headers {
        match answer.header(name) {
            None if value == "$absent" => {}
            Some(found) if value == "$any" || found == value => {}
            found => wrong.push(format!("header {name}: {found:?} (expected {value:?})")),
        }
    }
    if let Some(invokes) = &case.invokes
        && calls != invokes.as_slice()
    {
        wrong.push(format!("invoked {calls:?} (expected {invokes:?})"));
    }
    wrong
}

/// The method a route's cases are sent with unless they say otherwise.
fn route_method(route: &str) -> &str {
    match route.split_once(' ') {
        Some(("ANY", _)) | None => "GET",
        Some((method, _)) => method,
    }
}

/// Reads the fixture `name`, compares what it serves with its `expected.yaml`, and sends every
/// case; panics with every difference found.
async fn run(name: &str) {
    let dir = fixtures().join(name);
    let expected: Expected =
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("expected.yaml")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/expected.yaml: {e}"));
    let template = Template::load(&dir.join("template.yaml"))
        .unwrap_or_else(|e| panic!("{name}: the template is refused: {e}"));
    let reading = read_apis(&template, &local_values(&expected.values))
        .unwrap_or_else(|e| panic!("{name}: the template is refused: {e}"));
    let tokens: BTreeMap<String, String> = expected
        .tokens
        .iter()
        .map(|(token, spec)| (token.clone(), sign_token(spec)))
        .collect();
    let mut wrong: Vec<String> = Vec::new();

    for warning in &expected.warnings {
        if !reading
            .warnings
            .iter()
            .any(|w| w.contains(warning.as_str()))
        {
            wrong.push(format!(
                "no warning containing `{warning}` among {:?}",
                reading.warnings
            ));
        }
    }
    let found_ids: Vec<&str> = reading.apis.iter().map(|a| a.id.as_str()).collect();
    let expected_ids: Vec<&str> = expected.apis.iter().map(|a| a.id.as_str()).collect();
    if found_ids != expected_ids {
        wrong.push(format!("APIs {found_ids:?} (expected {expected_ids:?})"));
    }
    for exp in &expected.apis {
        let Some(api) = reading.apis.iter().find(|a| a.id == exp.id) else {
            continue;
        };
        let at = &exp.id;
        if kind_name(api.kind) != exp.kind {
            wrong.push(format!(
                "{at}: kind {} (expected {})",
                kind_name(api.kind),
                exp.kind
            ));
        }
        let stages: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
        if stages != exp.stages {
            wrong.push(format!(
                "{at}: stages {stages:?} (expected {:?}; rule: {})",
                exp.stages, exp.rule
            ));
        }
        let variables = api
            .stages
            .first()
            .map(|s| s.variables.clone())
            .unwrap_or_default();
        if variables != exp.stage_variables {
            wrong.push(format!(
                "{at}: stage variables {variables:?} (expected {:?})",
                exp.stage_variables
            ));
        }
        let authorizers: BTreeMap<String, Value> = api
            .authorizers
            .iter()
            .map(|(n, c)| (n.clone(), authorizer(c)))
            .collect();
        for (n, e) in &exp.authorizers {
            match authorizers.get(n) {
                Some(found) if matches(e, found) => {}
                found => wrong.push(format!(
                    "{at}: authorizer {n}: {} (expected {e})",
                    found.map_or("missing".to_owned(), ToString::to_string)
                )),
            }
        }
        // Authorizers no route uses need not be listed; used ones must be.
        for route in &api.routes {
            if let RouteAuth::Authorizer { name: n, .. } = &route.auth
                && !exp.authorizers.contains_key(n)
            {
                wrong.push(format!("{at}: authorizer {n} is used but not expected"));
            }
        }
        if cors(api) != exp.cors {
            wrong.push(format!(
                "{at}: cors {:?} (expected {:?})",
                cors(api),
                exp.cors
            ));
        }
        let mut found_routes: Vec<String> = api.routes.iter().map(|r| r.route_key()).collect();
        found_routes.sort();
        let mut expected_routes: Vec<String> = exp.routes.iter().map(|r| r.route.clone()).collect();
        expected_routes.sort();
        if found_routes != expected_routes {
            wrong.push(format!(
                "{at}: routes {found_routes:?} (expected {expected_routes:?})"
            ));
        }
        for route in &exp.routes {
            let r_at = format!("{at} {}", route.route);
            for kind in ["none", "good", "bad"] {
                if !route.requests.iter().any(|c| c.credentials == kind) {
                    wrong.push(format!(
                        "{r_at}: expected.yaml has no `{kind}` credentials case"
                    ));
                }
            }
            if let Some(found) = api.routes.iter().find(|r| r.route_key() == route.route) {
                if integration(&found.integration) != route.integration {
                    wrong.push(format!(
                        "{r_at}: integration {} (expected {}; rule: {})",
                        integration(&found.integration),
                        route.integration,
                        route.rule
                    ));
                }
                if auth(&found.auth) != route.auth {
                    wrong.push(format!(
                        "{r_at}: auth {} (expected {}; rule: {})",
                        auth(&found.auth),
                        route.auth,
                        route.rule
                    ));
                }
                if found.api_key_required != route.api_key {
                    wrong.push(format!(
                        "{r_at}: API key required {} (expected {}; rule: {})",
                        found.api_key_required, route.api_key, route.rule
                    ));
                }
            }
            for case in &route.requests {
                let (answer, calls) =
                    request(api, &expected, case, route_method(&route.route), &tokens).await;
                for w in check_answer(case, &answer, &calls) {
                    wrong.push(format!(
                        "{r_at}, {} ({}): {w}; rule: {}",
                        case.case, case.credentials, case.rule
                    ));
                }
            }
        }
        for case in &exp.requests {
            let (answer, calls) = request(api, &expected, case, "GET", &tokens).await;
            for w in check_answer(case, &answer, &calls) {
                wrong.push(format!("{at}, {}: {w}; rule: {}", case.case, case.rule));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{name} differs from what AWS serves:\n  {}",
        wrong.join("\n  ")
    );
}

// ---- the corpus itself ----

/// One test per fixture, and the list of them all.
macro_rules! corpus {
    ($($test:ident => $dir:literal $(, ignore = $why:literal)?;)*) => {
        const CORPUS: &[&str] = &[$($dir),*];
        $(
            #[tokio::test]
            $(#[ignore = $why])?
            async fn $test() {
                run($dir).await;
            }
        )*
    };
}

corpus! {
    sp_rest_token_raw => "sp-rest-token-raw";
    sp_rest_token_http_enrich => "sp-rest-token-http-enrich";
    sp_rest_cognito_param_pool => "sp-rest-cognito-param-pool";
    sp_rest_cognito_cors_nopreflight => "sp-rest-cognito-cors-nopreflight";
    cli_rest_raw_token_request => "cli-rest-raw-token-request";
    rust_runtime_token_cargolambda => "rust-runtime-token-cargolambda";
    sp_http_jwt_nested_issuer => "sp-http-jwt-nested-issuer";
    cli_http_raw_request_v1_v2_simple => "cli-http-raw-request-v1-v2-simple";
    tr_implicit_http_globals_jwt => "tr-implicit-http-globals-jwt";
    ss_http_include_sqs_cors => "ss-http-include-sqs-cors";
    sp_rest_cognito_vpclink_nested => "sp-rest-cognito-vpclink-nested";
    integ_rest_override_api_auth => "integ-rest-override-api-auth";
    tr_rest_cognito_scopes => "tr-rest-cognito-scopes";
    cli_rest_body_swagger_and_oas3 => "cli-rest-body-swagger-and-oas3";
    tr_http_body_merge_cors => "tr-http-body-merge-cors";
    integ_http_request_all_sources_jwt => "integ-http-request-all-sources-jwt";
    derived_rest_cognito_ssm_pool => "derived-rest-cognito-ssm-pool";
    derived_rest_definitionuri_token => "derived-rest-definitionuri-token";
    sp_rest_apikey_raw => "sp-rest-apikey-raw";
    ss_rest_include_token_apikey => "ss-rest-include-token-apikey";
    ws_security_swagger_token_apikey => "ws-security-swagger-token-apikey";
    sp_three_apis_http_proxy_include => "sp-three-apis-http-proxy-include";
    tr_sfn_all_authorizers => "tr-sfn-all-authorizers";
    sp_rest_iam_default => "sp-rest-iam-default";
    sp_rest_request_apikey_tenant => "sp-rest-request-apikey-tenant";
    tr_globals_api_cognito_implicit_explicit => "tr-globals-api-cognito-implicit-explicit";
    integ_rest_all_authorizers => "integ-rest-all-authorizers";
}

#[test]
fn every_fixture_names_its_source_and_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<&str> = CORPUS.to_vec();
    listed.sort_unstable();
    assert_eq!(
        found, listed,
        "every fixture directory has a test in CORPUS"
    );
    assert!(found.len() >= 15, "the corpus has at least 15 templates");
    let index = std::fs::read_to_string(fixtures().join("README.md")).unwrap();
    let commit = regex::Regex::new(r"(?m)^- Commit: `[0-9a-f]{40}`").unwrap();
    for name in &found {
        let dir = fixtures().join(name);
        let source = std::fs::read_to_string(dir.join("SOURCE.md"))
            .unwrap_or_else(|e| panic!("{name}/SOURCE.md: {e}"));
        for field in [
            "- Repository: ",
            "- Path: ",
            "- URL: https://github.com/",
            "## Constructs reproduced",
            "## What we changed",
        ] {
            assert!(source.contains(field), "{name}/SOURCE.md has no `{field}`");
        }
        assert!(
            commit.is_match(&source),
            "{name}/SOURCE.md names no 40-hex commit"
        );
        assert!(dir.join("template.yaml").is_file(), "{name}/template.yaml");
        assert!(dir.join("expected.yaml").is_file(), "{name}/expected.yaml");
        assert!(
            index.contains(&format!("| {name} |")),
            "README.md lists {name}"
        );
    }
}

/// The private form of `sp-rest-cognito-vpclink-nested`, as its source has it: a PRIVATE API
/// reachable only from a VPC endpoint, with a resource policy allowing only that endpoint. Not
/// reachable from a laptop, so it is refused, naming the resource and property (SR §11.8).
#[test]
fn a_private_rest_api_is_refused_naming_the_resource_and_property() {
    let dir = fixtures().join("sp-rest-cognito-vpclink-nested");
    let text = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    let regional = "      EndpointConfiguration:\n        Types: [REGIONAL]\n";
    assert!(text.contains(regional));
    let private = "      EndpointConfiguration:\n        Types: [PRIVATE]\n        VpcEndpointIds:\n          - !GetAtt NetworkStack.Outputs.ApiEndpointId\n";
    let policy = "      Policy: !Sub '{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"execute-api:Invoke\", \"Resource\": \"execute-api:/*\", \"Condition\": {\"StringEquals\": {\"aws:sourceVpce\": \"${NetworkStack.Outputs.ApiEndpointId}\"}}}]}'\n";
    let expected: Expected =
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("expected.yaml")).unwrap())
            .unwrap();
    let mut values = local_values(&expected.values);
    values.attributes.insert(
        "NetworkStack.Outputs.ApiEndpointId".into(),
        "vpce-0123".into(),
    );
    for (variant, replacement, property) in [
        (
            "private, with the source's resource policy",
            format!("{private}{policy}"),
            None,
        ),
        (
            "private, without a policy",
            private.to_owned(),
            Some("EndpointConfiguration"),
        ),
    ] {
        let template = Template::parse_in(&text.replace(regional, &replacement), &dir).unwrap();
        let error = read_apis(&template, &values)
            .map(|_| ())
            .expect_err(variant)
            .to_string();
        assert!(error.contains("`InventoryApi`"), "{variant}: {error}");
        if let Some(property) = property {
            assert!(error.contains(property), "{variant}: {error}");
        }
    }
}

/// The source of `ss-rest-include-token-apikey` also customizes `BAD_REQUEST_BODY` with a
/// response template (VTL), which the local gateway does not evaluate: refused, naming where.
#[test]
fn a_gateway_response_template_is_refused_naming_the_file_and_property() {
    let dir = fixtures().join("ss-rest-include-token-apikey");
    let swagger = std::fs::read_to_string(dir.join("api/swagger.yaml")).unwrap();
    let customized = swagger.replace(
        "x-amazon-apigateway-gateway-responses:\n",
        "x-amazon-apigateway-gateway-responses:\n  BAD_REQUEST_BODY:\n    statusCode: 400\n    responseTemplates:\n      application/json: '{\"message\": \"$context.error.validationErrorString\"}'\n",
    );
    assert_ne!(customized, swagger);
    let copy =
        std::env::temp_dir().join(format!("corpus-gateway-responses-{}", std::process::id()));
    std::fs::create_dir_all(copy.join("api")).unwrap();
    std::fs::write(copy.join("api/swagger.yaml"), customized).unwrap();
    let text = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    let template = Template::parse_in(&text, &copy).unwrap();
    let error = read_apis(&template, &LocalValues::default())
        .map(|_| ())
        .expect_err("a response template is refused")
        .to_string();
    std::fs::remove_dir_all(&copy).unwrap();
    assert!(error.contains("api/swagger.yaml"), "{error}");
    assert!(error.contains("BAD_REQUEST_BODY"), "{error}");
}

/// `derived-rest-cognito-ssm-pool` without a value for its SSM-typed parameter: CloudFormation
/// would read Parameter Store, the local gateway cannot, so it says which `--parameter` to give.
#[test]
fn an_ssm_parameter_without_a_value_is_refused_naming_it() {
    let dir = fixtures().join("derived-rest-cognito-ssm-pool");
    let template = Template::load(&dir.join("template.yaml")).unwrap();
    let error = read_apis(&template, &LocalValues::default())
        .map(|_| ())
        .expect_err("an SSM parameter needs a local value")
        .to_string();
    assert!(error.contains("ExistingUserPoolArn"), "{error}");
    assert!(error.contains("--parameter"), "{error}");
}
