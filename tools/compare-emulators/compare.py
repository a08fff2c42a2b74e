"""make compare-emulators: the project's Cognito emulator (moto + scripts/cognito-emulator.py) beside
ministack, on the flows this project uses, measured on this machine.

Both run as servers on free loopback ports and get the same calls, from the same clients (boto3,
pycognito's SRP, Authlib's OAuth 2.0 client, requests on the login page): each check states what
Amazon Cognito does (docs/cognito-emulator.md, ../shared/notes/MANAGED-LOGIN.md) and passes only if
the emulator does it. Then: ids across a restart, start time, memory at rest, installed size, and
how much of the emulator rests on another project's internals. Prints a Markdown report (and
writes it to --report). Not part of `make test`: it starts each emulator several times (about a
minute). Run with the aws venv's interpreter (boto3, pycognito, Authlib): see the Makefile.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import boto3
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from botocore.config import Config
from joserfc import jwt
from joserfc.jwk import KeySet
from pycognito.aws_srp import AWSSRP

REPO = Path(__file__).resolve().parents[2]
APP = "http://localhost:5173"  # the template's AllowedOrigin
PASSWORD = "Compare-Passw0rd!"
START_RUNS = 5
READY_TIMEOUT = 60

# The template's app client (template.yaml's UserPoolClient), as create-user-pool-client takes it.
CLIENT = {
    "ClientName": "hello-api-spa",
    "GenerateSecret": False,
    "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ReadAttributes": ["email", "email_verified", "phone_number", "phone_number_verified"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "phone"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": [APP],
    "LogoutURLs": [APP],
}

# An emulator's distribution closure, measured by the emulator's own interpreter: every installed
# package the roots need (extras followed), with the bytes of the files their RECORD lists.
CLOSURE = r"""
import importlib.metadata as md, json, os, sys
from pip._vendor.packaging.requirements import Requirement
seen, todo, size = {}, [Requirement(r) for r in sys.argv[1:]], 0
while todo:
    req = todo.pop()
    try:
        dist = md.distribution(req.name)
    except md.PackageNotFoundError:
        continue
    name = dist.metadata["Name"].lower()
    extras = set(req.extras)
    if name in seen and extras <= seen[name]:
        continue
    first = name not in seen
    seen[name] = seen.get(name, set()) | extras
    if first:
        for f in dist.files or []:
            path = dist.locate_file(f)
            if os.path.isfile(path):
                size += os.path.getsize(path)
    for line in dist.requires or []:
        sub = Requirement(line)
        if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in (seen[name] or {""})):
            todo.append(sub)
print(json.dumps({"packages": len(seen), "bytes": size, "version": md.version(sys.argv[1].split("[")[0])}))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    def __init__(self, name, python, command, env, closure_roots, internals):
        self.name, self.python, self.command, self.env = name, python, command, env
        self.closure_roots, self.internals = closure_roots, internals
        self.process = self.endpoint = None
        self.scratch = tempfile.mkdtemp(prefix=f"compare-{name.split()[0]}-")

    def start(self):
        """Starts on a free port; seconds until the Cognito API first answers."""
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        self.process = subprocess.Popen(
            self.command(port),
            env={**os.environ, "TMPDIR": self.scratch, **self.env(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.idp = boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10),
        )
        while True:
            try:
                self.idp.list_user_pools(MaxResults=1)
                return time.monotonic() - started
            except Exception:  # noqa: BLE001 (not up yet: refused, reset, 5xx)
                if self.process.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not start")
                time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def rss_mib(self):
        """Resident memory of the emulator's processes (it and its children)."""
        total, todo = 0, [self.process.pid]
        while todo:
            pid = todo.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, AttributeError):
                continue
        return total / 1024

    def closure(self):
        out = subprocess.run(
            [self.python, "-c", CLOSURE, *self.closure_roots], capture_output=True, text=True, check=True
        ).stdout
        return json.loads(out)


def setup(emulator):
    """The local stack's pool, client and user, made the same way on both."""
    idp = emulator.idp
    pool = idp.create_user_pool(PoolName="hello-api-users", UsernameConfiguration={"CaseSensitive": False})["UserPool"][
        "Id"
    ]
    client = idp.create_user_pool_client(UserPoolId=pool, **CLIENT)["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool,
        Username="user-a",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "usera@example.com"}, {"Name": "email_verified", "Value": "true"}],
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="user-a", Password=PASSWORD, Permanent=True)
    return pool, client


