//! Reads a SAM template into the model the local gateway serves ([`crate::model`]): every API of
//! the template, from each of the three places a template can declare one, and the functions'
//! timeouts and environment, and the Cognito resources' properties. Nothing about routes or auth
//! lives anywhere else.
//!
//! - [`sam`]: `AWS::Serverless::Api` / `HttpApi` and SAM's implicit APIs, with `Globals`
//!   ([`globals`]), built from the functions' events the way the SAM translator builds them;
//! - [`openapi`]: an OpenAPI or Swagger body (`DefinitionBody`, `DefinitionUri`, `Body`, an
//!   `AWS::Include`);
//! - [`raw`]: `AWS::ApiGateway::*` and `AWS::ApiGatewayV2::*` resources.
//!
//! All three fill a [`definition::Definition`], which becomes the model the same way. A template
//! the local API cannot serve faithfully is an error naming the resource and property, never a
//! silently unprotected route; what it serves differently (an integration that cannot run on a
//! laptop) is a warning.
//!
//! CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`, ...) survive YAML parsing
//! as tagged values and are evaluated where they are read, against local values: parameter
//! defaults (or overrides), pseudo parameters, and the ids of the resources created locally.

mod api_keys;
mod cognito;
mod definition;
mod functions;
mod globals;
mod intrinsics;
mod lambda_authorizers;
mod openapi;
mod raw;
mod sam;

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

use serde_yaml_ng::{Mapping, Value as Yaml};

pub use cognito::{create_input, seed as cognito_seed};
pub use intrinsics::{LocalValues, Resolver};

use crate::model::Api;
use functions::Functions;

/// Where in the template something is: the resource's logical id (or a top-level section) and the
/// property path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub resource: String,
    pub property: String,
}

impl Location {
    pub fn new(resource: impl Into<String>, property: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            property: property.into(),
        }
    }

    /// The location of a property below this one.
    pub fn child(&self, key: impl fmt::Display) -> Self {
        let property = if self.property.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.property)
        };
        Self::new(self.resource.clone(), property)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.property.is_empty() {
            write!(f, "`{}`", self.resource)
        } else {
            write!(f, "`{}` property `{}`", self.resource, self.property)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

impl TemplateError {
    pub fn invalid(at: &Location, message: impl Into<String>) -> Self {
        Self::Invalid {
            at: at.clone(),
            message: message.into(),
        }
    }
}

/// A parsed template. Only the sections the local API reads are kept.
#[derive(Debug, Clone)]
pub struct Template {
    /// The folder the template is in: local files it names (`DefinitionUri`, `AWS::Include`)
    /// are relative to it.
    dir: PathBuf,
    globals: Mapping,
    parameters: Mapping,
    conditions: Mapping,
    resources: Mapping,
}

/// One resource of the template.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub logical_id: &'a str,
    pub kind: &'a str,
    pub body: &'a Mapping,
}

impl<'a> Resource<'a> {
    pub fn location(&self) -> Location {
        Location::new(self.logical_id, "")
    }

    /// A property under `Properties`, or `None` when absent.
    pub fn property(&self, name: &str) -> Option<&'a Yaml> {
        self.body.get("Properties").and_then(|p| p.get(name))
    }

    pub fn property_location(&self, name: &str) -> Location {
        Location::new(self.logical_id, name)
    }
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let dir = path.parent().unwrap_or(Path::new("")).to_owned();
        Self::parse_in(&text, &dir)
    }

    /// A template whose local files are relative to the working directory.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Self::parse_in(text, Path::new(""))
    }

    /// A template whose local files are relative to `dir`.
    pub fn parse_in(text: &str, dir: &Path) -> Result<Self, TemplateError> {
        let root: Yaml = serde_yaml_ng::from_str(text)?;
        let Yaml::Mapping(mut root) = root else {
            return Err(TemplateError::invalid(
                &Location::new("template", ""),
                "the template must be a mapping with a `Resources` section",
            ));
        };
        let mut section = |name: &str| -> Result<Mapping, TemplateError> {
            match root.remove(name) {
                None | Some(Yaml::Null) => Ok(Mapping::new()),
                Some(Yaml::Mapping(m)) => Ok(m),
                Some(_) => Err(TemplateError::invalid(
                    &Location::new(name, ""),
                    "expected a mapping",
                )),
            }
        };
        let template = Self {
            dir: dir.to_owned(),
            globals: section("Globals")?,
            parameters: section("Parameters")?,
            conditions: section("Conditions")?,
            resources: section("Resources")?,
        };
        if template.resources.is_empty() {
            return Err(TemplateError::invalid(
                &Location::new("Resources", ""),
                "the template has no resources",
            ));
        }
        for (id, body) in &template.resources {
            let id = id.as_str().unwrap_or("?");
            let at = Location::new(id, "");
            let Yaml::Mapping(body) = body else {
                return Err(TemplateError::invalid(&at, "a resource must be a mapping"));
            };
            if !matches!(body.get("Type"), Some(Yaml::String(_))) {
                return Err(TemplateError::invalid(
                    &at.child("Type"),
                    "missing or not a string",
                ));
            }
        }
        Ok(template)
    }

    /// Every resource, in template order.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.resources.iter().filter_map(|(id, body)| {
            let logical_id = id.as_str()?;
            let body = body.as_mapping()?;
            let kind = body.get("Type")?.as_str()?;
            Some(Resource {
                logical_id,
                kind,
                body,
            })
        })
    }

    pub fn resource(&self, logical_id: &str) -> Option<Resource<'_>> {
        self.resources().find(|r| r.logical_id == logical_id)
    }

    pub(crate) fn globals(&self) -> &Mapping {
        &self.globals
    }

    pub(crate) fn parameters(&self) -> &Mapping {
        &self.parameters
    }

    pub(crate) fn conditions(&self) -> &Mapping {
        &self.conditions
    }
}

