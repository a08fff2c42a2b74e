"""Tests of scripts/cognito-emulator.py's SRP layer against the real thing: the emulator started as
a server on a free loopback port, driven with boto3 and pycognito's client-side SRP (an
implementation independent of the server half under test). Managed login: test_managed_login.py.

    .tools/aws/bin/python -m unittest discover -s scripts -p 'test_cognito_emulator.py' -v
"""

import base64
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from free_ports import free_port
from pycognito.aws_srp import AWSSRP, N_HEX

EMULATOR = Path(__file__).with_name("cognito-emulator.py")
PASSWORD = "Right-Passw0rd!"


def start_emulator(test_class, *extra_args):
    """Starts the emulator on a free loopback port for `test_class` (sets endpoint, log, server
    and idp on it) and waits until it answers; tearDownClass must call stop_emulator."""
    port = free_port()
    test_class.endpoint = f"http://127.0.0.1:{port}"
    test_class.log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"cognito-emulator-test-{port}.log", "w+b")  # noqa: SIM115 (closed by stop_emulator)
    test_class.server = subprocess.Popen(
        [sys.executable, str(EMULATOR), "-H", "127.0.0.1", "-p", str(port), *extra_args],
        stdout=test_class.log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{test_class.endpoint}/moto-api/", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError):
            if test_class.server.poll() is not None or time.monotonic() > deadline:
                stop_emulator(test_class)
                raise RuntimeError("the emulator did not start")
            time.sleep(0.1)
    test_class.idp = boto3.client(
        "cognito-idp",
        endpoint_url=test_class.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def stop_emulator(test_class):
    test_class.server.terminate()
    try:
        test_class.server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        test_class.server.kill()
        test_class.server.wait()
    test_class.log.close()


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_emulator(cls)
        cls.pool_id = cls.idp.create_user_pool(PoolName="test")["UserPool"]["Id"]
        cls.client_id = cls.idp.create_user_pool_client(
            UserPoolId=cls.pool_id,
            ClientName="spa",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]["ClientId"]
        cls.create_user("user-a")

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls)

    @classmethod
    def create_user(cls, username, pool_id=None):
        pool_id = pool_id or cls.pool_id
        cls.idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        cls.idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)

    def srp(self, username, password, client_id=None, pool_id=None):
        return AWSSRP(
            username=username,
            password=password,
            pool_id=pool_id or self.pool_id,
            client_id=client_id or self.client_id,
            client=self.idp,
        )

    def challenge(self, srp):
        params = srp.get_auth_params()
        started = self.idp.initiate_auth(ClientId=srp.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
        self.assertEqual(started["ChallengeName"], "PASSWORD_VERIFIER")
        return started, params

    def answer(self, srp, started, responses, client_id=None):
        return self.idp.respond_to_auth_challenge(
            ClientId=client_id or self.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=started["Session"],
            ChallengeResponses=responses,
        )

    def assertNotAuthorized(self, call, message="Incorrect username or password."):
        with self.assertRaises(self.idp.exceptions.NotAuthorizedException) as caught:
            call()
        self.assertEqual(caught.exception.response["Error"]["Message"], message)

    def claims(self, jwt):
        payload = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    # ---- USER_SRP_AUTH ----------------------------------------------------------------------

    def test_right_password_signs_in(self):
        tokens = self.srp("user-a", PASSWORD).authenticate_user()["AuthenticationResult"]
        self.assertEqual(self.claims(tokens["IdToken"])["cognito:username"], "user-a")
        self.assertEqual(self.claims(tokens["AccessToken"])["username"], "user-a")
        self.assertTrue(tokens["RefreshToken"])

    def test_challenge_looks_like_cognitos(self):
        started, _ = self.challenge(self.srp("user-a", PASSWORD))
        params = started["ChallengeParameters"]
        # The id the client must use in its proof is the username, not moto's `sub`.
        self.assertEqual(params["USER_ID_FOR_SRP"], "user-a")
        self.assertEqual(len(base64.b64decode(params["SECRET_BLOCK"], validate=True)), 64)
        for field in ("SALT", "SRP_B"):
            self.assertEqual(len(params[field]) % 2, 0, field)  # padded hex, as Cognito sends

    def test_wrong_password_fails(self):
        self.assertNotAuthorized(self.srp("user-a", "Wrong-Passw0rd!").authenticate_user)

    def test_unknown_user_fails_like_a_wrong_password(self):
        # PreventUserExistenceErrors=ENABLED: a challenge comes back, its answer fails.
        self.assertNotAuthorized(self.srp("nobody", PASSWORD).authenticate_user)

    def test_unknown_user_without_prevention_is_named(self):
        legacy = self.idp.create_user_pool_client(
            UserPoolId=self.pool_id, ClientName="legacy", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
        )["UserPoolClient"]["ClientId"]
        with self.assertRaises(self.idp.exceptions.UserNotFoundException):
            self.srp("nobody", PASSWORD, client_id=legacy).authenticate_user()

    def test_secret_block_answers_once(self):
        srp = self.srp("user-a", PASSWORD)
        started, params = self.challenge(srp)
        responses = srp.process_challenge(started["ChallengeParameters"], params)
        self.assertIn("AuthenticationResult", self.answer(srp, started, responses))
        self.assertNotAuthorized(lambda: self.answer(srp, started, responses), "Invalid session for the user.")

    def test_failed_attempt_burns_the_secret_block(self):
        wrong = self.srp("user-a", "Wrong-Passw0rd!")
        started, params = self.challenge(wrong)
        self.assertNotAuthorized(
            lambda: self.answer(wrong, started, wrong.process_challenge(started["ChallengeParameters"], params))
        )
        # The right password cannot reuse that challenge afterwards.
        right = self.srp("user-a", PASSWORD)
        right.small_a_value, right.large_a_value = wrong.small_a_value, wrong.large_a_value
        responses = right.process_challenge(started["ChallengeParameters"], params)
        self.assertNotAuthorized(lambda: self.answer(right, started, responses), "Invalid session for the user.")

    def test_a_worthless_srp_a_is_refused(self):
        # A = 0 or N (0 modulo N) would let anyone compute the session key; not hex is no A.
        for srp_a in ("0", N_HEX, "not-hex"):
            self.assertNotAuthorized(
                lambda srp_a=srp_a: self.idp.initiate_auth(
                    ClientId=self.client_id,
                    AuthFlow="USER_SRP_AUTH",
                    AuthParameters={"USERNAME": "user-a", "SRP_A": srp_a},
                )
            )

    def test_proof_is_bound_to_the_user(self):
        self.create_user("user-b")
        srp = self.srp("user-a", PASSWORD)
        started, params = self.challenge(srp)
        responses = srp.process_challenge(started["ChallengeParameters"], params)
        responses["USERNAME"] = "user-b"
        self.assertNotAuthorized(lambda: self.answer(srp, started, responses))

    def test_proof_over_another_timestamp_fails(self):
        srp = self.srp("user-a", PASSWORD)
        started, params = self.challenge(srp)
        responses = srp.process_challenge(started["ChallengeParameters"], params)
        responses["TIMESTAMP"] = responses["TIMESTAMP"].replace("UTC", "GMT")
        self.assertNotAuthorized(lambda: self.answer(srp, started, responses))

    def test_user_id_for_srp_is_accepted_as_username(self):
        # What amazon-cognito-identity-js does; in an email-as-username pool that id is the sub.
        pool_id = self.idp.create_user_pool(PoolName="emails", UsernameAttributes=["email"])["UserPool"]["Id"]
        client_id = self.idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="spa", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
        )["UserPoolClient"]["ClientId"]
        self.create_user("someone@example.com", pool_id=pool_id)
        srp = self.srp("someone@example.com", PASSWORD, client_id=client_id, pool_id=pool_id)
        started, params = self.challenge(srp)
        user_id = started["ChallengeParameters"]["USER_ID_FOR_SRP"]
        sub = self.idp.admin_get_user(UserPoolId=pool_id, Username="someone@example.com")["Username"]
        self.assertEqual(user_id, sub)
        responses = srp.process_challenge(started["ChallengeParameters"], params)
        responses["USERNAME"] = user_id
        tokens = self.answer(srp, started, responses, client_id=client_id)["AuthenticationResult"]
        self.assertEqual(self.claims(tokens["IdToken"])["email"], "someone@example.com")

    # ---- the flows moto already had ---------------------------------------------------------

    def admin_sign_in(self, password=PASSWORD):
        return self.idp.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "user-a", "PASSWORD": password},
        )

    def test_admin_user_password_auth_still_checks_the_password(self):
        self.assertIn("IdToken", self.admin_sign_in()["AuthenticationResult"])
        with self.assertRaises(self.idp.exceptions.NotAuthorizedException):
            self.admin_sign_in("Wrong-Passw0rd!")

    def refresh(self, refresh_token):
        return self.idp.initiate_auth(
            ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
        )

    def test_refresh_token_auth_still_works(self):
        refresh_token = self.srp("user-a", PASSWORD).authenticate_user()["AuthenticationResult"]["RefreshToken"]
        tokens = self.refresh(refresh_token)["AuthenticationResult"]
        self.assertEqual(self.claims(tokens["IdToken"])["cognito:username"], "user-a")

    def test_revoke_token_ends_the_refresh_token(self):
        refresh_token = self.srp("user-a", PASSWORD).authenticate_user()["AuthenticationResult"]["RefreshToken"]
        other = self.admin_sign_in()["AuthenticationResult"]["RefreshToken"]
        self.idp.revoke_token(Token=refresh_token, ClientId=self.client_id)
        self.assertNotAuthorized(lambda: self.refresh(refresh_token), "Refresh Token has been revoked")
        # Only that session: another sign-in of the same user keeps working.
        self.assertIn("IdToken", self.refresh(other)["AuthenticationResult"])
        # Revoking an unknown or already revoked token is not an error (RFC 7009).
        self.idp.revoke_token(Token=refresh_token, ClientId=self.client_id)

    def test_no_password_in_the_log(self):
        self.srp("user-a", PASSWORD).authenticate_user()
        self.log.flush()
        self.log.seek(0)
        self.assertNotIn(PASSWORD.encode(), self.log.read())


if __name__ == "__main__":
    unittest.main()
