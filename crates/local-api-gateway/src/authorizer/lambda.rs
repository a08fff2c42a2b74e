//! Lambda authorizers, as API Gateway runs them (`../shared`'s LAMBDA-AUTHORIZERS.md has the
//! sources: "Use API Gateway Lambda authorizers", "Input to" / "Output from an API Gateway Lambda
//! authorizer", "Control access to HTTP APIs with AWS Lambda authorizers", public captures):
//!
//! - REST TOKEN: the identity header's value, verbatim, as `authorizationToken` (with `methodArn`
//!   and `type`); a missing or empty header, or one its `ValidationExpression` does not match,
//!   is a 401 without invoking;
//! - REST REQUEST and HTTP REQUEST: every identity source must be present and non-empty, else
//!   401 without invoking; the event is the request's, reshaped as API Gateway reshapes it;
//! - the answer: an IAM policy evaluated against the method ARN ([`super::policy`]), `context`
//!   (REST: strings, numbers and booleans only), `usageIdentifierKey`; or, for HTTP payload 2.0
//!   with simple responses, `{"isAuthorized": ..., "context": ...}`;
//! - the function failing with the message `Unauthorized` is a 401; any other failure, a
//!   timeout or an answer API Gateway cannot read is a 500; a denial is a 403;
//! - results are cached by the identity values for `ReauthorizeEvery` seconds (REST default 300;
//!   0 turns it off), and a cached result is evaluated again for every method of the API it is
//!   used on, so a policy for one resource can deny another.
//!
//! Choices where the documentation is silent (also in the crate README's table):
//! - `ValidationExpression` must match the whole token (Java's `String.matches`, as the
//!   Cognito authorizer's expression);
//! - identity sources are required even when caching is off (SAM's integration tests against
//!   AWS expect a 401 without them at TTL 0);
//! - HTTP APIs: `Unauthorized` is a 401 as on REST; a timeout or an unreachable function is a
//!   500; the function's answer is awaited at most its own `Timeout`, and no longer than 30 s;
//! - HTTP APIs without `ReauthorizeEvery` do not cache; HTTP APIs pass the context to every
//!   payload version as `{"lambda": ...}`, values as the function gave them;
//! - a result without `principalId` is refused (500) like any other unreadable one;
//! - what is cached: allows and denials, never failures.

use std::{
    collections::BTreeMap,
    fmt,
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use lru::LruCache;
use serde_json::{Map, Value};
// tokio's clock, so tests can run the cache's TTL on a paused clock.
use tokio::time::Instant;

use super::{
    AuthRequest, Denial, Grant, IdentitySource, cognito::Pattern, policy::Decision,
    policy::PolicyDocument,
};
use crate::{
    event::{AuthorizerContext, PayloadVersion},
    invoke::{FunctionTarget, Invoke, InvokeError},
};

/// API Gateway waits for an authorizer no longer than this (chosen; see the module's notes).
const MAX_AUTHORIZER_WAIT: Duration = Duration::from_secs(30);
/// Cached results per authorizer: the identity values a local run sees stay few.
const CACHED_RESULTS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct LambdaConfig {
    pub function: FunctionTarget,
    pub flavor: Flavor,
    /// The identity sources, in order (their values are the cache key).
    pub identity: Vec<IdentitySource>,
    /// `authorizerResultTtlInSeconds`: zero turns caching off.
    pub ttl: Duration,
}

/// Which of API Gateway's Lambda authorizers this is.
#[derive(Debug, Clone, PartialEq)]
pub enum Flavor {
    /// REST `TOKEN`: one header (the only identity source), optionally checked by a regex.
    Token { validation: Option<Pattern> },
    /// REST `REQUEST`.
    Request,
    /// HTTP API `REQUEST`, with its payload version; simple responses (2.0 only).
    Http {
        payload: PayloadVersion,
        simple_responses: bool,
    },
}

impl fmt::Display for LambdaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flavor = match &self.flavor {
            Flavor::Token { .. } => "Lambda TOKEN",
            Flavor::Request => "Lambda REQUEST",
            Flavor::Http {
                payload: PayloadVersion::V1,
                ..
            } => "Lambda REQUEST (payload 1.0)",
            Flavor::Http {
                simple_responses: true,
                ..
            } => "Lambda REQUEST (payload 2.0, simple responses)",
            Flavor::Http { .. } => "Lambda REQUEST (payload 2.0)",
        };
        let sources: Vec<String> = self.identity.iter().map(ToString::to_string).collect();
        write!(
            f,
            "{flavor} function {} from {}",
            self.function.name,
            if sources.is_empty() {
                "nothing".to_owned()
            } else {
                sources.join(", ")
            }
        )?;
        if let Flavor::Token {
            validation: Some(pattern),
        } = &self.flavor
        {
            write!(f, " matching {}", pattern.source())?;
        }
        if self.ttl.is_zero() {
            write!(f, ", not cached")
        } else {
            write!(f, ", cached {} s", self.ttl.as_secs())
        }
    }
}