/// What a template serves: its APIs, and what the local API serves differently from AWS.
#[derive(Debug, Clone)]
pub struct Reading {
    pub apis: Vec<Api>,
    pub warnings: Vec<String>,
}

/// Every API of the template, in a stable order: HTTP APIs before REST APIs, each by logical id.
pub fn read_apis(template: &Template, values: &LocalValues) -> Result<Reading, TemplateError> {
    globals::check(template)?;
    let resolver = Resolver::new(template, values);
    let functions = Functions::read(template, &resolver)?;
    let mut cx = Context {
        template,
        resolver,
        functions,
        warnings: Vec::new(),
        usage_plans: Vec::new(),
    };
    let mut apis = Vec::new();
    sam::read(&mut cx, &mut apis)?;
    raw::read(&mut cx, &mut apis)?;
    apis.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    api_keys::assign(&mut cx, &mut apis)?;
    for api in &apis {
        for route in &api.routes {
            if let crate::model::Integration::Unavailable(what) = &route.integration {
                cx.warnings.push(format!(
                    "`{}` {}: {what} cannot run locally; the route answers as API Gateway does when its integration fails",
                    api.id,
                    route.route_key()
                ));
            }
        }
    }
    Ok(Reading {
        apis,
        warnings: cx.warnings,
    })
}

/// The environment `cargo lambda watch` should give the functions (`Environment.Variables`,
/// with `Globals.Function`'s): NAME=value.
pub fn function_environment(
    template: &Template,
    values: &LocalValues,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let resolver = Resolver::new(template, values);
    Functions::read(template, &resolver)?.environment(&resolver)
}

/// What the readers share: the template, its values, its functions, and the warnings so far.
struct Context<'t> {
    template: &'t Template,
    resolver: Resolver<'t>,
    functions: Functions,
    warnings: Vec<String>,
    /// The usage plans SAM's APIs create (`Auth.UsagePlan`).
    usage_plans: Vec<api_keys::SamUsagePlan>,
}

