"""Tests of the emulator's --seed (scripts/cognito_seed.py): the emulator started as a server on a
free loopback port with a seed document (the shape `local-api-gateway cognito-seed` prints),
then checked from outside with boto3, as the local stack and the walkthrough use it.

    .tools/aws/bin/python -m unittest discover -s scripts -p 'test_cognito_seed.py' -v
"""

import json
import re
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import boto3
import cognito_seed
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from free_ports import free_port

EMULATOR = Path(__file__).with_name("cognito-emulator.py")

POOL = {
    "PoolName": "local-users",
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
}
CLIENT = {
    "ClientName": "spa",
    "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "GenerateSecret": False,
}


class Emulator:
    """The emulator with `--seed`, its seed written only after it started (as the stack does)."""

    def __init__(self, seed, *extra):
        self.dir = tempfile.TemporaryDirectory()
        self.seed_path = Path(self.dir.name) / "seed.json"
        self.ids_path = Path(self.dir.name) / "ids.env"
        self.log_path = Path(self.dir.name) / "emulator.log"
        self.endpoint = f"http://127.0.0.1:{free_port()}"
        self.log = open(self.log_path, "w+b")  # noqa: SIM115 (closed by close)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(EMULATOR),
                "-H",
                "127.0.0.1",
                "-p",
                self.endpoint.rsplit(":", 1)[1],
                "--seed",
                str(self.seed_path),
                "--seed-ids",
                str(self.ids_path),
                *extra,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={"MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH", "PATH": "/usr/bin:/bin"},
        )
        partial = self.seed_path.with_suffix(".partial")
        partial.write_text(json.dumps(seed))
        partial.rename(self.seed_path)
        self.idp = boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}),
        )

    def wait_ready(self):
        """The ids, once the server answers (they are written before it listens)."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self.idp.list_user_pools(MaxResults=1)
                break
            except (BotoCoreError, ClientError):  # not up yet: refused, reset, 5xx
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the emulator did not start:\n{self.output()}")
                time.sleep(0.05)
        return dict(line.split("=", 1) for line in self.ids_path.read_text().splitlines())

    def wait_exit(self):
        return self.process.wait(timeout=60)

    def output(self):
        self.log.flush()
        return self.log_path.read_text()

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.dir.cleanup()


def sign_in(idp, pool_id, client_id, username, password=cognito_seed.PASSWORD):
    return idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]


class SeedTest(unittest.TestCase):
    def start(self, seed, *extra):
        emulator = Emulator(seed, *extra)
        self.addCleanup(emulator.close)
        return emulator

    def test_every_pool_and_client_is_created_with_the_walkthrough_user(self):
        emulator = self.start(
            {
                "pools": [
                    {
                        "logicalId": "UserPool",
                        "input": POOL,
                        "clients": [
                            {"logicalId": "WebClient", "input": CLIENT},
                            {"logicalId": "CliClient", "input": {**CLIENT, "ClientName": "cli"}},
                        ],
                    },
                    {
                        "logicalId": "AdminPool",
                        "input": {"PoolName": "admins"},
                        "clients": [
                            {"logicalId": "AdminClient", "input": CLIENT},
                        ],
                    },
                ]
            }
        )
        ids = emulator.wait_ready()
        self.assertEqual(
            sorted(ids),
            [
                "CLIENTS_AdminPool",
                "CLIENTS_UserPool",
                "ID_AdminClient",
                "ID_AdminPool",
                "ID_CliClient",
                "ID_UserPool",
                "ID_WebClient",
                "USERNAME_AdminPool",
                "USERNAME_UserPool",
            ],
        )
        self.assertEqual((ids["CLIENTS_UserPool"], ids["CLIENTS_AdminPool"]), ("WebClient,CliClient", "AdminClient"))
        pool = emulator.idp.describe_user_pool(UserPoolId=ids["ID_UserPool"])["UserPool"]
        self.assertEqual(pool["Name"], "local-users")
        self.assertEqual(pool["Policies"]["PasswordPolicy"]["MinimumLength"], 12)
        client = emulator.idp.describe_user_pool_client(UserPoolId=ids["ID_UserPool"], ClientId=ids["ID_CliClient"])
        self.assertEqual(client["UserPoolClient"]["ClientName"], "cli")
        for pool_id, client_id in [
            (ids["ID_UserPool"], ids["ID_WebClient"]),
            (ids["ID_AdminPool"], ids["ID_AdminClient"]),
        ]:
            user = emulator.idp.admin_get_user(UserPoolId=pool_id, Username="user-a")
            self.assertEqual(user["UserStatus"], "CONFIRMED")
            attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
            self.assertEqual((attributes["email"], attributes["email_verified"]), ("usera@example.com", "true"))
            self.assertIn("IdToken", sign_in(emulator.idp, pool_id, client_id, "user-a"))
        with self.assertRaises(emulator.idp.exceptions.NotAuthorizedException):
            sign_in(emulator.idp, ids["ID_UserPool"], ids["ID_WebClient"], "user-a", "Wrong-Passw0rd!")

    def test_the_ids_are_the_same_at_every_start(self):
        seed = {"pools": [{"logicalId": "UserPool", "input": POOL, "clients": []}]}
        first = self.start(seed).wait_ready()
        second = self.start(seed).wait_ready()
        self.assertEqual(first["ID_UserPool"], second["ID_UserPool"])
        self.assertRegex(first["ID_UserPool"], r"^us-east-1_\w+$")

    def test_an_email_sign_in_pool_gets_the_user_by_email(self):
        emulator = self.start(
            {
                "pools": [
                    {
                        "logicalId": "EmailPool",
                        "input": {"PoolName": "by-email", "UsernameAttributes": ["email"]},
                        "clients": [{"logicalId": "C", "input": CLIENT}],
                    }
                ]
            }
        )
        ids = emulator.wait_ready()
        self.assertEqual(ids["USERNAME_EmailPool"], "usera@example.com")
        self.assertIn("IdToken", sign_in(emulator.idp, ids["ID_EmailPool"], ids["ID_C"], "usera@example.com"))

    def test_a_pool_whose_rules_refuse_the_user_still_starts_without_one(self):
        strict = {"PoolName": "strict", "Policies": {"PasswordPolicy": {"MinimumLength": 40}}}
        emulator = self.start({"pools": [{"logicalId": "Strict", "input": strict, "clients": []}]})
        ids = emulator.wait_ready()
        self.assertNotIn("USERNAME_Strict", ids)
        self.assertIn("Strict: no user created: InvalidPasswordException", emulator.output())
        self.assertEqual(emulator.idp.list_users(UserPoolId=ids["ID_Strict"])["Users"], [])

    def test_no_users_on_request(self):
        emulator = self.start({"pools": [{"logicalId": "UserPool", "input": POOL, "clients": []}]}, "--no-seed-users")
        ids = emulator.wait_ready()
        self.assertEqual(list(ids), ["ID_UserPool", "CLIENTS_UserPool"])
        self.assertEqual(emulator.idp.list_users(UserPoolId=ids["ID_UserPool"])["Users"], [])

    def test_a_template_without_pools_seeds_nothing(self):
        emulator = self.start({"pools": []})
        self.assertEqual(emulator.wait_ready(), {})

    def test_a_property_the_api_does_not_take_stops_the_emulator_naming_the_resource(self):
        emulator = self.start(
            {
                "pools": [
                    {
                        "logicalId": "UserPool",
                        "input": POOL,
                        "clients": [{"logicalId": "BadClient", "input": {**CLIENT, "RefreshTokenValidity": "thirty"}}],
                    }
                ]
            }
        )
        self.assertNotEqual(emulator.wait_exit(), 0)
        output = emulator.output()
        self.assertIn("BadClient: CreateUserPoolClient refuses its properties", output)
        self.assertIn("RefreshTokenValidity", output)

    def test_the_password_is_the_walkthroughs(self):
        walkthrough = Path(__file__).with_name("walkthrough.sh").read_text()
        self.assertEqual(
            re.search(r"^LOCAL_PASSWORD='([^']+)'$", walkthrough, re.MULTILINE).group(1), cognito_seed.PASSWORD
        )


if __name__ == "__main__":
    unittest.main()
