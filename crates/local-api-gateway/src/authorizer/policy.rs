//! The IAM policy a Lambda authorizer returns, evaluated against the request's method ARN as API
//! Gateway evaluates it ("Output from an API Gateway Lambda authorizer"; "Control access to an
//! API with IAM permissions"): statements with `Effect` `Allow` or `Deny`, `Action`
//! `execute-api:Invoke` (or a wildcard of it), `Resource` ARNs with `*` (any run of characters,
//! `/` and `:` included) and `?` (one character); a matching `Deny` wins, and without a matching
//! `Allow` the request is denied.
//!
//! What a statement may hold beyond that is refused as API Gateway refuses it: a `Condition`
//! (even `null`, which typed SDK structs emit) makes the answer unusable (500).

use serde_json::Value;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// What a policy says about one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A matching `Deny`.
    ExplicitDeny,
    /// No matching `Allow`.
    ImplicitDeny,
}

impl PolicyDocument {
    /// Reads `policyDocument`; the error says what is wrong, for the log.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let document = value.as_object().ok_or("policyDocument is not an object")?;
        let statements = match document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item @ Value::Object(_)) => vec![item],
            Some(_) => return Err("policyDocument.Statement is not a list".into()),
            None => return Err("policyDocument has no Statement".into()),
        };
        let statements = statements
            .into_iter()
            .map(Statement::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    pub fn decide(&self, method_arn: &str) -> Decision {
        let matching = |allow: bool| {
            self.statements.iter().any(|s| {
                s.allow == allow
                    && s.actions.iter().any(|a| action_matches(a))
                    && s.resources.iter().any(|r| wildcard_match(r, method_arn))
            })
        };
        if matching(false) {
            Decision::ExplicitDeny
        } else if matching(true) {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

impl Statement {
    fn parse(value: &Value) -> Result<Self, String> {
        let statement = value.as_object().ok_or("a statement is not an object")?;
        for refused in ["Condition", "NotAction", "NotResource", "NotPrincipal"] {
            if statement.contains_key(refused) {
                return Err(format!("a statement has {refused}"));
            }
        }
        let allow = match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return Err("a statement's Effect is not Allow or Deny".into()),
        };
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match statement.get(key) {
                Some(Value::String(s)) => Ok(vec![s.clone()]),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| format!("a statement's {key} holds a non-string"))
                    })
                    .collect(),
                _ => Err(format!("a statement has no {key}")),
            }
        };
        Ok(Self {
            allow,
            actions: strings("Action")?,
            resources: strings("Resource")?,
        })
    }
}

/// Whether an `Action` covers `execute-api:Invoke` (action names are case-insensitive in IAM).
fn action_matches(action: &str) -> bool {
    wildcard_match(&action.to_ascii_lowercase(), "execute-api:invoke")
}

/// IAM's wildcards: `*` any run of characters (none included), `?` exactly one. Written by hand:
/// a glob crate would also give `[` and `{` meanings IAM does not have.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it has absorbed up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/pets/7";

    fn policy(statements: Value) -> PolicyDocument {
        PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": statements}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn wildcards_are_iams() {
        for (pattern, text, expected) in [
            ("arn:aws:execute-api:*:*:*", ARN, true),
            (
                "arn:aws:execute-api:us-east-1:123456789012:api/*",
                ARN,
                true,
            ),
            ("arn:aws:execute-api:*:*:*/dev/GET/pets/?", ARN, true),
            ("arn:aws:execute-api:*:*:*/dev/GET/pets/??", ARN, false),
            ("arn:aws:execute-api:*:*:*/prod/*", ARN, false),
            ("*", "", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "acb", false),
            ("a?c", "ac", false),
            ("", "", true),
            ("", "x", false),
            (
                "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/pets",
                ARN,
                false,
            ),
        ] {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn an_explicit_deny_wins_and_no_allow_is_a_deny() {
        let allow_all = json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"});
        let deny_pets = json!({"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["arn:aws:execute-api:*:*:api/dev/GET/pets/*"]});
        assert_eq!(policy(json!([allow_all])).decide(ARN), Decision::Allow);
        assert_eq!(
            policy(json!([allow_all, deny_pets])).decide(ARN),
            Decision::ExplicitDeny
        );
        assert_eq!(
            policy(json!([deny_pets])).decide(ARN),
            Decision::ExplicitDeny
        );
        assert_eq!(policy(json!([])).decide(ARN), Decision::ImplicitDeny);
        let other_action = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        assert_eq!(
            policy(json!([other_action])).decide(ARN),
            Decision::ImplicitDeny
        );
        let any_action = json!({"Effect": "Allow", "Action": "execute-api:*", "Resource": ARN});
        assert_eq!(
            policy(json!(any_action)).decide(ARN),
            Decision::Allow,
            "a single statement object"
        );
        let case = json!({"Effect": "Allow", "Action": "Execute-API:invoke", "Resource": ARN});
        assert_eq!(policy(json!([case])).decide(ARN), Decision::Allow);
    }

    #[test]
    fn what_api_gateway_cannot_read_is_refused() {
        for bad in [
            json!("not a policy"),
            json!({"Version": "2012-10-17"}),
            json!({"Statement": "x"}),
            json!({"Statement": [{"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*", "Condition": null}]}),
            json!({"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Action": "execute-api:Invoke", "Resource": "*"}]}),
        ] {
            assert!(PolicyDocument::parse(&bad).is_err(), "{bad}");
        }
    }
}
