"""make deploy-check: what CloudFormation will really deploy from template.yaml, checked offline.

For each Stage it does what `sam package` + CloudFormation's transforms do (AWS::LanguageExtensions,
then the SAM translator, in-process), writes the plain CloudFormation template under --out, compares
the wiring API Gateway and Lambda receive with expected.yaml, runs cfn-lint and checkov on the
translated templates, and finally proves the comparison can fail: it mutates the template in ways
that open or move a route and requires each mutation to be reported by name.

Run with the SAM venv's interpreter (samtranslator, samcli.yamlhelper): see `make deploy-check`.
"""

import argparse
import copy
import fnmatch
import json
import logging
import os
import re
import subprocess
import sys
import time

# The translator derives ARNs' partition from the region (boto's resolution): pin one, offline.
# The wiring is the same in every commercial region.
REGION = "us-east-1"
os.environ["AWS_DEFAULT_REGION"] = REGION

from samcli.yamlhelper import yaml_parse  # parses !Ref, !Sub, !If ... short forms
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "Feature ... not in Feature Toggle Config"

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SERVERLESS = "AWS::Serverless-2016-10-31"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class CheckError(Exception):
    """The template cannot be translated or evaluated; the message names the resource."""


# ---- conditions and Fn::If, for one Stage -------------------------------------------------------


def parameter_values(template, stage):
    values = {name: p["Default"] for name, p in template.get("Parameters", {}).items() if "Default" in p}
    values["Stage"] = stage
    return values


def evaluate_condition(expr, template, params, where):
    """Fn::Equals/Not/And/Or/Condition over parameters: all a condition here may use offline."""

    def value(x):
        if isinstance(x, dict) and set(x) == {"Ref"} and x["Ref"] in params:
            return params[x["Ref"]]
        if isinstance(x, (str, int, float, bool)):
            return x
        raise CheckError(f"{where}: cannot evaluate {show(x)} offline")

    if isinstance(expr, dict) and len(expr) == 1:
        ((fn, args),) = expr.items()
        if fn == "Condition":
            return evaluate_condition(template["Conditions"][args], template, params, where)
        if fn == "Fn::Equals":
            return value(args[0]) == value(args[1])
        if fn == "Fn::Not":
            return not evaluate_condition(args[0], template, params, where)
        if fn in ("Fn::And", "Fn::Or"):
            results = [evaluate_condition(a, template, params, where) for a in args]
            return all(results) if fn == "Fn::And" else any(results)
    raise CheckError(f"{where}: cannot evaluate condition {show(expr)} offline")


def choose_if(fn_if, template, params, where):
    name, when_true, when_false = fn_if
    if name not in template.get("Conditions", {}):
        raise CheckError(f"{where}: Fn::If names an unknown condition {name}")
    condition = evaluate_condition(template["Conditions"][name], template, params, where)
    return when_true if condition else when_false