/// What a Lambda authorizer answered, as cached: re-evaluated for every request it serves.
#[derive(Debug, Clone)]
struct Answer {
    verdict: Verdict,
    principal: Option<String>,
    context: Option<Map<String, Value>>,
    /// REST: the API key for `ApiKeySourceType: AUTHORIZER`.
    usage_identifier_key: Option<String>,
}

#[derive(Debug, Clone)]
enum Verdict {
    Policy(PolicyDocument),
    /// A simple response's `isAuthorized`.
    Simple(bool),
}

/// An answer and when it was given.
type Cached = (Instant, Arc<Answer>);

/// An authorizer's cached answers, by identity values.
#[derive(Debug)]
pub struct Results {
    cache: Mutex<LruCache<Vec<String>, Cached>>,
}

impl Default for Results {
    fn default() -> Self {
        Self {
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(CACHED_RESULTS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl Results {
    fn get(&self, key: &[String], ttl: Duration) -> Option<Arc<Answer>> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.get(key) {
            Some((at, answer)) if at.elapsed() < ttl => Some(Arc::clone(answer)),
            Some(_) => {
                cache.pop(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: Vec<String>, answer: Arc<Answer>) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(key, (Instant::now(), answer));
    }
}

impl LambdaConfig {
    pub(super) async fn authorize<I: Invoke>(
        &self,
        results: &Results,
        request: &AuthRequest<'_>,
        invoker: &I,
    ) -> Result<Grant, Denial> {
        let values = self.identity_values(request)?;
        let started = Instant::now();
        let cached = if self.ttl.is_zero() {
            None
        } else {
            results.get(&values, self.ttl)
        };
        let (answer, latency) = match cached {
            Some(answer) => (answer, 0),
            None => {
                let answer = Arc::new(self.invoke(&values, request, invoker).await?);
                if !self.ttl.is_zero() && !values.is_empty() {
                    results.put(values, Arc::clone(&answer));
                }
                (answer, started.elapsed().as_millis() as u64)
            }
        };
        self.decide(&answer, request.method_arn)?;
        Ok(Grant {
            context: Some(self.integration_context(&answer, latency)),
            usage_identifier_key: answer.usage_identifier_key.clone(),
            ..Grant::default()
        })
    }

    /// The identity sources' values; a missing or empty one is a 401, the function uncalled.
    fn identity_values(&self, request: &AuthRequest<'_>) -> Result<Vec<String>, Denial> {
        let mut values = Vec::with_capacity(self.identity.len());
        for source in &self.identity {
            match request.identity(source)? {
                Some(value) if !value.trim().is_empty() => values.push(value),
                _ => {
                    return Err(Denial::unauthorized(format!(
                        "the identity source ({source}) is missing"
                    )));
                }
            }
        }
        if let (
            Flavor::Token {
                validation: Some(pattern),
            },
            [token],
        ) = (&self.flavor, values.as_slice())
            && !pattern.is_match(token)
        {
            return Err(Denial::unauthorized(
                "the token does not match the validation expression",
            ));
        }
        Ok(values)
    }

    async fn invoke<I: Invoke>(
        &self,
        values: &[String],
        request: &AuthRequest<'_>,
        invoker: &I,
    ) -> Result<Answer, Denial> {
        let event = self.event(values, request);
        let payload = serde_json::to_vec(&event)
            .map_err(|e| Denial::configuration_error(format!("authorizer event: {e}")))?;
        let deadline = self.function.timeout.min(MAX_AUTHORIZER_WAIT);
        let result = match invoker.invoke(&self.function.name, payload, deadline).await {
            Ok(result) => result,
            Err(InvokeError::FunctionError {
                message: Some(message),
                ..
            }) if message == "Unauthorized" => {
                return Err(Denial::unauthorized("the authorizer answered Unauthorized"));
            }
            Err(err) => {
                tracing::warn!(function = %self.function.name, error = %err, "the authorizer failed");
                return Err(Denial::configuration_error(format!(
                    "the authorizer failed: {err}"
                )));
            }
        };
        self.read_answer(&result).map_err(|why| {
            tracing::warn!(function = %self.function.name, why, "the authorizer's answer cannot be read");
            Denial::configuration_error(format!("the authorizer's answer cannot be read: {why}"))
        })
    }

    /// The event the function gets.
    fn event(&self, values: &[String], request: &AuthRequest<'_>) -> Value {
        let mut event = match &self.flavor {
            Flavor::Token { .. } => {
                let mut event = Map::new();
                event.insert("type".into(), "TOKEN".into());
                event.insert(
                    "authorizationToken".into(),
                    values.first().cloned().unwrap_or_default().into(),
                );
                event.insert("methodArn".into(), request.method_arn.into());
                return Value::Object(event);
            }
            Flavor::Request => rest_request_event(request.events.event(PayloadVersion::V1)),
            Flavor::Http { payload, .. } => {
                let mut event = request.events.event(*payload);
                strip_body(&mut event);
                event
            }
        };
        if let Value::Object(map) = &mut event {
            map.insert("type".into(), "REQUEST".into());
            match &self.flavor {
                Flavor::Http {
                    payload: PayloadVersion::V2,
                    ..
                } => {
                    map.insert("routeArn".into(), request.method_arn.into());
                    map.insert("identitySource".into(), values.to_vec().into());
                }
                Flavor::Http {
                    payload: PayloadVersion::V1,
                    ..
                } => {
                    map.insert("methodArn".into(), request.method_arn.into());
                    let joined = values.join(",");
                    map.insert("identitySource".into(), joined.clone().into());
                    map.insert("authorizationToken".into(), joined.into());
                }
                _ => {
                    map.insert("methodArn".into(), request.method_arn.into());
                }
            }
        }
        event
    }

    fn read_answer(&self, result: &[u8]) -> Result<Answer, String> {
        let value: Value = serde_json::from_slice(result).map_err(|e| format!("not JSON: {e}"))?;
        let object = value.as_object().ok_or("not a JSON object")?;
        if matches!(
            self.flavor,
            Flavor::Http {
                simple_responses: true,
                ..
            }
        ) {
            let authorized = object
                .get("isAuthorized")
                .and_then(Value::as_bool)
                .ok_or("isAuthorized is not a boolean")?;
            let context = match object.get("context") {
                None | Some(Value::Null) => None,
                Some(Value::Object(context)) => Some(context.clone()),
                Some(_) => return Err("context is not an object".into()),
            };
            return Ok(Answer {
                verdict: Verdict::Simple(authorized),
                principal: None,
                context,
                usage_identifier_key: None,
            });
        }
        let principal = object
            .get("principalId")
            .and_then(Value::as_str)
            .ok_or("principalId is missing or not a string")?
            .to_owned();
        let policy = PolicyDocument::parse(object.get("policyDocument").unwrap_or(&Value::Null))?;
        let context = match object.get("context") {
            None | Some(Value::Null) => None,
            Some(Value::Object(context)) => {
                // REST: "you cannot set a JSON object or array as a valid value of any key".
                if !matches!(self.flavor, Flavor::Http { .. })
                    && let Some((key, _)) = context
                        .iter()
                        .find(|(_, v)| v.is_object() || v.is_array() || v.is_null())
                {
                    return Err(format!(
                        "context value `{key}` is not a string, number or boolean"
                    ));
                }
                Some(context.clone())
            }
            Some(_) => return Err("context is not an object".into()),
        };
        // Only a string is a key; anything else leaves the request without one.
        let usage_identifier_key = object
            .get("usageIdentifierKey")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Answer {
            verdict: Verdict::Policy(policy),
            principal: Some(principal),
            context,
            usage_identifier_key,
        })
    }

    /// The answer applied to this request's method.
    fn decide(&self, answer: &Answer, method_arn: &str) -> Result<(), Denial> {
        match &answer.verdict {
            Verdict::Simple(true) => Ok(()),
            Verdict::Simple(false) => Err(Denial::access_denied("isAuthorized is false", false)),
            Verdict::Policy(policy) => match policy.decide(method_arn) {
                Decision::Allow => Ok(()),
                Decision::ExplicitDeny => Err(Denial::access_denied(
                    format!("the policy denies {method_arn}"),
                    true,
                )),
                Decision::ImplicitDeny => Err(Denial::access_denied(
                    format!("the policy does not allow {method_arn}"),
                    false,
                )),
            },
        }
    }

    /// `requestContext.authorizer` for the integration.
    fn integration_context(&self, answer: &Answer, latency_ms: u64) -> AuthorizerContext {
        if let Flavor::Http { .. } = self.flavor {
            return AuthorizerContext::Lambda {
                lambda: answer.context.clone().map(Value::Object),
            };
        }
        // REST: the principal, the authorizer's latency, and the context values as strings
        // ("the returned values are all stringified").
        let mut fields = BTreeMap::new();
        if let Some(principal) = &answer.principal {
            fields.insert("principalId".to_owned(), Value::String(principal.clone()));
        }
        fields.insert("integrationLatency".to_owned(), Value::from(latency_ms));
        for (key, value) in answer.context.iter().flatten() {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            fields.insert(key.clone(), Value::String(text));
        }
        AuthorizerContext::Fields(fields)
    }
}

/// A REST REQUEST authorizer's event: the proxy event without the body, and with `{}` where the
/// proxy event has `null` (captured events show both).
fn rest_request_event(mut event: Value) -> Value {
    strip_body(&mut event);
    if let Value::Object(map) = &mut event {
        for key in [
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
        ] {
            if map.get(key).is_none_or(Value::is_null) {
                map.insert(key.into(), Value::Object(Map::new()));
            }
        }
    }
    event
}

/// Authorizer events carry no body, and no `authorizer` in their request context.
fn strip_body(event: &mut Value) {
    if let Value::Object(map) = event {
        map.remove("body");
        map.remove("isBase64Encoded");
        if let Some(Value::Object(context)) = map.get_mut("requestContext") {
            context.remove("authorizer");
        }
    }
}
