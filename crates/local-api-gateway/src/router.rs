//! Picking the route for a request, with API Gateway's precedence: exact paths before path
//! parameters before greedy parameters, a method before `ANY`, `$default` last.

use std::collections::BTreeMap;

use crate::model::Route;
use crate::wire::percent_decode as decode;

/// A matched route and its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'r> {
    pub route: &'r Route,
    pub path_parameters: BTreeMap<String, String>,
}

/// The route for `method` and `path`, or `None` (404).
pub fn match_route<'r>(routes: &'r [Route], method: &str, path: &str) -> Option<Matched<'r>> {
    routes
        .iter()
        .filter(|r| r.method == "ANY" || r.method == method)
        .filter_map(|route| {
            let params = match_path(&route.path, path)?;
            Some((
                precedence(route),
                Matched {
                    route,
                    path_parameters: params,
                },
            ))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, matched)| matched)
}

/// Lower is more specific.
fn precedence(route: &Route) -> (bool, bool, usize, bool) {
    let segments: Vec<&str> = route.path.split('/').collect();
    let greedy = segments.iter().any(|s| s.ends_with("+}"));
    let params = segments.iter().filter(|s| s.starts_with('{')).count();
    (
        route.path == "$default",
        greedy,
        params,
        route.method == "ANY",
    )
}

fn match_path(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    if template == "$default" {
        return Some(params);
    }
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix("+}")) {
                    let rest: Vec<&str> = std::iter::once(g).chain(given).collect();
                    let value = rest.join("/");
                    if value.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), decode(&value));
                    return Some(params);
                }
                if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), decode(g));
                } else if w != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{FunctionTarget, Integration, LambdaIntegration, PayloadVersion, RouteAuth};

    fn route(method: &str, path: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            integration: Integration::Lambda(LambdaIntegration {
                function: FunctionTarget {
                    logical_id: "Fn".into(),
                    name: "fn".into(),
                    timeout: Duration::from_secs(3),
                },
                payload: PayloadVersion::V2,
                timeout: Duration::from_secs(30),
            }),
            auth: RouteAuth::None,
            api_key_required: false,
        }
    }

    fn key(routes: &[Route], method: &str, path: &str) -> Option<String> {
        match_route(routes, method, path).map(|m| m.route.route_key())
    }

    #[test]
    fn the_most_specific_route_wins() {
        let routes = vec![
            route("ANY", "$default"),
            route("ANY", "/{proxy+}"),
            route("GET", "/items/{id}"),
            route("GET", "/items/special"),
            route("ANY", "/items/special"),
            route("GET", "/hello"),
        ];
        assert_eq!(key(&routes, "GET", "/hello").as_deref(), Some("GET /hello"));
        assert_eq!(
            key(&routes, "GET", "/items/special").as_deref(),
            Some("GET /items/special")
        );
        assert_eq!(
            key(&routes, "POST", "/items/special").as_deref(),
            Some("ANY /items/special")
        );
        assert_eq!(
            key(&routes, "GET", "/items/42").as_deref(),
            Some("GET /items/{id}")
        );
        assert_eq!(
            key(&routes, "POST", "/items/42").as_deref(),
            Some("ANY /{proxy+}")
        );
        assert_eq!(key(&routes, "GET", "/").as_deref(), Some("$default"));
    }

    #[test]
    fn no_route_is_none() {
        let routes = vec![route("GET", "/hello")];
        assert_eq!(key(&routes, "GET", "/hello/"), None);
        assert_eq!(key(&routes, "POST", "/hello"), None);
        assert_eq!(key(&routes, "GET", "/"), None);
    }

    #[test]
    fn path_parameters_are_decoded() {
        let routes = vec![route("GET", "/users/{id}/files/{path+}")];
        let matched = match_route(&routes, "GET", "/users/a%20b/files/x/y.txt").unwrap();
        assert_eq!(matched.path_parameters["id"], "a b");
        assert_eq!(matched.path_parameters["path"], "x/y.txt");
        assert!(match_route(&routes, "GET", "/users//files/x").is_none());
    }
}
