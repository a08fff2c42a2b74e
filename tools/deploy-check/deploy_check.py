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

from samcli.yamlhelper import yaml_parse  # noqa: E402  (parses !Ref, !Sub, !If ... short forms)
from samtranslator.public.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402

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
        (fn, args), = expr.items()
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
            raise CheckError(f"{where_is(path)}: Fn::FindInMap with DefaultValue "
                             "(AWS::LanguageExtensions) is not handled by deploy-check")

    params = parameter_values(template, stage)
    for name, resource in template.get("Resources", {}).items():
        for attribute, value in list(resource.items()):
            if attribute in ("Type", "Properties", "Metadata"):
                continue  # Fn::If in Properties is plain CloudFormation, resolved at deploy time
            where = f"{name}: {attribute}"
            if (attribute in ("DeletionPolicy", "UpdateReplacePolicy") and isinstance(value, dict)
                    and set(value) == {"Fn::If"} and len(value["Fn::If"]) == 3
                    and all(isinstance(v, str) for v in value["Fn::If"][1:])):
                if LANGUAGE_EXTENSIONS not in transforms:
                    raise CheckError(f"{where}: Fn::If here needs the {LANGUAGE_EXTENSIONS} transform")
                resource[attribute] = choose_if(value["Fn::If"], template, params, where)
            elif any(k == "Ref" or k.startswith("Fn::") for _, k, _ in walk({attribute: value}, [])):
                raise CheckError(f"{where}: {show(value)} is an AWS::LanguageExtensions construct "
                                 "deploy-check does not resolve")
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
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str) and not code.startswith("s3://"):
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
                (fn, args), = v.items()
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
    rf"arn:{FIELD}:apigateway:{FIELD}:lambda:path/2015-03-31/functions/\$\{{(\w+)\.Arn\}}/invocations")
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
            "FunctionName": props.get("FunctionName"), "Action": props.get("Action"),
            "Principal": props.get("Principal"), "SourceArn": source,
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
        "response headers": {code: sorted(response.get("headers", {}))
                             for code, response in operation.get("responses", {}).items()},
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
        if deployment.get("Type") == "AWS::ApiGateway::Deployment" and \
                ref(deployment["Properties"].get("RestApiId")) == api:
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
        if other["Type"] in ("AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::Stage") and \
                api in (ref(other_props.get("ApiId")), ref(other_props.get("RestApiId"))):
            wiring[f"stage {show(other_props.get('StageName'))}"] = stage_wiring(other_props, resources, api)
        # A Deployment with StageName creates a stage of its own (SAM's extra "Stage" stage).
        if other["Type"] == "AWS::ApiGateway::Deployment" and ref(other_props.get("RestApiId")) == api \
                and "StageName" in other_props:
            wiring[f"stage {show(other_props['StageName'])}"] = f"created by {name}"
    return wiring


def actual_wiring(cfn, stage):
    params = parameter_values(cfn, stage)
    resources = {name: resolve_ifs(r, cfn, params, name) for name, r in cfn["Resources"].items()}
    permissions = permissions_by_api(resources)
    actual = {"resources": {}, "apis": {}}
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
    want = for_stage({k: expected[k] for k in ("resources", "apis")}, expected["stages"], stage)
    actual = actual_wiring(cfn, stage)
    problems = list(compare_resources(want["resources"], actual["resources"]))
    problems += [p for api in sorted(want["apis"].keys() | actual["apis"].keys())
                 for p in compare(want["apis"].get(api), actual["apis"].get(api), api)]
    return cfn, problems


# ---- cfn-lint and checkov on the translated templates ---------------------------------------------


