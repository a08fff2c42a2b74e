//! The API keys a template creates, and which stages of which REST APIs each may call:
//! `AWS::ApiGateway::ApiKey` resources linked to `AWS::ApiGateway::UsagePlan`s by
//! `AWS::ApiGateway::UsagePlanKey`s, and the plans SAM creates for `Auth.UsagePlan`
//! (`CreateUsagePlan: PER_API` makes `<Api>UsagePlan` / `<Api>ApiKey` / `<Api>UsagePlanKey`,
//! `SHARED` one `ServerlessApiKey` for every API that says so; samtranslator
//! `api_generator.py` `_construct_usage_plan`). A key calls a stage only through a usage plan of
//! it: API Gateway ignores the legacy `StageKeys` since usage plans exist.
//!
//! What AWS decides at deploy time is chosen here: a key without `Value` is `local-<LogicalId>`
//! (or the `--api-key LogicalId=VALUE` given); a key without `Enabled: true` is disabled, as
//! CloudFormation creates it, and refused (with a warning). An `--api-key Name=VALUE` whose name
//! is no key of the template is a key made outside the stack (in the console, by a script): it
//! calls every stage of every REST API, as the plans it would be in are unknown here.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value as Yaml;

use super::{Context, Location, Resource, TemplateError, ref_to};
use crate::model::{Api, ApiKey, ApiKind};

/// A REST API whose SAM `Auth.UsagePlan` creates a plan.
#[derive(Debug, Clone)]
pub(super) struct SamUsagePlan {
    pub api: String,
    pub stage: String,
    /// `SHARED` (one plan and key for all such APIs) rather than `PER_API`.
    pub shared: bool,
}

/// SAM's `Auth.UsagePlan` of API `api` deployed to `stage`: what it creates, if anything.
pub(super) fn sam_usage_plan(
    cx: &Context<'_>,
    api: &str,
    stage: &str,
    plan: &Yaml,
    at: &Location,
) -> Result<Option<SamUsagePlan>, TemplateError> {
    let plan = cx
        .resolver
        .select(plan, at)?
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| TemplateError::invalid(at, "'UsagePlan' must be a dictionary"))?;
    const KNOWN: [&str; 6] = [
        "CreateUsagePlan",
        "Description",
        "Quota",
        "Tags",
        "Throttle",
        "UsagePlanName",
    ];
    for key in plan.keys() {
        if !key.as_str().is_some_and(|k| KNOWN.contains(&k)) {
            return Err(TemplateError::invalid(
                at,
                "Invalid property for 'UsagePlan'",
            ));
        }
    }
    let create_at = at.child("CreateUsagePlan");
    let create = plan.get("CreateUsagePlan").ok_or_else(|| {
        TemplateError::invalid(
            &create_at,
            "'CreateUsagePlan' is a required field for UsagePlan.",
        )
    })?;
    let shared = match cx.resolver.eval_string(create, &create_at)?.as_str() {
        "PER_API" => false,
        "SHARED" => true,
        "NONE" => return Ok(None),
        _ => {
            return Err(TemplateError::invalid(
                &create_at,
                "'CreateUsagePlan' accepts one of ['SHARED', 'PER_API', 'NONE'].",
            ));
        }
    };
    Ok(Some(SamUsagePlan {
        api: api.to_owned(),
        stage: stage.to_owned(),
        shared,
    }))
}

/// One key, before it is given to the APIs.
struct Key {
    id: String,
    value: String,
    /// (API id, stage) pairs its plans cover; `None`: a key from outside the stack, every stage.
    stages: Option<BTreeSet<(String, String)>>,
}

/// Gives every REST API the keys that may call one of its stages.
pub(super) fn assign(cx: &mut Context<'_>, apis: &mut [Api]) -> Result<(), TemplateError> {
    let mut keys = template_keys(cx)?;
    for (logical_id, stages) in sam_keys(&cx.usage_plans) {
        keys.push(Key {
            value: key_value(cx, &logical_id),
            id: logical_id,
            stages: Some(stages),
        });
    }
    let template_ids: BTreeSet<String> = cx
        .template
        .resources()
        .filter(|r| r.kind == "AWS::ApiGateway::ApiKey")
        .map(|r| r.logical_id.to_owned())
        .chain(keys.iter().map(|k| k.id.clone()))
        .collect();
    for (name, value) in &cx.resolver.values().api_keys {
        if !template_ids.contains(name) {
            keys.push(Key {
                id: name.clone(),
                value: value.clone(),
                stages: None,
            });
        }
    }
    for api in apis.iter_mut().filter(|api| api.kind == ApiKind::Rest) {
        let api_ref = match cx
            .resolver
            .eval_string(&ref_to(&api.id), &Location::new(&api.id, ""))
        {
            Ok(id) => id,
            Err(_) => api.id.clone(),
        };
        api.api_keys.keys = keys
            .iter()
            .filter_map(|key| {
                let stages: Vec<String> = match &key.stages {
                    None => api.stages.iter().map(|s| s.name.clone()).collect(),
                    Some(stages) => stages
                        .iter()
                        .filter(|(api, _)| *api == api_ref)
                        .map(|(_, stage)| stage.clone())
                        .collect(),
                };
                (!stages.is_empty()).then(|| ApiKey {
                    id: key.id.clone(),
                    value: key.value.clone(),
                    stages,
                })
            })
            .collect();
        let required = api.routes.iter().any(|route| route.api_key_required);
        if required && api.api_keys.keys.is_empty() {
            cx.warnings.push(format!(
                "`{}`: methods require an API key, and no enabled key is in a usage plan of the API: they refuse every request, as on AWS",
                api.id
            ));
        }
    }
    Ok(())
}