impl Context<'_> {
    /// Whether a resource's `Condition`, if any, holds.
    fn holds(&self, resource: Resource<'_>) -> Result<bool, TemplateError> {
        match resource.body.get("Condition").and_then(Yaml::as_str) {
            Some(condition) => self
                .resolver
                .condition(condition, &resource.location().child("Condition")),
            None => Ok(true),
        }
    }

    /// Refuses an API that `DisableExecuteApiEndpoint` or a `PRIVATE` endpoint type keeps off a
    /// laptop. The flag is evaluated here, the types by each reader (their shapes differ): public
    /// templates pick both with parameters.
    fn refuse_unreachable(
        &self,
        disable: Option<&Yaml>,
        disable_at: &Location,
        endpoint_types: &[String],
        types_at: &Location,
    ) -> Result<(), TemplateError> {
        if let Some(disable) = disable
            && self.resolver.eval_bool(disable, disable_at)?
        {
            return Err(TemplateError::invalid(
                disable_at,
                "the API is only reachable through a custom domain, which the local API does not emulate",
            ));
        }
        if endpoint_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("PRIVATE"))
        {
            return Err(TemplateError::invalid(
                types_at,
                "a PRIVATE API is only reachable from a VPC, which the local API does not emulate",
            ));
        }
        Ok(())
    }

    /// An inline body, with an `Fn::Transform: AWS::Include` of a local file replaced by the
    /// file (what `sam package` and CloudFormation do with it).
    fn inline_body(&self, body: &Yaml, at: &Location) -> Result<(Yaml, Location), TemplateError> {
        let include = match body {
            // CloudFormation's documentation shows `Fn::Transform` alone; what it does with keys
            // beside it is not written anywhere, so that is refused rather than guessed.
            Yaml::Mapping(map) if map.len() > 1 && map.contains_key("Fn::Transform") => {
                return Err(TemplateError::invalid(
                    &at.child("Fn::Transform"),
                    "an include must be the body's only key",
                ));
            }
            Yaml::Mapping(map) => map.get("Fn::Transform"),
            Yaml::Tagged(tagged) if tagged.tag == "Transform" => Some(&tagged.value),
            _ => None,
        };
        let Some(include) = include else {
            return Ok((body.clone(), at.clone()));
        };
        let at = at.child("Fn::Transform");
        if include.get("Name").and_then(Yaml::as_str) != Some("AWS::Include") {
            return Err(TemplateError::invalid(
                &at,
                "only the AWS::Include transform is supported in a definition",
            ));
        }
        let location_at = at.child("Parameters.Location");
        let location = include
            .get("Parameters")
            .and_then(|p| p.get("Location"))
            .ok_or_else(|| TemplateError::invalid(&location_at, "missing"))?;
        let location = self.resolver.eval_string(location, &location_at)?;
        self.load_file(&location, &location_at)
    }

    /// `DefinitionUri` / `BodyS3Location`: a local file (what `sam build` and `sam package`
    /// take); an S3 location cannot be read here.
    fn body_file(&self, uri: &Yaml, at: &Location) -> Result<(Yaml, Location), TemplateError> {
        match uri {
            Yaml::String(path) => self.load_file(path, at),
            _ => Err(TemplateError::invalid(
                at,
                "an S3 location cannot be read locally; point it at a local file",
            )),
        }
    }

    /// A mapping of names to strings (stage variables, response parameters).
    fn string_map(
        &self,
        value: &Yaml,
        at: &Location,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let map = self
            .resolver
            .select(value, at)?
            .and_then(Yaml::as_mapping)
            .ok_or_else(|| TemplateError::invalid(at, "expected a mapping"))?;
        let mut found = BTreeMap::new();
        for (name, value) in map {
            let name = name
                .as_str()
                .ok_or_else(|| TemplateError::invalid(at, "names must be strings"))?;
            found.insert(
                name.to_owned(),
                self.resolver.eval_string(value, &at.child(name))?,
            );
        }
        Ok(found)
    }

    fn load_file(&self, location: &str, at: &Location) -> Result<(Yaml, Location), TemplateError> {
        if location.starts_with("s3://") || location.starts_with("https://") {
            return Err(TemplateError::invalid(
                at,
                format!("`{location}` cannot be read locally; point it at a local file"),
            ));
        }
        let path = self.template.dir.join(location);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            TemplateError::invalid(at, format!("cannot read {}: {e}", path.display()))
        })?;
        let body = serde_yaml_ng::from_str(&text).map_err(|e| {
            TemplateError::invalid(at, format!("{} is not YAML or JSON: {e}", path.display()))
        })?;
        Ok((body, Location::new(location, "")))
    }
}

/// `{Ref: logical_id}`, for asking the resolver what a resource's `Ref` is locally.
fn ref_to(logical_id: &str) -> Yaml {
    let mut map = Mapping::new();
    map.insert(Yaml::from("Ref"), Yaml::from(logical_id));
    Yaml::Mapping(map)
}

/// `{Fn::GetAtt: [logical_id, attribute]}`.
fn get_att(logical_id: &str, attribute: &str) -> Yaml {
    let mut map = Mapping::new();
    map.insert(
        Yaml::from("Fn::GetAtt"),
        Yaml::Sequence(vec![Yaml::from(logical_id), Yaml::from(attribute)]),
    );
    Yaml::Mapping(map)
}

/// A short description of a YAML value's kind, for error messages.
pub(crate) fn kind_of(value: &Yaml) -> &'static str {
    match value {
        Yaml::Null => "null",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a mapping",
        Yaml::Tagged(_) => "a tagged value",
    }
}
