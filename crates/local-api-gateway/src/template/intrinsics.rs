//! Evaluation of CloudFormation intrinsic functions against local values.
//!
//! Written by hand: no maintained Rust crate evaluates CloudFormation intrinsics. Only what the
//! templates people write use around their APIs is supported (Ref, Sub, GetAtt, If, Equals, Not,
//! And, Or, Join, Select, Split, and conditions); anything else is an error that names where it
//! is, so a template is never half-understood silently. Values only CloudFormation can know come
//! from [`LocalValues`]: resource ids (`--resource-id`), attributes such as a nested stack's outputs
//! (`--attribute`), parameter values (`--parameter`).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{Location, Resource, Template, TemplateError, kind_of};

/// Local stand-ins for what CloudFormation knows at deploy time.
#[derive(Debug, Clone)]
pub struct LocalValues {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
    /// Values that override the parameters' `Default`s.
    pub parameters: BTreeMap<String, String>,
    /// Physical ids of the resources that exist locally (`UserPool` -> the local pool's id).
    /// Any other resource's `Ref` is its logical id.
    pub resource_ids: BTreeMap<String, String>,
    /// `Fn::GetAtt` values the template cannot give, by `LogicalId.Attribute` (a nested stack's
    /// `Outputs.X`, say).
    pub attributes: BTreeMap<String, String>,
    /// Values of API keys the template gives none (AWS generates them), by logical id.
    pub api_keys: BTreeMap<String, String>,
}

impl Default for LocalValues {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            stack_name: "local".into(),
            parameters: BTreeMap::new(),
            resource_ids: BTreeMap::new(),
            attributes: BTreeMap::new(),
            api_keys: BTreeMap::new(),
        }
    }
}

/// Conditions may refer to conditions; deeper than this is a cycle.
const MAX_DEPTH: usize = 32;

pub struct Resolver<'t> {
    template: &'t Template,
    values: &'t LocalValues,
}

impl<'t> Resolver<'t> {
    pub fn new(template: &'t Template, values: &'t LocalValues) -> Self {
        Self { template, values }
    }

    pub fn values(&self) -> &LocalValues {
        self.values
    }

    /// Evaluates a value to JSON. `None` is `!Ref AWS::NoValue`: the property is left out.
    pub fn eval(&self, value: &Yaml, at: &Location) -> Result<Option<Json>, TemplateError> {
        self.eval_at_depth(value, at, 0)
    }

    /// Evaluates a value that must be a string (numbers and booleans are written out, as
    /// CloudFormation does).
    pub fn eval_string(&self, value: &Yaml, at: &Location) -> Result<String, TemplateError> {
        match self.eval(value, at)? {
            Some(json) => scalar_to_string(&json).ok_or_else(|| {
                TemplateError::invalid(at, format!("expected a string, found {}", json_kind(&json)))
            }),
            None => Err(TemplateError::invalid(
                at,
                "expected a string, found AWS::NoValue",
            )),
        }
    }

