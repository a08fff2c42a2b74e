//! What both API kinds need to know about the template's functions: the name they are invoked
//! by, their `Timeout`, their environment, and their events.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{Location, Resolver, Resource, Template, TemplateError};
use crate::model::FunctionTarget;

const FUNCTION: &str = "AWS::Serverless::Function";
/// Lambda's timeout when neither the function nor `Globals.Function` sets one.
const LAMBDA_DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// One event of a function, of the type asked for.
pub(super) struct FunctionEvent<'t> {
    pub function: FunctionTarget,
    pub properties: Option<&'t Yaml>,
    /// `Resources.<Fn>.Properties.Events.<Name>.Properties`, for errors.
    pub at: Location,
}

/// The functions whose `Condition` holds, with what invoking them needs.
pub(super) fn functions<'t>(
    template: &'t Template,
    resolver: &Resolver<'_>,
) -> Result<Vec<(Resource<'t>, FunctionTarget)>, TemplateError> {
    let mut found = Vec::new();
    for function in template.resources().filter(|r| r.kind == FUNCTION) {
        if let Some(condition) = function.body.get("Condition").and_then(Yaml::as_str)
            && !resolver.condition(condition, &function.location().child("Condition"))?
        {
            continue;
        }
        let name = function
            .body
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Yaml::as_str)
            .unwrap_or(function.logical_id)
            .to_owned();
        let timeout = match function
            .property("Timeout")
            .map(|t| (t, function.property_location("Timeout")))
            .or_else(|| global(template, "Timeout").map(|t| (t, global_location("Timeout"))))
        {
            None => LAMBDA_DEFAULT_TIMEOUT,
            Some((value, at)) => resolver
                .eval_string(value, &at)?
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=900).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| TemplateError::invalid(&at, "expected 1 to 900 seconds"))?,
        };
        found.push((
            function,
            FunctionTarget {
                logical_id: function.logical_id.to_owned(),
                name,
                timeout,
            },
        ));
    }
    Ok(found)
}

/// Every event of type `kind` (`HttpApi`, `Api`) of every function.
pub(super) fn events<'t>(
    template: &'t Template,
    resolver: &Resolver<'_>,
    kind: &str,
) -> Result<Vec<FunctionEvent<'t>>, TemplateError> {
    let mut found = Vec::new();
    for (function, target) in functions(template, resolver)? {
        let Some(events) = function.property("Events") else {
            continue;
        };
        let events_at = function.property_location("Events");
        let events = events
            .as_mapping()
            .ok_or_else(|| TemplateError::invalid(&events_at, "expected a mapping of events"))?;
        for (name, event) in events {
            if event.get("Type").and_then(Yaml::as_str) != Some(kind) {
                continue;
            }
            found.push(FunctionEvent {
                function: target.clone(),
                properties: event.get("Properties"),
                at: events_at
                    .child(name.as_str().unwrap_or("?"))
                    .child("Properties"),
            });
        }
    }
    Ok(found)
}

/// The environment `cargo lambda watch` should give the functions: `Globals.Function` and each
/// function's `Environment.Variables`. One process serves every function locally, so two
/// functions that set one variable differently are an error.
pub fn function_environment(
    template: &Template,
    resolver: &Resolver<'_>,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut env: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut add = |variables: Option<&Yaml>, at: Location, owner: &str| {
        let Some(variables) = variables else {
            return Ok(());
        };
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
                    env.insert(name.to_owned(), (value, owner.to_owned()));
                }
            }
        }
        Ok(())
    };
    add(
        global(template, "Environment").and_then(|e| e.get("Variables")),
        global_location("Environment.Variables"),
        "Globals.Function",
    )?;
    for (function, _) in functions(template, resolver)? {
        add(
            function
                .property("Environment")
                .and_then(|e| e.get("Variables")),
            function.property_location("Environment.Variables"),
            function.logical_id,
        )?;
    }
    Ok(env
        .into_iter()
        .map(|(name, (value, _))| (name, value))
        .collect())
}

fn global<'t>(template: &'t Template, key: &str) -> Option<&'t Yaml> {
    template
        .globals()
        .get("Function")
        .and_then(Yaml::as_mapping)
        .and_then(|m: &Mapping| m.get(key))
}

fn global_location(key: &str) -> Location {
    Location::new("Globals", format!("Function.{key}"))
}

/// The logical id an event's `ApiId: !Ref X` / `RestApiId: !Ref X` points at.
pub(super) fn api_reference(value: &Yaml, at: &Location) -> Result<String, TemplateError> {
    let target = match value {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Yaml::Mapping(map) => map.get("Ref").and_then(Yaml::as_str),
        _ => None,
    };
    target.map(str::to_owned).ok_or_else(|| {
        TemplateError::invalid(
            at,
            format!("expected `!Ref <API>`, found {}", super::kind_of(value)),
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

/// `TimeoutInMillis` of an event: 50 ms to `max`, else the API kind's default.
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
