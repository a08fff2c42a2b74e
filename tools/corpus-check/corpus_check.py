"""make corpus-check: does the local gateway read each corpus template the way SAM translates it?

For every template of the corpus (crates/local-api-gateway/tests/fixtures/templates/<name>/), this
does what `sam package` + CloudFormation's SAM transform do (local AWS::Include files inlined, local
code and nested-stack locations replaced by S3 placeholders, then the SAM translator in-process,
offline), writes the plain CloudFormation template under --out, and runs the local gateway's
`routes` on both: the original (read by its SAM reader) and the translation (read by its raw
CloudFormation reader, on SAM's own output). The two listings must be equal: any difference is a
place where the SAM reader and SAM disagree (or the raw reader misreads SAM's output).

The local values (parameters, resource ids, nested-stack attributes) come from each fixture's
expected.yaml, as the corpus test gives them. Run with the SAM venv's interpreter (samtranslator,
samcli.yamlhelper): see `make corpus-check`.
"""

import argparse
import copy
import difflib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

# The translator derives ARNs' partition from the region: pin one, offline (as deploy-check does).
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

import yaml  # PyYAML: expected.yaml has no CloudFormation tags
from samcli.yamlhelper import yaml_parse  # parses !Ref, !Sub ... short forms
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

logging.getLogger("samtranslator").setLevel(logging.ERROR)


class NoManagedPolicies:
    """The translator asks for AWS managed policies' ARNs; offline there are none to look up."""

    def load(self):
        return {}


class Refused(Exception):
    """What `sam package` or the translator refuses; the message says why."""


def is_local(location):
    return isinstance(location, str) and not location.startswith(("s3://", "https://", "http://"))


def inline_includes(value, base):
    """`Fn::Transform: AWS::Include` of a local file replaced by the file, as `sam package`
    uploads it and CloudFormation expands it before the SAM transform."""
    if isinstance(value, dict):
        transform_ = value.get("Fn::Transform")
        if len(value) == 1 and isinstance(transform_, dict) and transform_.get("Name") == "AWS::Include":
            location = (transform_.get("Parameters") or {}).get("Location")
            if is_local(location):
                path = base / location
                return inline_includes(yaml_parse(path.read_text()), path.parent)
        return {k: inline_includes(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [inline_includes(v, base) for v in value]
    return value


def package(template, base, name):
    """What `sam package` does to the template before CloudFormation sees it."""
    template = inline_includes(copy.deepcopy(template), base)
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::Serverless::Function" and "InlineCode" not in props and is_local(props.get("CodeUri", ".")):
            props["CodeUri"] = f"s3://corpus-check/{name}/{logical_id}.zip"
        if kind == "AWS::Serverless::Application" and is_local(props.get("Location")):
            props["Location"] = f"https://s3.amazonaws.com/corpus-check/{name}/{logical_id}.yaml"
        if kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi") and is_local(props.get("DefinitionUri")):
            # `sam package` uploads the file; CloudFormation then imports it as the API's body.
            # The translator cannot read S3, so the file goes in as the body SAM adds nothing to:
            # with a DefinitionUri it may carry no Auth, Cors or GatewayResponses either.
            props["DefinitionBody"] = yaml_parse((base / props.pop("DefinitionUri")).read_text())
        resource["Properties"] = props
    return template


def parameter_values(template, values):
    found = {n: p["Default"] for n, p in (template.get("Parameters") or {}).items() if "Default" in p}
    found.update(values.get("parameters") or {})
    return found


def translate(template, parameters):
    try:
        return transform(template, parameters, NoManagedPolicies())
    except InvalidDocumentException as err:
        raise Refused("SAM translator: " + "; ".join(c.message for c in err.causes)) from None


def routes(gateway, template_path, values):
    """`local-api-gateway routes` for the template, with the fixture's local values."""
    args = [gateway, "routes", "--template", str(template_path)]
    for flag, key in (("--parameter", "parameters"), ("--resource-id", "resource_ids"), ("--attribute", "attributes")):
        for k, v in (values.get(key) or {}).items():
            args += [flag, f"{k}={v}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        return None, done.stderr.strip()
    return done.stdout, done.stderr.strip()


def canonical(listing):
    """The listing with what carries no meaning sorted: routes within an API (the translator
    reorders paths), and an API's stages (which one names the URL is a reader's choice; the
    stages served are the same)."""
    apis, current = [], None
    for line in listing.splitlines():
        if not line.startswith(" "):
            head, _, stages = line.partition("   stages: ")
            words = head.split(" ")
            url = words[-1].split("/")
            head = " ".join(words[:-1] + ["/".join(url[:3])])
            current = [f"{head}   stages: {', '.join(sorted(stages.split(', ')))}", []]
            apis.append(current)
        elif line.startswith("  ") and not line.startswith("   ") and current:
            current[1].append([line])
        elif current and current[1]:
            current[1][-1].append(line)
    return "\n".join("\n".join([head] + ["\n".join(block) for block in sorted(blocks)]) for head, blocks in apis) + "\n"


def check(fixture, gateway, out):
    """Compares the two listings of one fixture: (verdict, details)."""
    name = fixture.name
    original = fixture / "template.yaml"
    expected = yaml.safe_load((fixture / "expected.yaml").read_text()) or {}
    values = expected.get("values") or {}
    sam_template = yaml_parse(original.read_text())
    try:
        translated = translate(package(sam_template, fixture, name), parameter_values(sam_template, values))
    except Refused as err:
        return "untranslatable", str(err)
    target = out / f"{name}.json"
    target.write_text(json.dumps(translated, indent=1, default=str))
    sam_routes, sam_err = routes(gateway, original, values)
    raw_routes, raw_err = routes(gateway, target, values)
    if sam_routes is None and raw_routes is None:
        return "both refused", f"SAM reader: {sam_err}\n    raw reader: {raw_err}"
    if sam_routes is None:
        return "differs", f"the SAM reader refuses what SAM translates: {sam_err}"
    if raw_routes is None:
        return "differs", f"the raw reader refuses SAM's translation: {raw_err}"
    sam_routes, raw_routes = canonical(sam_routes), canonical(raw_routes)
    if sam_routes == raw_routes:
        return "equal", ""
    diff = difflib.unified_diff(
        sam_routes.splitlines(),
        raw_routes.splitlines(),
        "routes --template template.yaml (SAM reader)",
        f"routes --template {target} (SAM's translation)",
        lineterm="",
    )
    return "differs", "\n".join("    " + line for line in diff)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, required=True)
    parser.add_argument("--gateway", required=True, help="the local-api-gateway binary")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    verdicts = {}
    for fixture in sorted(p for p in args.fixtures.iterdir() if (p / "template.yaml").is_file()):
        verdict, details = check(fixture, args.gateway, args.out)
        verdicts.setdefault(verdict, []).append(fixture.name)
        print(f"{verdict:15} {fixture.name}")
        if details:
            print(details if details.startswith("    ") else f"    {details}")
    print("\n" + ", ".join(f"{len(names)} {verdict}" for verdict, names in sorted(verdicts.items())))
    # Templates both readers refuse (a construct the local API does not serve) agree; so do
    # templates SAM itself refuses. Everything else must list the same routes.
    return 1 if verdicts.get("differs") else 0


if __name__ == "__main__":
    sys.exit(main())