    /// Evaluates a value that must be a list of strings.
    pub fn eval_string_list(
        &self,
        value: &Yaml,
        at: &Location,
    ) -> Result<Vec<String>, TemplateError> {
        match self.eval(value, at)? {
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    scalar_to_string(item).ok_or_else(|| {
                        TemplateError::invalid(
                            &at.child(i),
                            format!("expected a string, found {}", json_kind(item)),
                        )
                    })
                })
                .collect(),
            Some(other) => Err(TemplateError::invalid(
                at,
                format!("expected a list of strings, found {}", json_kind(&other)),
            )),
            None => Ok(Vec::new()),
        }
    }

    /// Evaluates a value that must be a boolean (`true`, or the strings "true"/"false").
    pub fn eval_bool(&self, value: &Yaml, at: &Location) -> Result<bool, TemplateError> {
        match self.eval(value, at)? {
            Some(Json::Bool(b)) => Ok(b),
            Some(Json::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(other) => Err(TemplateError::invalid(
                at,
                format!("expected a boolean, found {}", json_kind(&other)),
            )),
            None => Err(TemplateError::invalid(
                at,
                "expected a boolean, found AWS::NoValue",
            )),
        }
    }

    /// A value where a structure is expected (a path item, a method, a list entry): `Fn::If`
    /// picks its branch, `!Ref AWS::NoValue` is nothing; anything else is the value itself, still
    /// unevaluated inside.
    pub fn select<'v>(
        &self,
        value: &'v Yaml,
        at: &Location,
    ) -> Result<Option<&'v Yaml>, TemplateError> {
        let mut value = value;
        for _ in 0..MAX_DEPTH {
            match intrinsic(value, false) {
                Some((name, arg)) if name == "Fn::If" => {
                    let items = arg
                        .as_sequence()
                        .filter(|items| items.len() == 3)
                        .ok_or_else(|| {
                            TemplateError::invalid(at, "Fn::If takes a list of 3 arguments")
                        })?;
                    let condition = literal(&items[0]).ok_or_else(|| {
                        TemplateError::invalid(at, "Fn::If takes a condition name first")
                    })?;
                    value = if self.condition(condition, at)? {
                        &items[1]
                    } else {
                        &items[2]
                    };
                }
                Some((name, arg)) if name == "Ref" && literal(arg) == Some("AWS::NoValue") => {
                    return Ok(None);
                }
                _ => return Ok(Some(value)),
            }
        }
        Err(TemplateError::invalid(at, "Fn::If nested too deeply"))
    }

    /// The value of the named condition of the `Conditions` section.
    pub fn condition(&self, name: &str, at: &Location) -> Result<bool, TemplateError> {
        self.condition_at_depth(name, at, 0)
    }

    fn condition_at_depth(
        &self,
        name: &str,
        at: &Location,
        depth: usize,
    ) -> Result<bool, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError::invalid(
                at,
                format!("condition `{name}` refers to itself"),
            ));
        }
        let expr =
            self.template.conditions().get(name).ok_or_else(|| {
                TemplateError::invalid(at, format!("no condition named `{name}`"))
            })?;
        let cond_at = Location::new("Conditions", name);
        self.eval_condition(expr, &cond_at, depth + 1)
    }

    /// A condition expression: `Fn::Equals`/`Not`/`And`/`Or`, or a reference to a named condition.
    fn eval_condition(
        &self,
        expr: &Yaml,
        at: &Location,
        depth: usize,
    ) -> Result<bool, TemplateError> {
        if let Some((name, arg)) = intrinsic(expr, true)
            && name == "Condition"
        {
            let condition = literal(arg)
                .ok_or_else(|| TemplateError::invalid(at, "Condition takes a condition name"))?;
            return self.condition_at_depth(condition, at, depth + 1);
        }
        match self.eval_at_depth(expr, at, depth)? {
            Some(Json::Bool(b)) => Ok(b),
            _ => Err(TemplateError::invalid(
                at,
                "expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or)",
            )),
        }
    }

    fn eval_at_depth(
        &self,
        value: &Yaml,
        at: &Location,
        depth: usize,
    ) -> Result<Option<Json>, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError::invalid(
                at,
                "intrinsic functions nested too deeply",
            ));
        }
        if let Some((name, arg)) = intrinsic(value, false) {
            return self.eval_intrinsic(&name, arg, &at.child(&name), depth + 1);
        }
        Ok(Some(match value {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => yaml_number(n),
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.eval_at_depth(item, &at.child(i), depth + 1)? {
                        out.push(v);
                    }
                }
                Json::Array(out)
            }
            Yaml::Mapping(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    let key = key.as_str().ok_or_else(|| {
                        TemplateError::invalid(at, "mapping keys must be strings")
                    })?;
                    if let Some(v) = self.eval_at_depth(item, &at.child(key), depth + 1)? {
                        out.insert(key.to_owned(), v);
                    }
                }
                Json::Object(out)
            }
            Yaml::Tagged(tagged) => {
                return Err(TemplateError::invalid(
                    at,
                    format!("unsupported tag {}", tagged.tag),
                ));
            }
        }))
    }

    fn eval_intrinsic(
        &self,
        name: &str,
        arg: &Yaml,
        at: &Location,
        depth: usize,
    ) -> Result<Option<Json>, TemplateError> {
        let args = |n: usize| -> Result<&Vec<Yaml>, TemplateError> {
            match arg {
                Yaml::Sequence(items) if items.len() == n => Ok(items),
                _ => Err(TemplateError::invalid(
                    at,
                    format!("{name} takes a list of {n} arguments"),
                )),
            }
        };
        let string_of = |v: &Yaml, at: &Location| -> Result<String, TemplateError> {
            match self.eval_at_depth(v, at, depth)? {
                Some(json) => scalar_to_string(&json).ok_or_else(|| {
                    TemplateError::invalid(
                        at,
                        format!("expected a string, found {}", json_kind(&json)),
                    )
                }),
                None => Err(TemplateError::invalid(
                    at,
                    "expected a string, found AWS::NoValue",
                )),
            }
        };
        match name {
            "Ref" => {
                let target = literal(arg).ok_or_else(|| {
                    TemplateError::invalid(at, format!("Ref takes a name, found {}", kind_of(arg)))
                })?;
                self.reference(target, at)
            }
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Yaml::String(s) => (s.as_str(), None),
                    Yaml::Sequence(items) if items.len() == 2 => {
                        let text = literal(&items[0]).ok_or_else(|| {
                            TemplateError::invalid(at, "Fn::Sub takes a string first")
                        })?;
                        let vars = items[1].as_mapping().ok_or_else(|| {
                            TemplateError::invalid(
                                at,
                                "Fn::Sub takes a mapping of variables second",
                            )
                        })?;
                        (text, Some(vars))
                    }
                    _ => {
                        return Err(TemplateError::invalid(
                            at,
                            "Fn::Sub takes a string or [string, variables]",
                        ));
                    }
                };
                self.substitute(text, vars, at, depth)
                    .map(|s| Some(Json::String(s)))
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    Yaml::String(s) => s
                        .split_once('.')
                        .map(|(r, a)| (r.to_owned(), a.to_owned()))
                        .ok_or_else(|| {
                            TemplateError::invalid(at, "Fn::GetAtt takes `Resource.Attribute`")
                        })?,
                    // The resource's name is written out; the attribute's may be a `Ref`.
                    Yaml::Sequence(items) if items.len() == 2 => (
                        literal(&items[0])
                            .ok_or_else(|| {
                                TemplateError::invalid(
                                    at,
                                    "Fn::GetAtt takes a resource's logical id first",
                                )
                            })?
                            .to_owned(),
                        string_of(&items[1], at)?,
                    ),
                    _ => {
                        return Err(TemplateError::invalid(
                            at,
                            "Fn::GetAtt takes `Resource.Attribute`",
                        ));
                    }
                };
                self.attribute(&resource, &attribute, at)
                    .map(|s| Some(Json::String(s)))
            }
            "Fn::If" => {
                let items = args(3)?;
                let condition = literal(&items[0]).ok_or_else(|| {
                    TemplateError::invalid(at, "Fn::If takes a condition name first")
                })?;
                let branch = if self.condition_at_depth(condition, at, depth)? {
                    &items[1]
                } else {
                    &items[2]
                };
                self.eval_at_depth(branch, at, depth)
            }
            "Fn::Equals" => {
                let items = args(2)?;
                let left = self.eval_at_depth(&items[0], at, depth)?;
                let right = self.eval_at_depth(&items[1], at, depth)?;
                let text = |v: &Option<Json>| v.as_ref().and_then(scalar_to_string);
                Ok(Some(Json::Bool(match (text(&left), text(&right)) {
                    (Some(l), Some(r)) => l == r,
                    _ => left == right,
                })))
            }
            "Fn::Not" => {
                let items = args(1)?;
                Ok(Some(Json::Bool(
                    !self.eval_condition(&items[0], at, depth)?,
                )))
            }
            "Fn::And" | "Fn::Or" => {
                let items = arg
                    .as_sequence()
                    .filter(|items| (2..=10).contains(&items.len()))
                    .ok_or_else(|| {
                        TemplateError::invalid(
                            at,
                            format!("{name} takes a list of 2 to 10 conditions"),
                        )
                    })?;
                let mut results = Vec::with_capacity(items.len());
                for item in items {
                    results.push(self.eval_condition(item, at, depth)?);
                }
                Ok(Some(Json::Bool(if name == "Fn::And" {
                    results.iter().all(|b| *b)
                } else {
                    results.iter().any(|b| *b)
                })))
            }
            "Fn::Join" => {
                let items = args(2)?;
                let delimiter = literal(&items[0]).ok_or_else(|| {
                    TemplateError::invalid(at, "Fn::Join takes a delimiter string first")
                })?;
                let parts = match self.eval_at_depth(&items[1], at, depth)? {
                    Some(Json::Array(parts)) => parts,
                    _ => return Err(TemplateError::invalid(at, "Fn::Join takes a list second")),
                };
                let parts = parts
                    .iter()
                    .map(|p| {
                        scalar_to_string(p).ok_or_else(|| {
                            TemplateError::invalid(at, "Fn::Join can only join strings")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Json::String(parts.join(delimiter))))
            }
            "Fn::Select" => {
                let items = args(2)?;
                let index: usize = string_of(&items[0], at)?
                    .parse()
                    .map_err(|_| TemplateError::invalid(at, "Fn::Select takes an index first"))?;
                match self.eval_at_depth(&items[1], at, depth)? {
                    Some(Json::Array(list)) => {
                        list.into_iter().nth(index).map(Some).ok_or_else(|| {
                            TemplateError::invalid(
                                at,
                                format!("Fn::Select index {index} is out of range"),
                            )
                        })
                    }
                    _ => Err(TemplateError::invalid(at, "Fn::Select takes a list second")),
                }
            }
            "Fn::Split" => {
                let items = args(2)?;
                let delimiter = literal(&items[0])
                    .filter(|d| !d.is_empty())
                    .ok_or_else(|| {
                        TemplateError::invalid(at, "Fn::Split takes a delimiter string first")
                    })?;
                let text = string_of(&items[1], at)?;
                Ok(Some(Json::Array(
                    text.split(delimiter)
                        .map(|s| Json::String(s.to_owned()))
                        .collect(),
                )))
            }
            other => Err(TemplateError::invalid(
                at,
                format!("the intrinsic function {other} is not supported by the local API"),
            )),
        }
    }

    fn reference(&self, target: &str, at: &Location) -> Result<Option<Json>, TemplateError> {
        let v = self.values;
        let pseudo = match target {
            "AWS::Region" => Some(Json::String(v.region.clone())),
            "AWS::AccountId" => Some(Json::String(v.account_id.clone())),
            "AWS::StackName" => Some(Json::String(v.stack_name.clone())),
            "AWS::StackId" => Some(Json::String(format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/local",
                v.region, v.account_id, v.stack_name
            ))),
            "AWS::Partition" => Some(Json::String("aws".into())),
            "AWS::URLSuffix" => Some(Json::String("amazonaws.com".into())),
            "AWS::NotificationARNs" => Some(Json::Array(Vec::new())),
            "AWS::NoValue" => return Ok(None),
            _ => None,
        };
        if let Some(value) = pseudo {
            return Ok(Some(value));
        }
        if let Some(param) = self.template.parameters().get(target) {
            return self.parameter(target, param, at).map(Some);
        }
        if let Some(id) = v.resource_ids.get(target) {
            return Ok(Some(Json::String(id.clone())));
        }
        if let Some(resource) = self.template.resource(target) {
            return Ok(Some(Json::String(self.physical_id(resource, at)?)));
        }
        if let Some(id) = self.sam_generated(target, at)? {
            return Ok(Some(Json::String(id)));
        }
        Err(TemplateError::invalid(
            at,
            format!("Ref to unknown name `{target}`"),
        ))
    }

    /// A `Ref` to a resource the SAM transform creates, which the template does not list: the
    /// implicit APIs and the shared usage plan (their logical ids), an API's `<Api>.Stage` and
    /// `<Api><StageName>Stage` (the stage's name), its `<Api>ApiKey` / `<Api>UsagePlan` /
    /// `<Api>UsagePlanKey` (their logical ids).
    fn sam_generated(&self, target: &str, at: &Location) -> Result<Option<String>, TemplateError> {
        const SHARED: [&str; 5] = [
            "ServerlessRestApi",
            "ServerlessHttpApi",
            "ServerlessApiKey",
            "ServerlessUsagePlan",
            "ServerlessUsagePlanKey",
        ];
        if SHARED.contains(&target) {
            return Ok(Some(target.to_owned()));
        }
        if let Some(api) = target.strip_suffix(".Stage") {
            return self.sam_stage(api, at);
        }
        let apis = self
            .template
            .resources()
            .filter(|r| r.kind == "AWS::Serverless::Api")
            .map(|r| r.logical_id)
            .chain(["ServerlessRestApi"]);
        for api in apis {
            let Some(rest) = target.strip_prefix(api) else {
                continue;
            };
            if matches!(rest, "ApiKey" | "UsagePlan" | "UsagePlanKey") {
                return Ok(Some(target.to_owned()));
            }
            if let Some(stage) = self.sam_stage(api, at)?
                && stage.chars().all(|c| c.is_ascii_alphanumeric())
                && rest == format!("{stage}Stage")
            {
                return Ok(Some(stage));
            }
        }
        Ok(None)
    }

    /// The stage SAM deploys API `api` to: `StageName` (the resource's, else `Globals`'), `Prod`
    /// for the implicit REST API, `$default` for an HTTP API without one.
    fn sam_stage(&self, api: &str, at: &Location) -> Result<Option<String>, TemplateError> {
        if api == "ServerlessRestApi" && self.template.resource(api).is_none() {
            return Ok(Some("Prod".into()));
        }
        let Some(resource) = self.template.resource(api) else {
            return Ok(None);
        };
        let section = match resource.kind {
            "AWS::Serverless::Api" => "Api",
            "AWS::Serverless::HttpApi" => "HttpApi",
            _ => return Ok(None),
        };
        let declared = resource.property("StageName").or_else(|| {
            self.template
                .globals()
                .get(section)
                .and_then(|g| g.get("StageName"))
        });
        match declared {
            Some(value) => self.eval_string(value, at).map(Some),
            None if section == "HttpApi" => Ok(Some("$default".into())),
            None => Ok(None),
        }
    }

    fn parameter(
        &self,
        name: &str,
        declaration: &Yaml,
        at: &Location,
    ) -> Result<Json, TemplateError> {
        let declared_at = Location::new("Parameters", name);
        let kind = declaration
            .get("Type")
            .and_then(Yaml::as_str)
            .unwrap_or("String");
        let raw = match self.values.parameters.get(name) {
            Some(value) => value.clone(),
            // The Default of an SSM-typed parameter is the SSM parameter's name, not its value.
            None if kind.starts_with("AWS::SSM::Parameter::Value<") => {
                return Err(TemplateError::invalid(
                    at,
                    format!(
                        "parameter `{name}` is read from SSM Parameter Store ({kind}); give its value with --parameter {name}=VALUE"
                    ),
                ));
            }
            None => match declaration.get("Default") {
                Some(default) => scalar_to_string(&yaml_scalar(default, &declared_at)?)
                    .ok_or_else(|| {
                        TemplateError::invalid(&declared_at.child("Default"), "expected a scalar")
                    })?,
                None => {
                    return Err(TemplateError::invalid(
                        at,
                        format!(
                            "parameter `{name}` has no Default; give a value with --parameter {name}=VALUE"
                        ),
                    ));
                }
            },
        };
        if let Some(allowed) = declaration.get("AllowedValues").and_then(Yaml::as_sequence) {
            let allowed: Vec<String> = allowed
                .iter()
                .filter_map(|a| {
                    yaml_scalar(a, &declared_at)
                        .ok()
                        .as_ref()
                        .and_then(scalar_to_string)
                })
                .collect();
            if !allowed.contains(&raw) {
                return Err(TemplateError::invalid(
                    &declared_at,
                    format!("value `{raw}` is not one of the AllowedValues {allowed:?}"),
                ));
            }
        }
        let kind = kind
            .strip_prefix("AWS::SSM::Parameter::Value<")
            .and_then(|k| k.strip_suffix('>'))
            .unwrap_or(kind);
        Ok(
            if kind == "CommaDelimitedList" || kind.starts_with("List<") {
                Json::Array(
                    raw.split(',')
                        .map(|s| Json::String(s.trim().to_owned()))
                        .collect(),
                )
            } else if kind == "Number" {
                serde_json::from_str::<serde_json::Number>(&raw)
                    .map(Json::Number)
                    .map_err(|_| {
                        TemplateError::invalid(&declared_at, format!("`{raw}` is not a number"))
                    })?
            } else {
                Json::String(raw)
            },
        )
    }

    /// The id a resource without a `--resource-id` has locally: a function's `FunctionName` (its
    /// name at the invoke endpoint), a stage's `StageName`, else the logical id.
    fn physical_id(&self, resource: Resource<'_>, at: &Location) -> Result<String, TemplateError> {
        let named = match resource.kind {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => Some("FunctionName"),
            "AWS::ApiGateway::Stage" | "AWS::ApiGatewayV2::Stage" => Some("StageName"),
            _ => None,
        };
        match named.and_then(|name| resource.property(name)) {
            Some(value) => self.eval_string(value, at),
            None => Ok(resource.logical_id.to_owned()),
        }
    }

    /// `Fn::GetAtt` for the attributes the local stack can know.
    fn attribute(
        &self,
        resource: &str,
        attribute: &str,
        at: &Location,
    ) -> Result<String, TemplateError> {
        if let Some(value) = self
            .values
            .attributes
            .get(&format!("{resource}.{attribute}"))
        {
            return Ok(value.clone());
        }
        let kind = self
            .template
            .resource(resource)
            .map(|r| r.kind)
            .ok_or_else(|| {
                TemplateError::invalid(at, format!("Fn::GetAtt of unknown resource `{resource}`"))
            })?;
        let id = || -> Result<String, TemplateError> {
            match self.reference(resource, at)? {
                Some(Json::String(id)) => Ok(id),
                _ => Err(TemplateError::invalid(
                    at,
                    format!("resource `{resource}` has no local id"),
                )),
            }
        };
        let v = self.values;
        match (kind, attribute) {
            ("AWS::Cognito::UserPool", "UserPoolId")
            | ("AWS::Cognito::UserPoolClient", "ClientId") => id(),
            ("AWS::Cognito::UserPool", "ProviderName") => {
                Ok(format!("cognito-idp.{}.amazonaws.com/{}", v.region, id()?))
            }
            ("AWS::Cognito::UserPool", "ProviderURL") => Ok(format!(
                "https://cognito-idp.{}.amazonaws.com/{}",
                v.region,
                id()?
            )),
            ("AWS::Cognito::UserPool", "Arn") => Ok(format!(
                "arn:aws:cognito-idp:{}:{}:userpool/{}",
                v.region,
                v.account_id,
                id()?
            )),
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => Ok(format!(
                "arn:aws:lambda:{}:{}:function:{}",
                v.region,
                v.account_id,
                id()?
            )),
            // API Gateway ids are opaque; locally the API's id stands for its root resource.
            ("AWS::ApiGateway::RestApi", "RootResourceId") => Ok(format!("{}-root", id()?)),
            ("AWS::ApiGateway::RestApi" | "AWS::ApiGatewayV2::Api", "ApiId" | "RestApiId") => id(),
            _ => Err(TemplateError::invalid(
                at,
                format!(
                    "Fn::GetAtt {resource}.{attribute} ({kind}) cannot be evaluated locally; give its value with --attribute {resource}.{attribute}=VALUE"
                ),
            )),
        }
    }

    /// `Fn::Sub`: `${Name}` is a variable, a parameter, a pseudo parameter or a resource's id;
    /// `${Resource.Attribute}` is `Fn::GetAtt`; `${!Text}` is the literal `${Text}`.
    fn substitute(
        &self,
        text: &str,
        vars: Option<&Mapping>,
        at: &Location,
        depth: usize,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::invalid(at, "Fn::Sub has an unclosed `${`"))?;
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = vars.and_then(|v| v.get(name)) {
                let value = self.eval_at_depth(value, at, depth)?;
                out.push_str(&value.as_ref().and_then(scalar_to_string).ok_or_else(|| {
                    TemplateError::invalid(at, format!("Fn::Sub variable `{name}` is not a string"))
                })?);
            } else if let Some((resource, attribute)) = name.split_once('.')
                && !name.starts_with("AWS::")
            {
                out.push_str(&self.attribute(resource, attribute, at)?);
            } else {
                let value = self.reference(name, at)?;
                out.push_str(&value.as_ref().and_then(scalar_to_string).ok_or_else(|| {
                    TemplateError::invalid(at, format!("Fn::Sub `${{{name}}}` is not a string"))
                })?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The intrinsic function a value is, in either form: `!Sub x` or `{"Fn::Sub": x}`. The long form
/// of `Condition` is only one inside a condition: elsewhere `Condition` is an ordinary key (IAM).
fn intrinsic(value: &Yaml, in_condition: bool) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let short = tag.trim_start_matches('!');
            let name = match short {
                "Ref" | "Condition" => short.to_owned(),
                _ => format!("Fn::{short}"),
            };
            Some((name, &tagged.value))
        }
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            let is_intrinsic =
                key == "Ref" || key.starts_with("Fn::") || (in_condition && key == "Condition");
            is_intrinsic.then(|| (key.to_owned(), arg))
        }
        _ => None,
    }
}