# ---- the flows -----------------------------------------------------------------------------------


class Form(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.action, self.fields = None, {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def query(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Flows:
    def __init__(self, emulator, pool, client):
        self.e, self.idp, self.pool, self.client = emulator, emulator.idp, pool, client
        self.discovery = requests.get(f"{emulator.endpoint}/{pool}/.well-known/openid-configuration", timeout=10).json()
        self.token_url = self.discovery.get("token_endpoint") or f"{emulator.endpoint}/oauth2/token"
        self.authorize = self.discovery.get("authorization_endpoint") or f"{emulator.endpoint}/oauth2/authorize"

    def oauth(self, **options):
        return OAuth2Session(
            self.client,
            token_endpoint_auth_method="none",
            **{"redirect_uri": APP, "scope": "openid email", "code_challenge_method": "S256", **options},
        )

    def browse(self, browser, url):
        """GET, following redirects while they stay on the emulator (never into the app)."""
        while True:
            answer = browser.get(url, allow_redirects=False, timeout=10)
            location = urljoin(url, answer.headers.get("Location", ""))
            if (
                answer.status_code not in (301, 302, 303, 307)
                or urlsplit(location).netloc != urlsplit(self.e.endpoint).netloc
            ):
                return answer
            url = location

    def login(self, browser, url, password=PASSWORD):
        """Opens an authorize URL, fills in whatever login form comes, submits: the answer, unfollowed."""
        page = self.browse(browser, url)
        form = Form(page.text)
        if page.status_code != 200 or form.action is None:
            return page
        data = {**form.fields, "username": "user-a", "password": password}
        return browser.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=10)

    def code(self, browser=None, verifier=None, **params):
        oauth = self.oauth()
        verifier = verifier or secrets.token_urlsafe(48)
        url, _ = oauth.create_authorization_url(self.authorize, code_verifier=verifier, **params)
        answer = self.login(browser or requests.Session(), url)
        location = answer.headers.get("Location", "")
        assert answer.status_code == 302 and location.startswith(APP) and "code" in query(location), (
            f"no code ({answer.status_code})"
        )
        return oauth, verifier, location

    def tokens(self, **params):
        oauth, verifier, location = self.code(**params)
        return oauth, oauth.fetch_token(self.token_url, authorization_response=location, code_verifier=verifier)

    def refused_with(self, call, error):
        try:
            call()
        except OAuthError as err:
            return err.error == error
        return False

    def admin(self, password=PASSWORD):
        return self.idp.admin_initiate_auth(
            UserPoolId=self.pool,
            ClientId=self.client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "user-a", "PASSWORD": password},
        )

    def srp(self, password):
        return AWSSRP(
            username="user-a", password=password, pool_id=self.pool, client_id=self.client, client=self.idp
        ).authenticate_user()

    def refresh_api(self, refresh_token):
        return self.idp.initiate_auth(
            ClientId=self.client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
        )

    # Each returns True when the emulator does what Cognito does.

    def admin_password(self):
        assert "IdToken" in self.admin()["AuthenticationResult"]
        try:
            self.admin("Wrong-Passw0rd!")
        except self.idp.exceptions.NotAuthorizedException:
            return True
        return False

    def srp_right(self):
        return claims(self.srp(PASSWORD)["AuthenticationResult"]["IdToken"])["cognito:username"] == "user-a"

    def srp_wrong(self):
        try:
            self.srp("Wrong-Passw0rd!")
        except self.idp.exceptions.NotAuthorizedException:
            return True
        return False

    def refresh_token_auth(self):
        token = self.admin()["AuthenticationResult"]["RefreshToken"]
        return "IdToken" in self.refresh_api(token)["AuthenticationResult"]

    def revoke_token_api(self):
        token = self.admin()["AuthenticationResult"]["RefreshToken"]
        self.idp.revoke_token(Token=token, ClientId=self.client)
        try:
            self.refresh_api(token)
        except self.idp.exceptions.NotAuthorizedException:
            return True
        return False

    def tokens_verify(self):
        token = self.admin()["AuthenticationResult"]["IdToken"]
        keys = KeySet.import_key_set(requests.get(self.discovery["jwks_uri"], timeout=10).json())
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
        return decoded.claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{self.pool}"

    def discovery_endpoints(self):
        wanted = (
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "end_session_endpoint",
            "revocation_endpoint",
        )
        return all(str(self.discovery.get(k, "")).startswith(self.e.endpoint) for k in wanted)

    def code_flow(self):
        _oauth, token = self.tokens()
        return {"access_token", "id_token", "refresh_token"} <= set(token)

    def wrong_verifier(self):
        oauth, _verifier, location = self.code()
        return self.refused_with(
            lambda: oauth.fetch_token(
                self.token_url, authorization_response=location, code_verifier=secrets.token_urlsafe(48)
            ),
            "invalid_grant",
        )

    def replayed_code(self):
        oauth, verifier, location = self.code()
        oauth.fetch_token(self.token_url, authorization_response=location, code_verifier=verifier)
        return self.refused_with(
            lambda: oauth.fetch_token(self.token_url, authorization_response=location, code_verifier=verifier),
            "invalid_grant",
        )

    def plain_refused(self):
        verifier = secrets.token_urlsafe(48)
        url, _ = self.oauth().create_authorization_url(
            self.authorize, code_challenge=verifier, code_challenge_method="plain"
        )
        answer = self.login(requests.Session(), url)
        return query(answer.headers.get("Location", "")).get("error") == "invalid_request"

    def wrong_redirect_uri(self):
        url, _ = self.oauth(redirect_uri=APP + "/").create_authorization_url(self.authorize)
        answer = self.browse(requests.Session(), url)
        return answer.status_code == 400 and answer.headers.get("Content-Type", "").startswith("text/html")

    def wrong_logout_uri(self):
        answer = requests.get(
            f"{self.e.endpoint}/logout",
            allow_redirects=False,
            timeout=10,
            params={"client_id": self.client, "logout_uri": "https://evil.example"},
        )
        return not answer.headers.get("Location", "").startswith("https://evil.example") and answer.status_code in (
            302,
            400,
        )

    def skips_form(self, browser):
        url, _ = self.oauth().create_authorization_url(self.authorize, code_verifier=secrets.token_urlsafe(48))
        return browser.get(url, allow_redirects=False, timeout=10).headers.get("Location", "").startswith(APP)

    def session_skips_form(self):
        browser = requests.Session()
        self.code(browser=browser)
        return self.skips_form(browser)

    def logout_ends_session(self):
        """A session that skipped the form before /logout, and does not after it."""
        browser = requests.Session()
        self.code(browser=browser)
        before = self.skips_form(browser)
        browser.get(
            f"{self.e.endpoint}/logout",
            allow_redirects=False,
            timeout=10,
            params={"client_id": self.client, "logout_uri": APP},
        )
        return before and not self.skips_form(browser)

    def scope_as_requested(self):
        _oauth, token = self.tokens()
        return set(claims(token["access_token"]).get("scope", "").split()) == {"openid", "email"}

    def nonce(self):
        _oauth, token = self.tokens(nonce="compare-nonce")
        return claims(token["id_token"]).get("nonce") == "compare-nonce"

    def at_hash(self):
        _oauth, token = self.tokens()
        digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
        return claims(token["id_token"]).get("at_hash") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def auth_time_on_refresh(self):
        oauth, token = self.tokens()
        # Claims count whole seconds, and ministack's clock cannot be moved: let one second pass.
        time.sleep(1.1)
        new = oauth.refresh_token(self.token_url, refresh_token=token["refresh_token"])
        return claims(new["id_token"])["auth_time"] == claims(token["id_token"])["auth_time"]

    def oauth_revoke(self):
        oauth, token = self.tokens()
        answer = requests.post(
            self.discovery.get("revocation_endpoint") or f"{self.e.endpoint}/oauth2/revoke",
            data={"token": token["refresh_token"], "client_id": self.client},
            timeout=10,
        )
        return answer.status_code == 200 and self.refused_with(
            lambda: oauth.refresh_token(self.token_url, refresh_token=token["refresh_token"]), "invalid_grant"
        )

    def user_info(self):
        _oauth, token = self.tokens()
        url = self.discovery.get("userinfo_endpoint")
        good = requests.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
        api = self.admin()["AuthenticationResult"]["AccessToken"]
        refused = requests.get(url, headers={"Authorization": f"Bearer {api}"}, timeout=10)
        return (
            good.status_code == 200 and good.json().get("email") == "usera@example.com" and refused.status_code >= 400
        )

    def cors(self):
        _oauth, token = self.tokens()

        answer = requests.post(
            self.token_url,
            headers={"Origin": APP},
            timeout=10,
            data={"grant_type": "refresh_token", "client_id": self.client, "refresh_token": token["refresh_token"]},
        )
        return answer.status_code == 200 and answer.headers.get("Access-Control-Allow-Origin") in (APP, "*")

    def error_json(self):
        answer = requests.post(
            self.token_url,
            timeout=10,
            data={
                "grant_type": "authorization_code",
                "client_id": self.client,
                "code": str(uuid.uuid4()),
                "redirect_uri": APP,
                "code_verifier": "x" * 43,
            },
        )
        return (
            answer.status_code == 400
            and answer.headers.get("Content-Type", "").startswith("application/json")
            and answer.json().get("error") == "invalid_grant"
        )


CHECKS = [
    ("API", "admin-initiate-auth (the walkthrough): right password signs in, wrong one refused", Flows.admin_password),
    ("API", "SRP: the right password signs in", Flows.srp_right),
    ("API", "SRP: a wrong password is refused (NotAuthorizedException)", Flows.srp_wrong),
    ("API", "REFRESH_TOKEN_AUTH renews the tokens", Flows.refresh_token_auth),
    ("API", "RevokeToken: the refresh token stops working", Flows.revoke_token_api),
    ("API", "tokens verify with the discovery document's jwks_uri; iss in AWS's form", Flows.tokens_verify),
    (
        "managed login",
        "discovery lists authorize, token, userInfo, end_session and revocation endpoints",
        Flows.discovery_endpoints,
    ),
    ("managed login", "authorization code + PKCE S256 signs in", Flows.code_flow),
    ("managed login", "wrong code_verifier: invalid_grant", Flows.wrong_verifier),
    ("managed login", "replayed code: invalid_grant", Flows.replayed_code),
    ("managed login", "PKCE method plain refused", Flows.plain_refused),
    (
        "managed login",
        "unregistered redirect_uri (a trailing slash) never reaches the app: an HTML error page, 400",
        Flows.wrong_redirect_uri,
    ),
    ("managed login", "unregistered logout_uri refused", Flows.wrong_logout_uri),
    ("managed login", "second authorize inside the session skips the form (cookie)", Flows.session_skips_form),
    ("managed login", "/logout ends the session: the next authorize shows the form", Flows.logout_ends_session),
    ("managed login", "access token's scope is the requested one (openid email)", Flows.scope_as_requested),
    ("managed login", "nonce echoed in the ID token", Flows.nonce),
    ("managed login", "at_hash in the ID token, correct", Flows.at_hash),
    ("managed login", "auth_time unchanged by a refresh (oidc-client-ts checks it)", Flows.auth_time_on_refresh),
    ("managed login", "/oauth2/revoke: the refresh token stops working", Flows.oauth_revoke),
    (
        "managed login",
        "userInfo: 200 with email for a code-flow token, refused for an InitiateAuth one",
        Flows.user_info,
    ),
    ("managed login", "CORS on the token response for the app's origin (a browser can read it)", Flows.cors),
    ("managed login", "token errors are JSON with Cognito's error code", Flows.error_json),
]


def run_checks(emulator):
    emulator.start()
    try:
        flows = Flows(emulator, *setup(emulator))
        results = {}
        for _group, label, check in CHECKS:
            try:
                results[label] = (bool(check(flows)), "")
            except Exception as err:  # noqa: BLE001 (a failed flow is a result, with its reason)
                results[label] = (False, f"{type(err).__name__}: {str(err)[:80]}")
        rss = emulator.rss_mib()
    finally:
        emulator.stop()
    return results, rss


def stable_ids(emulator):
    ids = []
    for _ in range(2):
        emulator.start()
        try:
            ids.append(setup(emulator))
        finally:
            emulator.stop()
    return ids[0] == ids[1]


def start_times(emulator):
    times = []
    for _ in range(START_RUNS):
        times.append(emulator.start())
        emulator.stop()
    return times


def emulators(args):
    aws_python = str(REPO / args.aws_venv / "bin/python")
    ministack_venv = REPO / args.ministack_venv
    sys.path.insert(0, str(REPO / "scripts"))
    import cognito_managed_login

    internals = len(cognito_managed_login.MOTO_INTERNALS) + sum(
        map(len, cognito_managed_login.MOTO_INSTANCE_ATTRIBUTES.values())
    )
    return [
        Emulator(
            "moto + our layer",
            aws_python,
            lambda port: [aws_python, str(REPO / "scripts/cognito-emulator.py"), "-H", "127.0.0.1", "-p", str(port)],
            # What scripts/local-stack.sh sets.
            lambda port: {
                "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
                "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
            },
            ["moto[server]", "pycognito"],
            internals,
        ),
        Emulator(
            "ministack",
            str(ministack_venv / "bin/python"),
            lambda port: [str(ministack_venv / "bin/ministack")],
            # Loopback only, no MQTT listener, Cognito only, quiet.
            lambda port: {
                "GATEWAY_PORT": str(port),
                "BIND_HOST": "127.0.0.1",
                "MINISTACK_HOST": "127.0.0.1",
                "IOT_MTLS_ENABLED": "0",
                "SERVICES": "cognito-idp",
                "LOG_LEVEL": "WARNING",
            },
            ["ministack", "cryptography"],
            None,
        ),
    ]


def report(rows, names):
    lines = [f"| | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
    lines += [f"| {label} | {' | '.join(cells)} |" for label, cells in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aws-venv", default=".tools/aws")
    parser.add_argument("--ministack-venv", default=".tools/ministack")
    parser.add_argument("--report", default="target/compare-emulators.md")
    args = parser.parse_args()
    started = time.monotonic()
    measured = []
    for emulator in emulators(args):
        print(f"measuring {emulator.name} ...", file=sys.stderr)
        results, rss = run_checks(emulator)
        closure = emulator.closure()
        measured.append(
            {
                "emulator": emulator,
                "results": results,
                "rss": rss,
                "closure": closure,
                "stable": stable_ids(emulator),
                "starts": start_times(emulator),
            }
        )

    names = [f"{m['emulator'].name} ({m['closure']['version']})" for m in measured]
    rows = []
    for group in ("API", "managed login"):
        labels = [label for g, label, _ in CHECKS if g == group]
        rows.append(
            (
                f"**{group}: as Cognito does**",
                [f"**{sum(m['results'][lb][0] for lb in labels)}/{len(labels)}**" for m in measured],
            )
        )
        for label in labels:
            rows.append(
                (label, ["yes" if m["results"][label][0] else f"no {m['results'][label][1]}".strip() for m in measured])
            )
    rows += [
        ("pool and client ids the same after a restart", ["yes" if m["stable"] else "no" for m in measured]),
        (
            f"start to first Cognito answer, median of {START_RUNS} (min-max)",
            [
                f"{statistics.median(m['starts']):.2f} s ({min(m['starts']):.2f}-{max(m['starts']):.2f})"
                for m in measured
            ],
        ),
        ("memory at rest after the checks (RSS)", [f"{m['rss']:.0f} MiB" for m in measured]),
        (
            "installed: the emulator's packages",
            [f"{m['closure']['bytes'] / 1e6:.0f} MB, {m['closure']['packages']} packages" for m in measured],
        ),
        (
            "another project's internals it relies on",
            [
                f"{m['emulator'].internals} names of moto's, checked at start"
                if m["emulator"].internals is not None
                else "none: its managed login is its own code (an upgrade changes behaviour, unannounced)"
                for m in measured
            ],
        ),
    ]
    text = (
        f"Measured {time.strftime('%Y-%m-%d')} on {os.uname().nodename} ({os.cpu_count()} cores) by "
        f"`make compare-emulators` in {time.monotonic() - started:.0f} s.\n\n{report(rows, names)}\n"
    )
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
