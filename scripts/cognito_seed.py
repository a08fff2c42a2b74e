"""The local stack's user pools, created inside the Cognito emulator's own process before it serves.

`local-api-gateway cognito-seed --template T` prints every AWS::Cognito::UserPool of a template
with its UserPoolClients, each as the input of `create-user-pool` / `create-user-pool-client`
(a client's UserPoolId left out). `cognito-emulator.py --seed FILE --seed-ids OUT` reads that file
(waiting for it: the stack writes it while the emulator is still starting), creates each pool and
client in moto's backend, and the walkthrough's user in each pool, then writes the ids to OUT:

    ID_<LogicalId>=<id>                     every pool and client
    CLIENTS_<PoolLogicalId>=<LogicalId>,...  the pool's clients
    USERNAME_<PoolLogicalId>=...            the user created in that pool

What the aws CLI did before (three processes, ~1.5 s each) happens here in a few milliseconds,
with the same checks: each input is validated against botocore's model of the API, as the aws CLI
validates it, and goes to the same moto backend calls that moto's server makes for those requests.
"""

import json
import os
import sys
import time
from pathlib import Path

from botocore.session import get_session
from botocore.validate import ParamValidator
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError, ServiceException

# The walkthrough's user, as `make user` creates it (scripts/walkthrough.sh: the same values).
USERNAME = "user-a"
EMAIL = "usera@example.com"
PHONE = "+15555550100"
# Local only, never AWS: scripts/walkthrough.sh's LOCAL_PASSWORD (a test checks they agree).
PASSWORD = "Local-only-Passw0rd!"


# What moto's backend raises for a request it refuses (each becomes an error answer in its server).
MOTO_ERRORS = (JsonRESTError, ServiceException)


def _describe(err: Exception) -> str:
    kind = getattr(err, "error_type", None) or getattr(err, "code", type(err).__name__)
    return f"{kind}: {getattr(err, 'message', err)}"


class SeedError(Exception):
    """A seed file the emulator cannot create: says which resource and why."""


def wait_for(path: Path, timeout: float) -> dict:
    """The seed document, once the stack has written it (it renames a whole file into place)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SeedError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.01)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SeedError(f"{path}: {err}") from err


def _validated(operation: str, params: dict, logical_id: str) -> dict:
    model = get_session().get_service_model("cognito-idp").operation_model(operation)
    report = ParamValidator().validate(params, model.input_shape)
    if report.has_errors():
        raise SeedError(f"{logical_id}: {operation} refuses its properties:\n{report.generate_report()}")
    return params


def _username_for(pool_config: dict) -> tuple[str, list[dict]]:
    """The walkthrough's user for this pool: `user-a`, or its email (phone) where the pool signs
    in by email (phone) instead of a username."""
    attributes = [{"Name": "email", "Value": EMAIL}, {"Name": "email_verified", "Value": "true"}]
    username_attributes = pool_config.get("UsernameAttributes") or []
    if "email" in username_attributes:
        return EMAIL, attributes
    if "phone_number" in username_attributes:
        return PHONE, attributes + [{"Name": "phone_number_verified", "Value": "true"}]
    return USERNAME, attributes


def create(seed: dict, region: str, create_users: bool = True) -> list[tuple[str, str]]:
    """Creates every pool, client and user of `seed`; returns the (name, value) lines for OUT."""
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][region]
    lines = []
    for pool in seed.get("pools", []):
        logical_id = pool["logicalId"]
        # CloudFormation names a pool without UserPoolName itself; the logical id stands in.
        config = {"PoolName": logical_id, **pool.get("input", {})}
        _validated("CreateUserPool", config, logical_id)
        # moto's server hands the whole request document to the backend as its configuration.
        created = backend.create_user_pool(config["PoolName"], config)
        lines.append((f"ID_{logical_id}", created.id))
        # Which clients are this pool's (logical ids are alphanumeric: commas separate them).
        lines.append((f"CLIENTS_{logical_id}", ",".join(c["logicalId"] for c in pool.get("clients", []))))
        for client in pool.get("clients", []):
            client_config = {**client.get("input", {}), "UserPoolId": created.id}
            client_config.setdefault("ClientName", client["logicalId"])
            _validated("CreateUserPoolClient", client_config, client["logicalId"])
            made = backend.create_user_pool_client(
                created.id, client_config.get("GenerateSecret", False), client_config
            )
            lines.append((f"ID_{client['logicalId']}", made.id))
        if create_users:
            username, attributes = _username_for(config)
            try:
                backend.admin_create_user(created.id, username, "SUPPRESS", None, attributes)
                backend.admin_set_user_password(created.id, username, PASSWORD, True)
            except MOTO_ERRORS as err:
                # The pool's rules refuse the user (its password policy, a required attribute):
                # the stack still starts, without a half-made user; `make user` makes one by hand.
                try:
                    backend.admin_delete_user(created.id, username)
                except MOTO_ERRORS:
                    pass  # it was never created
                print(f"cognito-seed: {logical_id}: no user created: {_describe(err)}", file=sys.stderr)
                continue
            lines.append((f"USERNAME_{logical_id}", username))
    return lines


def write_ids(path: Path, lines: list[tuple[str, str]]) -> None:
    """Whole, then renamed: the stack never reads half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(f"{name}={value}\n" for name, value in lines))
    os.replace(partial, path)


def seed_from_args(args) -> None:
    """`--seed`, `--seed-ids`, `--seed-region`, `--no-seed-users` of cognito-emulator.py."""
    if args.seed is None:
        return
    try:
        seed = wait_for(Path(args.seed), args.seed_timeout)
        lines = create(seed, args.seed_region, create_users=not args.no_seed_users)
    except (SeedError, KeyError, TypeError) as err:
        sys.exit(f"cognito-seed: {err}")
    except MOTO_ERRORS as err:  # moto refusing an input the model allows
        sys.exit(f"cognito-seed: the emulator could not create the template's user pools: {_describe(err)}")
    if args.seed_ids:
        write_ids(Path(args.seed_ids), lines)
    pools = sum(1 for name, _ in lines if name.startswith("USERNAME_"))
    print(f"cognito-seed: created {len(seed.get('pools', []))} user pool(s), users in {pools}", file=sys.stderr)
