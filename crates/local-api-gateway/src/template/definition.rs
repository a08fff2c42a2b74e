//! An API as OpenAPI describes it, whoever wrote it: an inline body or a file ([`super::openapi`]),
//! SAM's events and `Auth` applied to it as the SAM translator applies them ([`super::sam`]), or
//! raw `AWS::ApiGateway*` resources ([`super::raw`]). Each reader fills a [`Definition`];
//! [`Definition::into_api`] turns it into the model the request path sees, the same way for all
//! three, so `security` means one thing wherever it was written.

use std::collections::BTreeMap;

use super::{Location, TemplateError};
use crate::model::{
    Api, ApiKeySource, ApiKeys, ApiKind, AuthorizerConfig, CorsConfig, GatewayResponse,
    Integration, Route, RouteAuth, Stage,
};

#[derive(Debug, Clone)]
pub(super) struct Definition {
    pub kind: ApiKind,
    pub operations: Vec<Operation>,
    /// `securitySchemes` / `securityDefinitions` by name.
    pub schemes: BTreeMap<String, Scheme>,
    /// The body's root-level `security`: what operations without their own get.
    pub root_security: Option<Vec<Requirement>>,
    /// HTTP APIs: `x-amazon-apigateway-cors` (or `CorsConfiguration`).
    pub cors: Option<CorsConfig>,
    /// REST APIs: `x-amazon-apigateway-gateway-responses` (or `GatewayResponses`).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// REST APIs: `x-amazon-apigateway-binary-media-types` (or `BinaryMediaTypes`).
    pub binary_media_types: Vec<String>,
    /// REST APIs: `x-amazon-apigateway-api-key-source` (or `ApiKeySourceType`).
    pub api_key_source: ApiKeySource,
}

/// One method of one path.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// Upper-case, or `ANY` (`x-amazon-apigateway-any-method`).
    pub method: String,
    /// `/items/{id}`, or `$default` (an HTTP API's catch-all route).
    pub path: String,
    /// `None`: the method has no `x-amazon-apigateway-integration` (API Gateway would not deploy
    /// it, and SAM adds no authorizer to it).
    pub integration: Option<Integration>,
    /// `None`: no `security` of its own.
    pub security: Option<Vec<Requirement>>,
    /// Where the operation was written, for errors.
    pub at: Location,
}

/// One entry of a `security` list: `{Name: [scopes]}`. API Gateway reads the entries of one list
/// together (an authorizer *and* `api_key`), not as OpenAPI's alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Requirement {
    pub name: String,
    pub scopes: Vec<String>,
}

impl Requirement {
    pub fn new(name: impl Into<String>, scopes: Vec<String>) -> Self {
        Self {
            name: name.into(),
            scopes,
        }
    }
}

/// What a security scheme stands for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scheme {
    Authorizer(AuthorizerConfig),
    /// `x-amazon-apigateway-authtype: awsSigv4`: IAM authorization.
    Iam,
    /// `{type: apiKey, name: x-api-key, in: header}` (REST APIs): the method requires an API key.
    ApiKey,
    /// A scheme the local API cannot enforce, why, and where it was declared: an error where a
    /// route requires it.
    Unsupported {
        why: String,
        at: Location,
    },
}

/// The name SAM leaves in `security` for "no authorizer".
pub(super) const NONE: &str = "NONE";
/// The name SAM gives IAM authorization (`AWS_IAM`), and the raw reader too.
pub(super) const IAM: &str = "AWS_IAM";
/// The name SAM gives the API key requirement (`api_key`), and the raw reader too.
pub(super) const API_KEY: &str = "api_key";

impl Definition {
    pub fn new(kind: ApiKind) -> Self {
        Self {
            kind,
            operations: Vec::new(),
            schemes: BTreeMap::new(),
            root_security: None,
            cors: None,
            gateway_responses: BTreeMap::new(),
            binary_media_types: Vec::new(),
            api_key_source: ApiKeySource::default(),
        }
    }

    pub fn operation(&self, path: &str, method: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.path == path && op.method == method)
    }

    pub fn operation_mut(&mut self, path: &str, method: &str) -> Option<&mut Operation> {
        self.operations
            .iter_mut()
            .find(|op| op.path == path && op.method == method)
    }

    /// The API the request path serves. `warnings` gets what is left out.
    pub fn into_api(
        self,
        id: &str,
        stages: Vec<Stage>,
        warnings: &mut Vec<String>,
    ) -> Result<Api, TemplateError> {
        let mut routes: Vec<Route> = Vec::new();
        let mut authorizers = BTreeMap::new();
        for op in &self.operations {
            let Some(integration) = op.integration.clone() else {
                warnings.push(format!(
                    "{}: {} {} has no integration; it is not served",
                    op.at, op.method, op.path
                ));
                continue;
            };
            let security = op.security.as_ref().or(self.root_security.as_ref());
            let (auth, api_key_required) =
                self.route_auth(security.map(Vec::as_slice).unwrap_or_default(), &op.at)?;
            if let RouteAuth::Authorizer { name, .. } = &auth
                && let Some(Scheme::Authorizer(config)) = self.schemes.get(name)
            {
                authorizers.insert(name.clone(), config.clone());
            }
            if routes
                .iter()
                .any(|r| r.method == op.method && r.path == op.path)
            {
                return Err(TemplateError::invalid(
                    &op.at,
                    format!("{} {} is defined twice", op.method, op.path),
                ));
            }
            routes.push(Route {
                method: op.method.clone(),
                path: op.path.clone(),
                integration,
                auth,
                api_key_required,
            });
        }
        Ok(Api {
            id: id.to_owned(),
            kind: self.kind,
            stages,
            routes,
            authorizers,
            cors: self.cors,
            gateway_responses: self.gateway_responses,
            binary_media_types: self.binary_media_types,
            api_keys: ApiKeys {
                source: self.api_key_source,
                // The keys are the template's, across APIs: `super::api_keys` adds them.
                keys: Vec::new(),
            },
        })
    }

    /// What an operation's `security` requires: at most one authorizer, and whether an API
    /// key; `NONE` is nothing.
    fn route_auth(
        &self,
        security: &[Requirement],
        at: &Location,
    ) -> Result<(RouteAuth, bool), TemplateError> {
        let mut auth = RouteAuth::None;
        let mut api_key = false;
        let mut first = None;
        for requirement in security {
            if requirement.name == NONE {
                continue;
            }
            match self.schemes.get(&requirement.name) {
                None => {
                    return Err(TemplateError::invalid(
                        &at.child("security"),
                        format!("no security scheme named `{}`", requirement.name),
                    ));
                }
                Some(Scheme::Unsupported { why, at: declared }) => {
                    return Err(TemplateError::invalid(
                        declared,
                        format!("{why} (`{}` protects {at})", requirement.name),
                    ));
                }
                Some(Scheme::ApiKey) => api_key = true,
                Some(scheme @ (Scheme::Authorizer(_) | Scheme::Iam)) => {
                    if auth != RouteAuth::None {
                        return Err(TemplateError::invalid(
                            &at.child("security"),
                            format!(
                                "two authorizers (`{}`, `{}`); API Gateway takes one per method",
                                first.unwrap_or_default(),
                                requirement.name
                            ),
                        ));
                    }
                    first = Some(requirement.name.as_str());
                    auth = match scheme {
                        Scheme::Iam => RouteAuth::Iam,
                        _ => RouteAuth::Authorizer {
                            name: requirement.name.clone(),
                            scopes: requirement.scopes.clone(),
                        },
                    };
                }
            }
        }
        Ok((auth, api_key))
    }
}
