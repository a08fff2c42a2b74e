//! Reads what the local gateway needs from a SAM template: each API's routes, authorizers and
//! CORS (HTTP API and REST API), the functions' timeouts and environment, and the Cognito
//! resources' properties. Nothing about routes or auth lives anywhere else.
//!
//! CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`, ...) survive YAML parsing
//! as tagged values and are evaluated against local values: parameter defaults (or overrides),
//! pseudo parameters, and the ids of the resources created locally.

mod cognito;
mod function;
mod http_api;
mod intrinsics;
mod rest_api;

use std::{fmt, path::Path};

use serde_yaml_ng::{Mapping, Value as Yaml};

pub use cognito::create_input;
pub use function::function_environment;
pub use intrinsics::{LocalValues, Resolver};

use crate::model::Api;

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
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
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

    /// The resource `logical_id`, which must be of type `kind`.
    pub fn resource_of_kind(
        &self,
        logical_id: &str,
        kind: &str,
    ) -> Result<Resource<'_>, TemplateError> {
        let at = Location::new(logical_id, "");
        let resource = self
            .resource(logical_id)
            .ok_or_else(|| TemplateError::invalid(&at, "no such resource in the template"))?;
        if resource.kind != kind {
            return Err(TemplateError::invalid(
                &at,
                format!(
                    "expected a resource of type {kind}, found {}",
                    resource.kind
                ),
            ));
        }
        Ok(resource)
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

/// Which kind of API to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiType {
    /// `AWS::Serverless::HttpApi`
    Http,
    /// `AWS::Serverless::Api`
    Rest,
}

impl ApiType {
    fn resource_type(self) -> &'static str {
        match self {
            Self::Http => http_api::HTTP_API,
            Self::Rest => rest_api::REST_API,
        }
    }

    fn implicit_id(self) -> &'static str {
        match self {
            Self::Http => http_api::IMPLICIT_API,
            Self::Rest => rest_api::IMPLICIT_API,
        }
    }

    fn event_type(self) -> &'static str {
        match self {
            Self::Http => "HttpApi",
            Self::Rest => "Api",
        }
    }

    fn api_id_property(self) -> &'static str {
        match self {
            Self::Http => "ApiId",
            Self::Rest => "RestApiId",
        }
    }
}

/// The API of type `kind` named `logical_id`, or else the template's only one (SAM's implicit
/// API counts when an event names no API). `None`: the template has no API of that type.
pub fn read_api(
    template: &Template,
    resolver: &Resolver<'_>,
    kind: ApiType,
    logical_id: Option<&str>,
) -> Result<Option<Api>, TemplateError> {
    let id = match logical_id {
        Some(id) => id.to_owned(),
        None => {
            let mut ids: Vec<String> = template
                .resources()
                .filter(|r| r.kind == kind.resource_type())
                .map(|r| r.logical_id.to_owned())
                .collect();
            let implicit = function::events(template, resolver, kind.event_type())?
                .iter()
                .any(|e| {
                    e.properties
                        .and_then(|p| p.get(kind.api_id_property()))
                        .is_none()
                });
            if implicit {
                ids.push(kind.implicit_id().to_owned());
            }
            match ids.as_slice() {
                [] => return Ok(None),
                [one] => one.clone(),
                _ => {
                    return Err(TemplateError::invalid(
                        &Location::new("Resources", ""),
                        format!(
                            "the template has several APIs of type {} ({}); name the one to use",
                            kind.resource_type(),
                            ids.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let api = match kind {
        ApiType::Http => http_api::read(template, resolver, &id)?,
        ApiType::Rest => rest_api::read(template, resolver, &id)?,
    };
    Ok(Some(api))
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