def resolve_ifs(value, template, params, where):
    """Evaluates every Fn::If as CloudFormation will for this Stage (AWS::NoValue drops the key)."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            return resolve_ifs(choose_if(value["Fn::If"], template, params, where), template, params, where)
        out = {}
        for key, item in value.items():
            item = resolve_ifs(item, template, params, where)
            if item != {"Ref": "AWS::NoValue"}:
                out[key] = item
        return out
    if isinstance(value, list):
        return [resolve_ifs(item, template, params, where) for item in value]
    return value


# ---- AWS::LanguageExtensions: exactly what this template uses, nothing guessed -------------------


def walk(value, path):
    """Yields (path, key, value) for every mapping entry."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key, item
            yield from walk(item, path + [str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, path + [str(index)])


def where_is(path):
    """Resources/X/Properties/A/B -> `X: Properties.A.B`."""
    if len(path) >= 2 and path[0] == "Resources":
        return f"{path[1]}: {'.'.join(path[2:]) or '(resource)'}"
    return "/".join(path) or "(template)"


def resolve_language_extensions(template, stage):
    """What AWS::LanguageExtensions does to this template: DeletionPolicy/UpdateReplacePolicy given as
    `!If [Condition, A, B]` become A or B for the Stage. CloudFormation does that server-side; the SAM
    translator leaves such attributes alone, so they are resolved here. Any other construct of that
    transform is refused by name rather than passed on half-resolved."""
    transforms = template.get("Transform")
    transforms = [transforms] if isinstance(transforms, str) else transforms
    if transforms not in ([LANGUAGE_EXTENSIONS, SERVERLESS], [SERVERLESS]):
        raise CheckError(f"Transform: expected [{LANGUAGE_EXTENSIONS}, {SERVERLESS}], found {transforms}")
    template = copy.deepcopy(template)
    template["Transform"] = SERVERLESS

    for path, key, value in walk(template, []):
        if key.startswith("Fn::ForEach") or key in ("Fn::Length", "Fn::ToJsonString"):
            raise CheckError(f"{where_is(path)}: {key} (AWS::LanguageExtensions) is not handled by deploy-check")
        if key == "Fn::FindInMap" and isinstance(value, list) and len(value) > 3:
            raise CheckError(
                f"{where_is(path)}: Fn::FindInMap with DefaultValue "
                "(AWS::LanguageExtensions) is not handled by deploy-check"
            )

    params = parameter_values(template, stage)
    for name, resource in template.get("Resources", {}).items():
        for attribute, value in list(resource.items()):
            if attribute in ("Type", "Properties", "Metadata"):
                continue  # Fn::If in Properties is plain CloudFormation, resolved at deploy time
            where = f"{name}: {attribute}"
            if (
                attribute in ("DeletionPolicy", "UpdateReplacePolicy")
                and isinstance(value, dict)
                and set(value) == {"Fn::If"}
                and len(value["Fn::If"]) == 3
                and all(isinstance(v, str) for v in value["Fn::If"][1:])
            ):
                if LANGUAGE_EXTENSIONS not in transforms:
                    raise CheckError(f"{where}: Fn::If here needs the {LANGUAGE_EXTENSIONS} transform")
                resource[attribute] = choose_if(value["Fn::If"], template, params, where)
            elif any(k == "Ref" or k.startswith("Fn::") for _, k, _ in walk({attribute: value}, [])):
                raise CheckError(
                    f"{where}: {show(value)} is an AWS::LanguageExtensions construct deploy-check does not resolve"
                )
    return template


# ---- the translation -------------------------------------------------------------------------


class NoManagedPolicies:
    """The translator's managed-policy loader. It is only called for policies given by name
    (SAM policy templates); offline there is no IAM to ask, and this template names none."""

    def load(self):
        return {}


def translate(sam_template, stage):
    template = resolve_language_extensions(sam_template, stage)
    # What `sam package` does before CloudFormation sees the template: a local CodeUri (`.`) becomes
    # the S3 object the built code was uploaded to. Any URI will do; the translator needs one.
    for name, resource in template.get("Resources", {}).items():
        code = (resource.get("Properties") or {}).get("CodeUri")
        if (
            resource.get("Type") == "AWS::Serverless::Function"
            and isinstance(code, str)
            and not code.startswith("s3://")
        ):
            resource["Properties"]["CodeUri"] = f"s3://deploy-check-artifacts/{name}.zip"
    try:
        return transform(template, {"Stage": stage}, NoManagedPolicies())
    except InvalidDocumentException as err:
        raise CheckError("SAM translator: " + "; ".join(cause.message for cause in err.causes)) from None


# ---- the wiring of the translated template ------------------------------------------------------


def show(value, limit=160):
    """A short, YAML-like rendering with CloudFormation short forms."""

    def render(v):
        if isinstance(v, dict):
            if set(v) == {"Ref"}:
                return f"!Ref {v['Ref']}"
            if set(v) == {"Fn::GetAtt"} and isinstance(v["Fn::GetAtt"], list):
                return "!GetAtt " + ".".join(map(str, v["Fn::GetAtt"]))
            if len(v) == 1 and next(iter(v)).startswith("Fn::"):
                ((fn, args),) = v.items()
                return f"!{fn[4:]} {render(args)}"
            return "{" + ", ".join(f"{k}: {render(i)}" for k, i in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(render(i) for i in v) + "]"
        if v is None:
            return "none"
        return json.dumps(v) if isinstance(v, str) and (v == "" or v != v.strip() or "\n" in v) else str(v)

    text = render(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def flat_sub(value):
    """`!Sub [template, {var: !Ref X}]` -> the template with ${X} in place of ${var}: one string."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        if isinstance(sub, str):
            return sub
        text, variables = sub
        for var, val in variables.items():
            if isinstance(val, dict) and set(val) == {"Ref"}:
                val = "${" + val["Ref"] + "}"
            elif isinstance(val, dict) and set(val) == {"Fn::GetAtt"}:
                val = "${" + ".".join(val["Fn::GetAtt"]) + "}"
            text = text.replace("${" + var + "}", val if isinstance(val, str) else show(val))
        return text
    return value if isinstance(value, str) else show(value)


def ref(value):
    return value["Ref"] if isinstance(value, dict) and set(value) == {"Ref"} else None


# One ARN field: a literal (`aws`) or a pseudo parameter (`${AWS::Partition}`).
FIELD = r"(?:[\w-]+|\$\{AWS::\w+\})"
LAMBDA_URI = re.compile(
    rf"arn:{FIELD}:apigateway:{FIELD}:lambda:path/2015-03-31/functions/\$\{{(\w+)\.Arn\}}/invocations"
)
# execute-api ARN: api-id/stage/METHOD/path
EXECUTE_API_ARN = re.compile(rf"arn:{FIELD}:execute-api:{FIELD}:{FIELD}:\$\{{(\w+)\}}/([^/]+)/([^/]+)(/.*)?")


def permissions_by_api(resources):
    """AWS::Lambda::Permission resources grouped by the API their SourceArn names."""
    found = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Permission":
            continue
        props = resource["Properties"]
        source = flat_sub(props.get("SourceArn"))
        match = EXECUTE_API_ARN.fullmatch(source)
        api = match.group(1) if match else None
        found.setdefault(api, {})[name] = {
            "FunctionName": props.get("FunctionName"),
            "Action": props.get("Action"),
            "Principal": props.get("Principal"),
            "SourceArn": source,
            "match": match.groups()[1:] if match else None,
        }
    return found


def route_wiring(method, path, operation, body, schemes, permissions):
    # OpenAPI: the method's `security` replaces the document's; an empty list means none.
    security = operation.get("security", body.get("security", []))
    # A name with no security scheme (SAM writes `NONE` for `Authorizer: NONE`) protects nothing.
    names = [name if name in schemes else f"{name} (undeclared)" for requirement in security for name in requirement]
    scopes = sorted({scope for requirement in security for listed in requirement.values() for scope in listed})
    integration = dict(operation.get("x-amazon-apigateway-integration", {}))
    target = LAMBDA_URI.fullmatch(flat_sub(integration.get("uri", "")))
    if target:
        del integration["uri"]
        integration["function"] = target.group(1)
    matching = {}
    for name, permission in permissions.items():
        if permission["match"]:
            _stage, perm_method, perm_path = permission["match"]
            if fnmatch.fnmatchcase(method, perm_method) and fnmatch.fnmatchcase(path, perm_path or "/"):
                matching[name] = {k: v for k, v in permission.items() if k != "match"}
    return {
        "authorizer": ", ".join(names) or "NONE",
        "scopes": scopes,
        "integration": integration,
        "response headers": {
            code: sorted(response.get("headers", {})) for code, response in operation.get("responses", {}).items()
        },
        "permissions": matching,
    }


def stage_wiring(props, resources, api):
    stage = {k: v for k, v in props.items() if k not in ("ApiId", "RestApiId", "StageName")}
    for logs in ("AccessLogSettings", "AccessLogSetting"):
        if logs in stage and "Format" in stage[logs]:
            try:  # the access log format must be JSON: parse it so each field can be compared
                stage[logs] = {**stage[logs], "Format": json.loads(stage[logs]["Format"])}
            except ValueError as err:
                stage[logs] = {**stage[logs], "Format": f"not JSON ({err}): {stage[logs]['Format']}"}
    if "DeploymentId" in stage:
        deployment = resources.get(ref(stage["DeploymentId"]), {})
        if (
            deployment.get("Type") == "AWS::ApiGateway::Deployment"
            and ref(deployment["Properties"].get("RestApiId")) == api
        ):
            stage["DeploymentId"] = f"a Deployment of {api}"
    return stage


def api_wiring(api, resource, resources, permissions):
    props = resource["Properties"]
    body = props.get("Body", {})
    components = body.get("components", {})
    schemes = components.get("securitySchemes", body.get("securityDefinitions", {}))
    wiring = {k: v for k, v in props.items() if k != "Body"}
    for key, value in body.items():
        if key not in ("info", "openapi", "swagger", "paths", "components", "securityDefinitions"):
            wiring[key] = value
    for key, value in components.items():
        if key != "securitySchemes":
            wiring[f"components {key}"] = value
    used = set()
    for path, item in body.get("paths", {}).items():
        for method, operation in item.items():
            method = "ANY" if method == "x-amazon-apigateway-any-method" else method
            if method.lower() in HTTP_METHODS or method == "ANY":
                route = route_wiring(method.upper(), path, operation, body, schemes, permissions.get(api, {}))
                wiring[f"route {method.upper()} {path}"] = route
                used.update(route["permissions"])
    for name in sorted(permissions.get(api, {}).keys() - used):
        wiring[f"permission {name} (no route)"] = permissions[api][name]["SourceArn"]
    for name, scheme in schemes.items():
        wiring[f"authorizer {name}"] = scheme
    for name, other in resources.items():
        other_props = other.get("Properties", {})
        if other["Type"] in ("AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::Stage") and api in (
            ref(other_props.get("ApiId")),
            ref(other_props.get("RestApiId")),
        ):
            wiring[f"stage {show(other_props.get('StageName'))}"] = stage_wiring(other_props, resources, api)
        # A Deployment with StageName creates a stage of its own (SAM's extra "Stage" stage).
        if (
            other["Type"] == "AWS::ApiGateway::Deployment"
            and ref(other_props.get("RestApiId")) == api
            and "StageName" in other_props
        ):
            wiring[f"stage {show(other_props['StageName'])}"] = f"created by {name}"
    return wiring


def actual_wiring(cfn, stage):
    params = parameter_values(cfn, stage)
    resources = {name: resolve_ifs(r, cfn, params, name) for name, r in cfn["Resources"].items()}
    permissions = permissions_by_api(resources)
    outputs = {name: output.get("Value") for name, output in cfn.get("Outputs", {}).items()}
    actual = {
        "resources": {},
        "apis": {},
        "outputs": outputs,
        "managed login": list(managed_login_problems(resources, outputs, params)),
    }
    for name, resource in resources.items():
        entry = {k: v for k, v in resource.items() if k not in ("Metadata",)}
        if isinstance(entry.get("DependsOn"), str):
            entry["DependsOn"] = [entry["DependsOn"]]
        actual["resources"][name] = entry
        if resource["Type"] in ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi"):
            actual["apis"][name] = api_wiring(name, resource, resources, permissions)
    for name, found in permissions.get(None, {}).items():
        actual["apis"][f"permission {name}"] = f"SourceArn names no API: {found['SourceArn']}"
    return actual


# ---- managed login: rules Cognito applies at deploy or sign-in time, which no linter checks ------

# What a stack's pseudo parameters look like, to evaluate expressions such as the domain prefix.
# The stack name has capitals on purpose: CloudFormation allows them, a domain prefix does not.
SAMPLE_PSEUDO = {
    "AWS::StackName": "Hello-API",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Hello-API/51af3dc0-da77-11e4-872e-1234567db123",
    "AWS::AccountId": "123456789012",
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
# Cognito's prefix pattern (CloudFormation schema) and the words a prefix may not contain.
DOMAIN_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
RESERVED_IN_PREFIX = ("aws", "amazon", "cognito")
# Attributes each OAuth scope hands out: a client that cannot read all of them gets invalid_grant
# from /oauth2/token (Cognito's token endpoint documentation).
SCOPE_ATTRIBUTES = {
    "email": ["email", "email_verified"],
    "phone": ["phone_number", "phone_number_verified"],
    "profile": [
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ],
}
# Callback and logout URLs: https, or plain http on a loopback host (Cognito's API reference).
LOOPBACK_HTTP = re.compile(r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/.*)?")


def evaluate(value, params):
    """A string from Ref/Fn::Sub/Fn::Join/Fn::Select/Fn::Split over parameters and sample pseudo
    parameters; a resource's Ref or GetAtt stays a `${Name}` placeholder."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [evaluate(v, params) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((fn, args),) = value.items()
        if fn == "Ref":
            return params.get(args, SAMPLE_PSEUDO.get(args, "${" + str(args) + "}"))
        if fn == "Fn::GetAtt":
            return "${" + ".".join(args) + "}"
        if fn == "Fn::Select":
            return evaluate(args[1], params)[int(evaluate(args[0], params))]
        if fn == "Fn::Split":
            return evaluate(args[1], params).split(args[0])
        if fn == "Fn::Join":
            return args[0].join(evaluate(args[1], params))
        if fn == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else args
            names = {k: evaluate(v, params) for k, v in variables.items()}

            def substitute(match):
                name = match.group(1)
                if name in names:
                    return str(names[name])
                return match.group(0) if "." in name else str(evaluate({"Ref": name}, params))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
    raise CheckError(f"cannot evaluate {show(value)} offline")


def listed(value):
    return value if isinstance(value, list) else [] if value is None else [value]


def managed_login_problems(resources, outputs, params):
    """What Cognito refuses (at deploy time, or when someone signs in) in this template's managed
    login wiring. Messages start with the resource they are about."""
    of_type = lambda kind: {n: r.get("Properties", {}) for n, r in resources.items() if r["Type"] == kind}
    pools, clients = of_type("AWS::Cognito::UserPool"), of_type("AWS::Cognito::UserPoolClient")
    domains, brandings = of_type("AWS::Cognito::UserPoolDomain"), of_type("AWS::Cognito::ManagedLoginBranding")
    branded = {ref(b.get("ClientId")) for b in brandings.values()}
    prefixes = {}
    for name, domain in domains.items():
        prefix = evaluate(domain.get("Domain"), params)
        prefixes[ref(domain.get("UserPoolId"))] = prefix
        if (
            not isinstance(prefix, str)
            or not DOMAIN_PREFIX.fullmatch(prefix)
            or any(word in prefix for word in RESERVED_IN_PREFIX)
        ):
            yield (
                f"{name}: Domain for a stack named {SAMPLE_PSEUDO['AWS::StackName']} would be {prefix!r}: "
                f"not a domain prefix (lower-case letters, digits, inner hyphens, at most 63; no "
                f"{'/'.join(RESERVED_IN_PREFIX)})"
            )
        pool = pools.get(ref(domain.get("UserPoolId")), {})
        if domain.get("ManagedLoginVersion") == 2 and pool.get("UserPoolTier") == "LITE":
            yield f"{name}: ManagedLoginVersion 2 needs a UserPoolTier above LITE"
    for name, branding in brandings.items():
        if branding.get("ClientId") is None:
            yield f"{name}: no ClientId: Cognito's API requires one (cfn-lint does not say so)"
        if branding.get("UseCognitoProvidedValues") and ("Settings" in branding or "Assets" in branding):
            yield f"{name}: UseCognitoProvidedValues with Settings or Assets: Cognito refuses both at once"
    for name, client in clients.items():
        if not client.get("AllowedOAuthFlowsUserPoolClient"):
            continue
        pool = ref(client.get("UserPoolId"))
        if pool not in prefixes:
            yield f"{name}: OAuth client without an AWS::Cognito::UserPoolDomain for {pool}: no managed login"
        elif name not in branded:
            yield f"{name}: no AWS::Cognito::ManagedLoginBranding names it: its managed login pages do not exist"
        if not listed(client.get("SupportedIdentityProviders")):
            yield f"{name}: no SupportedIdentityProviders: nobody can sign in through managed login"
        scopes = listed(client.get("AllowedOAuthScopes"))
        readable = client.get("ReadAttributes")
        for scope in scopes:
            if scope in SCOPE_ATTRIBUTES and "openid" not in scopes:
                yield f"{name}: scope {scope} without openid: Cognito refuses it"
            for attribute in SCOPE_ATTRIBUTES.get(scope, []) if readable is not None else []:
                if attribute not in readable:
                    yield (
                        f"{name}: scope {scope} needs {attribute} in ReadAttributes "
                        "(else /oauth2/token answers invalid_grant)"
                    )
        urls = {key: [evaluate(u, params) for u in listed(client.get(key))] for key in ("CallbackURLs", "LogoutURLs")}
        for key, values in urls.items():
            if not values:
                yield f"{name}: no {key}"
            for url in values:
                if not (str(url).startswith("https://") or LOOPBACK_HTTP.fullmatch(str(url))) or "#" in str(url):
                    yield f"{name}: {key}: {url} is refused by Cognito (https, or http on a loopback host; no fragment)"
        default = client.get("DefaultRedirectURI")
        if default is not None and evaluate(default, params) not in urls["CallbackURLs"]:
            yield f"{name}: DefaultRedirectURI is not one of the CallbackURLs"
    for name, value in outputs.items():
        url = evaluate(value, params)
        if isinstance(url, str) and ".amazoncognito.com" in url:
            wanted = [f"https://{p}.auth.{REGION}.amazoncognito.com" for p in prefixes.values()]
            if url not in wanted:
                yield f"output {name}: {url} is not the user pool domain's URL ({' or '.join(wanted) or 'no domain'})"


# ---- comparison --------------------------------------------------------------------------------


def for_stage(expected, stages, stage):
    if isinstance(expected, dict):
        if set(expected) == set(stages):
            return expected[stage]
        return {k: for_stage(v, stages, stage) for k, v in expected.items()}
    if isinstance(expected, list):
        return [for_stage(v, stages, stage) for v in expected]
    return expected


def is_intrinsic(value):
    return isinstance(value, dict) and len(value) == 1 and any(k == "Ref" or k.startswith("Fn::") for k in value)


def compare(expected, actual, path):
    """Differences as `path: field: expected X, found Y`, one per leaf."""
    if all(isinstance(v, dict) and not is_intrinsic(v) for v in (expected, actual)):
        for key, value in expected.items():
            if key in actual:
                yield from compare(value, actual[key], f"{path}: {key}")
            elif isinstance(value, dict) and not is_intrinsic(value):
                yield f"{path}: {key}: missing"  # a whole route, stage, authorizer...
            else:
                yield f"{path}: {key}: expected {show(value)}, found none"
        for key in sorted(actual.keys() - expected.keys()):
            value = actual[key]
            details = "" if isinstance(value, dict) and not is_intrinsic(value) else f" {show(value)}"
            yield f"{path}: {key}: unexpected{details}"
    elif expected != actual:
        yield f"{path}: expected {show(expected)}, found {show(actual)}"


def compare_resources(expected, actual):
    unmatched = dict(actual)
    for pattern, want in expected.items():
        names = [n for n in unmatched if fnmatch.fnmatchcase(n, pattern)]
        if len(names) != 1:
            yield f"{pattern}: expected one {want['Type']}, found {len(names)}: {names}"
            continue
        name = names[0]
        found = unmatched.pop(name)
        for attribute in sorted((want.keys() | found.keys()) - {"Properties"}):
            yield from compare(want.get(attribute), found.get(attribute), f"{name}: {attribute}")
        for prop, value in want.get("Properties", {}).items():  # only the properties listed
            yield from compare(value, found.get("Properties", {}).get(prop), f"{name}: {prop}")
    for name, found in unmatched.items():
        yield f"{name}: unexpected resource {found['Type']}"


def check_wiring(sam_template, expected, stage):
    """Translates for one Stage and returns (translated template, differences)."""
    cfn = translate(sam_template, stage)
    want = for_stage({k: expected[k] for k in ("resources", "apis", "outputs")}, expected["stages"], stage)
    actual = actual_wiring(cfn, stage)
    problems = list(compare_resources(want["resources"], actual["resources"]))
    for name, value in want["outputs"].items():
        problems += compare(value, actual["outputs"].get(name), f"outputs: {name}")
    problems += actual["managed login"]
    problems += [
        p
        for api in sorted(want["apis"].keys() | actual["apis"].keys())
        for p in compare(want["apis"].get(api), actual["apis"].get(api), api)
    ]
    return cfn, problems


# ---- cfn-lint and checkov on the translated templates ---------------------------------------------


def start_linters(paths, cfn_lint, checkov):
    """Both run in the background while the mutation self-test runs."""
    files = [arg for path in paths for arg in ("-f", path)]
    return (
        subprocess.Popen(
            [cfn_lint, "--format", "json", *paths], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ),
        subprocess.Popen(
            [
                checkov,
                "--quiet",
                "--compact",
                "--skip-download",
                "--framework",
                "cloudformation",
                "--output",
                "json",
                *files,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    )


def lint_findings(cfn_lint_run, checkov_run):
    out, err = cfn_lint_run.communicate()
    try:
        for f in json.loads(out):
            yield {
                "tool": "cfn-lint",
                "rule": f["Rule"]["Id"],
                "file": f["Filename"],
                "where": "/".join(map(str, f["Location"]["Path"])),
                "message": f["Message"],
            }
    except ValueError:
        raise CheckError(f"cfn-lint did not report JSON (exit {cfn_lint_run.returncode}): {err or out}") from None
    out, err = checkov_run.communicate()
    try:
        reports = json.loads(out)
    except ValueError:
        raise CheckError(f"checkov did not report JSON (exit {checkov_run.returncode}): {err or out}") from None
    for report in reports if isinstance(reports, list) else [reports]:
        summary = report.get("summary", {})
        print(
            f"checkov: {summary.get('passed')} passed, {summary.get('failed')} failed, "
            f"{summary.get('skipped')} skipped (reasons in the resources' Metadata)"
        )
        if summary.get("parsing_errors"):
            raise CheckError(f"checkov could not parse: {report['results'].get('parsing_errors')}")
        for f in report.get("results", {}).get("failed_checks", []):
            yield {
                "tool": "checkov",
                "rule": f["check_id"],
                "file": f["file_path"],
                "where": f["resource"],
                "message": f["check_name"],
            }


def check_findings(findings, expected_findings):
    problems, used = [], set()
    for f in findings:
        reasons = [
            i
            for i, e in enumerate(expected_findings)
            if (e["tool"], e["rule"], e["where"]) == (f["tool"], f["rule"], f["where"])
        ]
        used.update(reasons)
        label = f"{f['tool']} {f['rule']} {f['where']} ({os.path.basename(f['file'])}): {f['message']}"
        if reasons:
            print(f"  expected: {label}")
        else:
            problems.append(label)
    for i, e in enumerate(expected_findings):
        if i not in used:
            problems.append(f"expected findings: {e['tool']} {e['rule']} {e['where']} no longer occurs; remove it")
    return problems


# ---- the mutation self-test ------------------------------------------------------------------------


def props(template, name):
    return template["Resources"][name]["Properties"]


def event(template, name):
    return props(template, "HelloFunction")["Events"][name]["Properties"]


# (what is changed, how, what the check must report: fragments of its messages)
MUTATIONS = [
    (
        "HttpApi: default authorizer removed",
        lambda t: props(t, "HttpApi")["Auth"].pop("DefaultAuthorizer"),
        "HttpApi: route GET /hello: authorizer: expected CognitoJwt, found NONE",
    ),
    (
        "RestApi: default authorizer removed",
        lambda t: props(t, "RestApi")["Auth"].pop("DefaultAuthorizer"),
        "RestApi: route GET /hello: authorizer: expected CognitoUserPool, found NONE",
    ),
    (
        "HttpApi: event path /hello -> /hallo",
        lambda t: event(t, "GetHello").update(Path="/hallo"),
        ["HttpApi: route GET /hello: missing", "HttpApi: route GET /hallo: unexpected"],
    ),
    (
        "RestApi: event path /hello -> /hallo",
        lambda t: event(t, "GetHelloRest").update(Path="/hallo"),
        ["RestApi: route GET /hello: missing", "RestApi: route GET /hallo: unexpected"],
    ),
    (
        "HttpApi: GetHello event Auth: {Authorizer: NONE}",
        lambda t: event(t, "GetHello").update(Auth={"Authorizer": "NONE"}),
        "HttpApi: route GET /hello: authorizer: expected CognitoJwt, found NONE",
    ),
    (
        "RestApi: GetHelloRest event Auth: {Authorizer: NONE}",
        lambda t: event(t, "GetHelloRest").update(Auth={"Authorizer": "NONE"}),
        "RestApi: route GET /hello: authorizer: expected CognitoUserPool, found NONE",
    ),
    (
        "RestApi: AddDefaultAuthorizerToCorsPreflight: true",
        lambda t: props(t, "RestApi")["Auth"].update(AddDefaultAuthorizerToCorsPreflight=True),
        "RestApi: route OPTIONS /hello: authorizer: expected NONE, found CognitoUserPool",
    ),
    (
        "UserPool: DeletionPolicy !If branches swapped",
        lambda t: t["Resources"]["UserPool"].update(DeletionPolicy={"Fn::If": ["IsProd", "Delete", "Retain"]}),
        "UserPool: DeletionPolicy: expected",
    ),
    (
        "RestApi: DependsOn ApiGatewayAccount removed",
        lambda t: t["Resources"]["RestApi"].pop("DependsOn"),
        "RestApi: DependsOn: expected [ApiGatewayAccount], found none",
    ),
    (
        "UpdateReplacePolicy given as !Ref (unhandled LanguageExtensions)",
        lambda t: t["Resources"]["UserPool"].update(UpdateReplacePolicy={"Ref": "Stage"}),
        "UserPool: UpdateReplacePolicy: !Ref Stage is an AWS::LanguageExtensions construct",
    ),
    (
        "Fn::Length in a property (unhandled LanguageExtensions)",
        lambda t: props(t, "HelloFunction").update(MemorySize={"Fn::Length": [1, 2]}),
        "HelloFunction: Properties.MemorySize: Fn::Length",
    ),
    # Managed login: each piece removed or altered.
    (
        "UserPoolDomain removed",
        lambda t: t["Resources"].pop("UserPoolDomain"),
        [
            "UserPoolDomain: expected one AWS::Cognito::UserPoolDomain, found 0",
            "UserPoolClient: OAuth client without an AWS::Cognito::UserPoolDomain",
        ],
    ),
    (
        "UserPoolDomain: ManagedLoginVersion 1 (the classic hosted UI)",
        lambda t: props(t, "UserPoolDomain").update(ManagedLoginVersion=1),
        "UserPoolDomain: ManagedLoginVersion: expected 2, found 1",
    ),
    (
        "UserPoolDomain: prefix from the stack name (may hold capitals)",
        lambda t: props(t, "UserPoolDomain").update(Domain={"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}"}),
        ["UserPoolDomain: Domain: expected", "UserPoolDomain: Domain for a stack named Hello-API would be 'Hello-API-"],
    ),
    (
        "UserPool: UserPoolTier LITE",
        lambda t: props(t, "UserPool").update(UserPoolTier="LITE"),
        ["UserPool: UserPoolTier: expected ESSENTIALS, found LITE", "UserPoolDomain: ManagedLoginVersion 2 needs"],
    ),
    (
        "ManagedLoginBranding removed",
        lambda t: t["Resources"].pop("ManagedLoginBranding"),
        ["ManagedLoginBranding: expected one", "UserPoolClient: no AWS::Cognito::ManagedLoginBranding names it"],
    ),
    (
        "ManagedLoginBranding: ClientId removed",
        lambda t: props(t, "ManagedLoginBranding").pop("ClientId"),
        [
            "ManagedLoginBranding: ClientId: expected !Ref UserPoolClient, found none",
            "ManagedLoginBranding: no ClientId",
        ],
    ),
    (
        "ManagedLoginBranding: Settings beside UseCognitoProvidedValues",
        lambda t: props(t, "ManagedLoginBranding").update(Settings={"components": {}}),
        [
            "ManagedLoginBranding: Settings: expected none",
            "ManagedLoginBranding: UseCognitoProvidedValues with Settings",
        ],
    ),
    (
        "UserPoolClient: AllowedOAuthFlowsUserPoolClient removed",
        lambda t: props(t, "UserPoolClient").pop("AllowedOAuthFlowsUserPoolClient"),
        "UserPoolClient: AllowedOAuthFlowsUserPoolClient: expected True, found none",
    ),
    (
        "UserPoolClient: AllowedOAuthFlows [implicit]",
        lambda t: props(t, "UserPoolClient").update(AllowedOAuthFlows=["implicit"]),
        "UserPoolClient: AllowedOAuthFlows: expected [code], found [implicit]",
    ),
    (
        "UserPoolClient: scope openid removed",
        lambda t: props(t, "UserPoolClient").update(AllowedOAuthScopes=["email", "phone"]),
        ["UserPoolClient: AllowedOAuthScopes: expected", "UserPoolClient: scope email without openid"],
    ),
    (
        "UserPoolClient: phone_number_verified not readable",
        lambda t: props(t, "UserPoolClient").update(ReadAttributes=["email", "email_verified", "phone_number"]),
        "UserPoolClient: scope phone needs phone_number_verified in ReadAttributes",
    ),
    (
        "UserPoolClient: SupportedIdentityProviders removed",
        lambda t: props(t, "UserPoolClient").pop("SupportedIdentityProviders"),
        [
            "UserPoolClient: SupportedIdentityProviders: expected [COGNITO], found none",
            "UserPoolClient: no SupportedIdentityProviders",
        ],
    ),
    (
        "UserPoolClient: CallbackURLs with a trailing slash",
        lambda t: props(t, "UserPoolClient").update(CallbackURLs=[{"Fn::Sub": "${AllowedOrigin}/"}]),
        "UserPoolClient: CallbackURLs: expected [!Ref AllowedOrigin], found [!Sub ${AllowedOrigin}/]",
    ),
    (
        "UserPoolClient: LogoutURLs removed",
        lambda t: props(t, "UserPoolClient").pop("LogoutURLs"),
        ["UserPoolClient: LogoutURLs: expected [!Ref AllowedOrigin], found none", "UserPoolClient: no LogoutURLs"],
    ),
    (
        "UserPoolClient: a plain-http callback on a public host",
        lambda t: props(t, "UserPoolClient").update(CallbackURLs=["http://app.example.com"]),
        "UserPoolClient: CallbackURLs: http://app.example.com is refused by Cognito",
    ),
    (
        "UserPoolClient: GenerateSecret true",
        lambda t: props(t, "UserPoolClient").update(GenerateSecret=True),
        "UserPoolClient: GenerateSecret: expected False, found True",
    ),
    (
        "UserPoolClient: ALLOW_ADMIN_USER_PASSWORD_AUTH removed (the walkthrough's sign-in)",
        lambda t: props(t, "UserPoolClient").update(
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        ),
        "UserPoolClient: ExplicitAuthFlows: expected",
    ),
    (
        "Outputs: UserPoolDomainUrl with another prefix",
        lambda t: t["Outputs"]["UserPoolDomainUrl"].update(
            Value={"Fn::Sub": "https://${AWS::StackName}.auth.${AWS::Region}.amazoncognito.com"}
        ),
        [
            "outputs: UserPoolDomainUrl: expected",
            "output UserPoolDomainUrl: https://Hello-API.auth.us-east-1.amazoncognito.com is not the user pool domain's URL",
        ],
    ),
]


def self_test(sam_template, expected):
    """Each mutation must fail the check, for every Stage, with a message naming what changed."""
    missed = []
    for label, mutate, must_report in MUTATIONS:
        must_report = [must_report] if isinstance(must_report, str) else must_report
        mutant = copy.deepcopy(sam_template)
        mutate(mutant)
        for stage in expected["stages"]:
            try:
                problems = check_wiring(mutant, expected, stage)[1]
            except CheckError as err:
                problems = [str(err)]
            hits = [p for p in problems if any(fragment in p for fragment in must_report)]
            if not all(any(fragment in p for p in hits) for fragment in must_report):
                missed.append(label)
                print(f"  MISSED   {label} (Stage={stage}): wanted {must_report}, got {problems or 'no difference'}")
                break
        else:  # the messages of the last Stage
            more = f"  (+{len(problems) - len(hits)} more)" if len(problems) > len(hits) else ""
            print(f"  caught   {label}: {' | '.join(hits)}{more}")
    return missed


# ---- main ----------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--expected", default=os.path.join(os.path.dirname(__file__), "expected.yaml"))
    parser.add_argument("--out", default="target/deploy-check")
    parser.add_argument("--cfn-lint", required=True, help="path to cfn-lint")
    parser.add_argument("--checkov", required=True, help="path to checkov")
    args = parser.parse_args()
    started = time.monotonic()

    with open(args.template) as f:
        sam_template = yaml_parse(f.read())
    with open(args.expected) as f:
        expected = yaml_parse(f.read())
    os.makedirs(args.out, exist_ok=True)

    problems, paths = [], []
    for stage in expected["stages"]:
        try:
            cfn, differences = check_wiring(sam_template, expected, stage)
        except CheckError as err:
            cfn, differences = None, [str(err)]
        problems += [f"Stage={stage}: {d}" for d in differences]
        print(
            f"Stage={stage}: wiring {'differs' if differences else 'as expected'}"
            f" ({len(expected['resources'])} resources, {len(expected['apis'])} APIs)"
        )
        if cfn is not None:
            paths.append(os.path.join(args.out, f"template-{stage}.json"))
            with open(paths[-1], "w") as f:
                json.dump(cfn, f, indent=2)
                f.write("\n")
    for p in problems:
        print(f"  {p}")

    # The linters run in the background meanwhile (a template that did not translate is not linted).
    linters = start_linters(paths, args.cfn_lint, args.checkov) if len(paths) == len(expected["stages"]) else None
    mutations_started = time.monotonic()
    print(f"mutation self-test (each mutation, Stage={' and '.join(expected['stages'])}):")
    missed = self_test(sam_template, expected)
    problems += [f"mutation not caught: {m}" for m in missed]
    print(f"  {len(MUTATIONS) - len(missed)}/{len(MUTATIONS)} caught in {time.monotonic() - mutations_started:.1f} s")

    if linters:
        print(f"cfn-lint and checkov on {', '.join(paths)}:")
        lint_problems = check_findings(list(lint_findings(*linters)), expected["expected findings"])
        for p in lint_problems:
            print(f"  unexpected: {p}")
        problems += lint_problems

    elapsed = time.monotonic() - started
    if problems:
        print(f"deploy-check: FAILED, {len(problems)} problem(s) ({elapsed:.1f} s)", file=sys.stderr)
        return 1
    print(f"deploy-check: ok ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