def start_linters(paths, cfn_lint, checkov):
    """Both run in the background while the mutation self-test runs."""
    files = [arg for path in paths for arg in ("-f", path)]
    return (
        subprocess.Popen([cfn_lint, "--format", "json", *paths],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([checkov, "--quiet", "--compact", "--skip-download", "--framework", "cloudformation",
                          "--output", "json", *files],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    )


def lint_findings(cfn_lint_run, checkov_run):
    out, err = cfn_lint_run.communicate()
    try:
        for f in json.loads(out):
            yield {"tool": "cfn-lint", "rule": f["Rule"]["Id"], "file": f["Filename"],
                   "where": "/".join(map(str, f["Location"]["Path"])), "message": f["Message"]}
    except ValueError:
        raise CheckError(f"cfn-lint did not report JSON (exit {cfn_lint_run.returncode}): {err or out}") from None
    out, err = checkov_run.communicate()
    try:
        reports = json.loads(out)
    except ValueError:
        raise CheckError(f"checkov did not report JSON (exit {checkov_run.returncode}): {err or out}") from None
    for report in reports if isinstance(reports, list) else [reports]:
        summary = report.get("summary", {})
        print(f"checkov: {summary.get('passed')} passed, {summary.get('failed')} failed, "
              f"{summary.get('skipped')} skipped (reasons in the resources' Metadata)")
        if summary.get("parsing_errors"):
            raise CheckError(f"checkov could not parse: {report['results'].get('parsing_errors')}")
        for f in report.get("results", {}).get("failed_checks", []):
            yield {"tool": "checkov", "rule": f["check_id"], "file": f["file_path"],
                   "where": f["resource"], "message": f["check_name"]}


def check_findings(findings, expected_findings):
    problems, used = [], set()
    for f in findings:
        reasons = [i for i, e in enumerate(expected_findings)
                   if (e["tool"], e["rule"], e["where"]) == (f["tool"], f["rule"], f["where"])]
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
    ("HttpApi: default authorizer removed",
     lambda t: props(t, "HttpApi")["Auth"].pop("DefaultAuthorizer"),
     "HttpApi: route GET /hello: authorizer: expected CognitoJwt, found NONE"),
    ("RestApi: default authorizer removed",
     lambda t: props(t, "RestApi")["Auth"].pop("DefaultAuthorizer"),
     "RestApi: route GET /hello: authorizer: expected CognitoUserPool, found NONE"),
    ("HttpApi: event path /hello -> /hallo",
     lambda t: event(t, "GetHello").update(Path="/hallo"),
     ["HttpApi: route GET /hello: missing", "HttpApi: route GET /hallo: unexpected"]),
    ("RestApi: event path /hello -> /hallo",
     lambda t: event(t, "GetHelloRest").update(Path="/hallo"),
     ["RestApi: route GET /hello: missing", "RestApi: route GET /hallo: unexpected"]),
    ("HttpApi: GetHello event Auth: {Authorizer: NONE}",
     lambda t: event(t, "GetHello").update(Auth={"Authorizer": "NONE"}),
     "HttpApi: route GET /hello: authorizer: expected CognitoJwt, found NONE"),
    ("RestApi: GetHelloRest event Auth: {Authorizer: NONE}",
     lambda t: event(t, "GetHelloRest").update(Auth={"Authorizer": "NONE"}),
     "RestApi: route GET /hello: authorizer: expected CognitoUserPool, found NONE"),
    ("RestApi: AddDefaultAuthorizerToCorsPreflight: true",
     lambda t: props(t, "RestApi")["Auth"].update(AddDefaultAuthorizerToCorsPreflight=True),
     "RestApi: route OPTIONS /hello: authorizer: expected NONE, found CognitoUserPool"),
    ("UserPool: DeletionPolicy !If branches swapped",
     lambda t: t["Resources"]["UserPool"].update(DeletionPolicy={"Fn::If": ["IsProd", "Delete", "Retain"]}),
     "UserPool: DeletionPolicy: expected"),
    ("RestApi: DependsOn ApiGatewayAccount removed",
     lambda t: t["Resources"]["RestApi"].pop("DependsOn"),
     "RestApi: DependsOn: expected [ApiGatewayAccount], found none"),
    ("UpdateReplacePolicy given as !Ref (unhandled LanguageExtensions)",
     lambda t: t["Resources"]["UserPool"].update(UpdateReplacePolicy={"Ref": "Stage"}),
     "UserPool: UpdateReplacePolicy: !Ref Stage is an AWS::LanguageExtensions construct"),
    ("Fn::Length in a property (unhandled LanguageExtensions)",
     lambda t: props(t, "HelloFunction").update(MemorySize={"Fn::Length": [1, 2]}),
     "HelloFunction: Properties.MemorySize: Fn::Length"),
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
        print(f"Stage={stage}: wiring {'differs' if differences else 'as expected'}"
              f" ({len(expected['resources'])} resources, {len(expected['apis'])} APIs)")
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