/// The value of key `logical_id`: the `--api-key` given, else `local-<LogicalId>`.
fn key_value(cx: &Context<'_>, logical_id: &str) -> String {
    cx.resolver
        .values()
        .api_keys
        .get(logical_id)
        .cloned()
        .unwrap_or_else(|| format!("local-{logical_id}"))
}

/// The keys SAM's usage plans create, with the stages they cover.
fn sam_keys(plans: &[SamUsagePlan]) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut keys: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for plan in plans {
        let key = if plan.shared {
            "ServerlessApiKey".to_owned()
        } else {
            format!("{}ApiKey", plan.api)
        };
        keys.entry(key)
            .or_default()
            .insert((plan.api.clone(), plan.stage.clone()));
    }
    keys
}

/// `AWS::ApiGateway::ApiKey` resources, with the stages of the usage plans they are keys of.
fn template_keys(cx: &mut Context<'_>) -> Result<Vec<Key>, TemplateError> {
    let template = cx.template;
    // Each plan's (API id, stage) pairs, by the plan's local id.
    let mut plans: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for plan in template
        .resources()
        .filter(|r| r.kind == "AWS::ApiGateway::UsagePlan")
    {
        if !cx.holds(plan)? {
            continue;
        }
        let id = local_id(cx, plan)?;
        let stages = plans.entry(id).or_default();
        let Some(list) = plan.property("ApiStages") else {
            continue;
        };
        let list_at = plan.property_location("ApiStages");
        let items = cx
            .resolver
            .select(list, &list_at)?
            .and_then(Yaml::as_sequence)
            .ok_or_else(|| TemplateError::invalid(&list_at, "expected a list"))?;
        for (i, item) in items.iter().enumerate() {
            let at = list_at.child(i);
            let field = |name: &str| -> Result<String, TemplateError> {
                let value = item
                    .get(name)
                    .ok_or_else(|| TemplateError::invalid(&at.child(name), "missing"))?;
                cx.resolver.eval_string(value, &at.child(name))
            };
            stages.insert((field("ApiId")?, field("Stage")?));
        }
    }
    // Each key's plans.
    let mut key_plans: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for link in template
        .resources()
        .filter(|r| r.kind == "AWS::ApiGateway::UsagePlanKey")
    {
        if !cx.holds(link)? {
            continue;
        }
        let field = |name: &str| -> Result<String, TemplateError> {
            let at = link.property_location(name);
            let value = link
                .property(name)
                .ok_or_else(|| TemplateError::invalid(&at, "missing"))?;
            cx.resolver.eval_string(value, &at)
        };
        if field("KeyType")? != "API_KEY" {
            return Err(TemplateError::invalid(
                &link.property_location("KeyType"),
                "the only key type is API_KEY",
            ));
        }
        key_plans
            .entry(field("KeyId")?)
            .or_default()
            .push(field("UsagePlanId")?);
    }
    let mut keys = Vec::new();
    for key in template
        .resources()
        .filter(|r| r.kind == "AWS::ApiGateway::ApiKey")
    {
        if !cx.holds(key)? {
            continue;
        }
        let enabled = match key.property("Enabled") {
            Some(value) => cx
                .resolver
                .eval_bool(value, &key.property_location("Enabled"))?,
            None => false,
        };
        if !enabled {
            cx.warnings.push(format!(
                "`{}`: an API key without `Enabled: true` is created disabled; requests with it are refused",
                key.logical_id
            ));
            continue;
        }
        let id = local_id(cx, key)?;
        let value = match key.property("Value") {
            Some(value) => cx
                .resolver
                .eval_string(value, &key.property_location("Value"))?,
            None => key_value(cx, key.logical_id),
        };
        let stages: BTreeSet<(String, String)> = key_plans
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|plan| plans.get(plan))
            .flatten()
            .cloned()
            .collect();
        if stages.is_empty() {
            cx.warnings.push(format!(
                "`{}`: the API key is in no usage plan of an API stage; requests with it are refused",
                key.logical_id
            ));
        }
        keys.push(Key {
            id,
            value,
            stages: Some(stages),
        });
    }
    Ok(keys)
}

fn local_id(cx: &Context<'_>, resource: Resource<'_>) -> Result<String, TemplateError> {
    cx.resolver
        .eval_string(&ref_to(resource.logical_id), &resource.location())
}
