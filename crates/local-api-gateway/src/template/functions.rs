//! The template's functions, as API integrations and Lambda authorizers reach them: the name they
//! are invoked by, their `Timeout`, their ARN (to find the function an integration's URI names),
//! their environment, and their events. `Globals.Function` applies to SAM functions.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{Location, Resolver, Template, TemplateError, get_att, globals};
use crate::model::{FunctionTarget, Integration, LambdaIntegration, PayloadVersion};

const SAM_FUNCTION: &str = "AWS::Serverless::Function";
const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
/// Lambda's timeout when neither the function nor `Globals.Function` sets one.
const LAMBDA_DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// One function whose `Condition` holds.
pub(super) struct Function {
    pub logical_id: String,
    /// Its properties, `Globals.Function` merged in.
    pub properties: Mapping,
    pub target: FunctionTarget,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`, as `!GetAtt Fn.Arn` gives it locally.
    pub arn: String,
}

impl Function {
    pub fn property_location(&self, name: &str) -> Location {
        Location::new(self.logical_id.clone(), name)
    }
}

/// The functions of a template, by logical id and by ARN, and the SAM state machines (whose
/// `Api` events make routes too).
pub(super) struct Functions {
    functions: Vec<Function>,
    /// `AWS::Serverless::StateMachine`s whose `Condition` holds: logical id, properties.
    state_machines: Vec<(String, Mapping)>,
}

impl Functions {
    pub fn read(template: &Template, resolver: &Resolver<'_>) -> Result<Self, TemplateError> {
        let mut functions = Vec::new();
        for resource in template
            .resources()
            .filter(|r| r.kind == SAM_FUNCTION || r.kind == LAMBDA_FUNCTION)
        {
            if let Some(condition) = resource.body.get("Condition").and_then(Yaml::as_str)
                && !resolver.condition(condition, &resource.location().child("Condition"))?
            {
                continue;
            }
            let properties = if resource.kind == SAM_FUNCTION {
                globals::merged(template, "Function", Some(&resource))?
            } else {
                resource
                    .body
                    .get("Properties")
                    .and_then(Yaml::as_mapping)
                    .cloned()
                    .unwrap_or_default()
            };
            let name = resource
                .body
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Yaml::as_str)
                .unwrap_or(resource.logical_id)
                .to_owned();
            let timeout_at = resource.property_location("Timeout");
            let timeout = match properties.get("Timeout") {
                None => LAMBDA_DEFAULT_TIMEOUT,
                Some(value) => resolver
                    .eval_string(value, &timeout_at)?
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=900).contains(s))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        TemplateError::invalid(&timeout_at, "expected 1 to 900 seconds")
                    })?,
            };
            let arn =
                resolver.eval_string(&get_att(resource.logical_id, "Arn"), &resource.location())?;
            functions.push(Function {
                logical_id: resource.logical_id.to_owned(),
                properties,
                target: FunctionTarget {
                    logical_id: resource.logical_id.to_owned(),
                    name,
                    timeout,
                },
                arn,
            });
        }
        let mut state_machines = Vec::new();
        for resource in template
            .resources()
            .filter(|r| r.kind == "AWS::Serverless::StateMachine")
        {
            if let Some(condition) = resource.body.get("Condition").and_then(Yaml::as_str)
                && !resolver.condition(condition, &resource.location().child("Condition"))?
            {
                continue;
            }
            let properties = resource
                .body
                .get("Properties")
                .and_then(Yaml::as_mapping)
                .cloned()
                .unwrap_or_default();
            state_machines.push((resource.logical_id.to_owned(), properties));
        }
        Ok(Self {
            functions,
            state_machines,
        })
    }

    /// The function an ARN names (`arn:aws:lambda:...:function:<name>[:<alias or version>]`): one
    /// of the template's, else a function outside it, invoked by its name with Lambda's default
    /// timeout. `None`: not a Lambda function ARN.
    pub fn by_arn(&self, arn: &str) -> Option<FunctionTarget> {
        let mut parts = arn.splitn(7, ':');
        let (Some("arn"), Some(_), Some("lambda"), Some(_), Some(_), Some("function"), Some(rest)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let name = rest.split(':').next().filter(|n| !n.is_empty())?;
        let unqualified = arn.strip_suffix(&rest[name.len()..]).unwrap_or(arn);
        Some(match self.functions.iter().find(|f| f.arn == unqualified) {
            Some(function) => function.target.clone(),
            None => FunctionTarget {
                logical_id: String::new(),
                name: name.to_owned(),
                timeout: LAMBDA_DEFAULT_TIMEOUT,
            },
        })
    }

    /// Every event of type `kind` (`HttpApi`, `Api`) of every SAM function, then of every SAM
    /// state machine.
    pub fn events(&self, kind: &str) -> Result<Vec<FunctionEvent<'_>>, TemplateError> {
        let mut found = Vec::new();
        let sources = self
            .functions
            .iter()
            .map(|f| (f.logical_id.as_str(), &f.properties, Some(f)))
            .chain(
                self.state_machines
                    .iter()
                    .map(|(id, properties)| (id.as_str(), properties, None)),
            );
        for (logical_id, properties, function) in sources {
            let Some(events) = properties.get("Events") else {
                continue;
            };
            let events_at = Location::new(logical_id, "Events");
            let events = events.as_mapping().ok_or_else(|| {
                TemplateError::invalid(&events_at, "expected a mapping of events")
            })?;
            for (name, event) in events {
                if event.get("Type").and_then(Yaml::as_str) != Some(kind) {
                    continue;
                }
                let name = name.as_str().unwrap_or("?");
                found.push(FunctionEvent {
                    function,
                    properties: event.get("Properties").and_then(Yaml::as_mapping),
                    at: events_at.child(name).child("Properties"),
                });
            }
        }
        Ok(found)
    }

    /// The environment `cargo lambda watch` should give the functions: each function's
    /// `Environment.Variables` (with `Globals.Function`'s). One process serves every function
    /// locally, so two functions that set one variable differently are an error.
    pub fn environment(
        &self,
        resolver: &Resolver<'_>,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let mut env: BTreeMap<String, (String, String)> = BTreeMap::new();
        for function in &self.functions {
            let Some(variables) = function
                .properties
                .get("Environment")
                .and_then(|e| e.get("Variables"))
            else {
                continue;
            };
            let at = function.property_location("Environment.Variables");
            let variables = variables
                .as_mapping()
                .ok_or_else(|| TemplateError::invalid(&at, "expected a mapping of variables"))?;
            for (name, value) in variables {
                let name = name
                    .as_str()
                    .ok_or_else(|| TemplateError::invalid(&at, "variable names must be strings"))?;
                let value = resolver.eval_string(value, &at.child(name))?;
                match env.get(name) {
                    Some((existing, set_by)) if *existing != value => {
                        return Err(TemplateError::invalid(
                            &at.child(name),
                            format!(
                                "differs from the value {set_by} sets; one local process serves every function"
                            ),
                        ));
                    }
                    _ => {
                        env.insert(name.to_owned(), (value, function.logical_id.clone()));
                    }
                }
            }
        }
        Ok(env
            .into_iter()
            .map(|(name, (value, _))| (name, value))
            .collect())
    }
}

/// One event of a function.
pub(super) struct FunctionEvent<'f> {
    /// The function the event invokes; `None` for a state machine's.
    pub function: Option<&'f Function>,
    pub properties: Option<&'f Mapping>,
    /// `Resources.<Fn>.Properties.Events.<Name>.Properties`, for errors.
    pub at: Location,
}

impl<'f> FunctionEvent<'f> {
    pub fn property(&self, key: &str) -> Option<&'f Yaml> {
        self.properties.and_then(|p| p.get(key))
    }

    /// The route's integration: the function with `payload` and `timeout`, or what a state
    /// machine's event makes (SAM's `aws` integration calling StartExecution in `region`), which
    /// cannot run locally.
    pub fn integration(
        &self,
        payload: PayloadVersion,
        timeout: Duration,
        region: &str,
    ) -> Integration {
        match self.function {
            Some(function) => Integration::Lambda(LambdaIntegration {
                function: function.target.clone(),
                payload,
                timeout,
            }),
            // Worded as the raw reader words SAM's translation of it.
            None => Integration::Unavailable(format!(
                "an AWS service integration (arn:aws:apigateway:{region}:states:action/StartExecution)"
            )),
        }
    }
}

/// The logical id an event's `RestApiId` / `ApiId` names: `!Ref X`, or `X` itself (SAM takes both).
pub(super) fn api_reference(value: &Yaml, at: &Location) -> Result<String, TemplateError> {
    let target = match value {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Yaml::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(Yaml::as_str),
        Yaml::String(id) => Some(id.as_str()),
        _ => None,
    };
    target.map(str::to_owned).ok_or_else(|| {
        TemplateError::invalid(
            at,
            format!(
                "expected `!Ref <API>` or the API's logical id, found {}",
                super::kind_of(value)
            ),
        )
    })
}

/// `/a/{b}/{c+}`: absolute, parameters whole segments, a greedy one only last.
pub(super) fn validate_path(path: &str, at: &Location) -> Result<(), TemplateError> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(TemplateError::invalid(
            at,
            format!("`{path}` must start with /"),
        ));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let is_param = segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2;
        if !is_param && (segment.contains('{') || segment.contains('}')) {
            return Err(TemplateError::invalid(
                at,
                format!("`{path}`: a parameter must be a whole segment"),
            ));
        }
        if is_param && segment.ends_with("+}") && i + 1 != segments.len() {
            return Err(TemplateError::invalid(
                at,
                format!("`{path}`: a greedy parameter must be last"),
            ));
        }
    }
    Ok(())
}

/// `TimeoutInMillis` / `timeoutInMillis`: 50 ms to `max`, else the API kind's default (`max`).
pub(super) fn integration_timeout(
    resolver: &Resolver<'_>,
    value: Option<&Yaml>,
    at: &Location,
    max: Duration,
) -> Result<Duration, TemplateError> {
    let Some(value) = value else {
        return Ok(max);
    };
    let max_ms = max.as_millis() as u64;
    resolver
        .eval_string(value, at)?
        .parse::<u64>()
        .ok()
        .filter(|ms| (50..=max_ms).contains(ms))
        .map(Duration::from_millis)
        .ok_or_else(|| TemplateError::invalid(at, format!("expected 50 to {max_ms} milliseconds")))
}