/// Whether a value is a call of an intrinsic function rather than a literal mapping: what tells a
/// property given as a whole by `!Ref` from one written out as an object.
pub(crate) fn is_function(value: &Yaml) -> bool {
    intrinsic(value, false).is_some()
}

/// A string written as such. Not `Yaml::as_str`: it reads through tags, so `!Ref Name` would
/// pass as the string "Name" where CloudFormation takes no function (a `Ref`'s name, a
/// condition's name, `Fn::Sub`'s text, `Fn::Join`'s and `Fn::Split`'s delimiters,
/// `Fn::GetAtt`'s resource name).
fn literal(value: &Yaml) -> Option<&str> {
    match value {
        Yaml::String(s) => Some(s),
        _ => None,
    }
}

fn yaml_number(n: &serde_yaml_ng::Number) -> Json {
    if let Some(i) = n.as_i64() {
        Json::from(i)
    } else if let Some(u) = n.as_u64() {
        Json::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number)
    }
}

fn yaml_scalar(value: &Yaml, at: &Location) -> Result<Json, TemplateError> {
    match value {
        Yaml::Bool(b) => Ok(Json::Bool(*b)),
        Yaml::Number(n) => Ok(yaml_number(n)),
        Yaml::String(s) => Ok(Json::String(s.clone())),
        other => Err(TemplateError::invalid(
            at,
            format!("expected a scalar, found {}", kind_of(other)),
        )),
    }
}

pub(crate) fn scalar_to_string(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}
