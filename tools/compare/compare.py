"""make compare: this project's local API gateway beside the peers that install here from the
package registries — ministack (PyPI) and serverless-offline (npm) — on the same three routes, in
one run: the same token matrix through each, and the latency each adds.

The routes, each a GET /hello in front of a function that greets the caller: an HTTP API with a
JWT authorizer (a Cognito user pool as issuer, its app client as audience), a REST API with a
Cognito user pool authorizer (no scopes), and a REST API with a Lambda TOKEN authorizer.

- this project: `local-api-gateway serve --template tools/compare/template.yaml` (the bench-tools
  profile, optimized), the functions — the workspace's `hello` and examples/lambda-authorizer's
  `authorizer`, release builds — served by `cargo lambda watch --release`, tokens from the
  project's Cognito emulator (scripts/cognito-emulator.py, moto);
- ministack: its own Cognito, Lambda (the same two release binaries as provided.al2023
  bootstraps, which it runs on the host) and API Gateway, all made with boto3 calls (its
  CloudFormation drops HTTP API routes: ../shared/notes/PEERS.md);
- serverless-offline: serverless.yml and Node.js stand-ins of the two functions (handler.js):
  it runs Rust only in Docker. It has no Cognito: it gets the emulator's pool and tokens.

Each case states API Gateway's answer (../shared/FIELD-NOTES.md, notes/LAMBDA-AUTHORIZERS.md); a
tool matches when its status is that one, the function ran only when the request was allowed, and
an allowed caller was greeted by name. Every function answer carries the template's ALLOWED_ORIGIN
(hello sets it, handler.js too), which is how a 401 of the function is told from the gateway's.
Latency: interleaved rounds of sequential requests with a valid token over one keep-alive
connection per tool and route, after a warm-up; medians of the rounds' p50 and p99, and each
tool's ratio to this project in the same run; what the API layer adds is that p50 less the p50 of
invoking the same function through the same tool's Lambda Invoke API. Then each tool's start to
its first 200 and its memory (RSS). Prints a Markdown report (and writes --report).
Not part of `make test`. Run with the aws venv's interpreter (boto3, joserfc): see the Makefile.
"""

import argparse
import base64
import gzip
import http.client
import importlib.resources
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.yaml"
PASSWORD = "Compare-Passw0rd!"
USER = "user-a"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Every answer of the function carries this (template.yaml's ALLOWED_ORIGIN).
FUNCTION_MARK = "http://function.invalid"
READY_TIMEOUT = 120
ROUTES = {
    "http": "HTTP API · JWT authorizer",
    "rest": "REST API · Cognito user pool authorizer",
    "token": "REST API · Lambda TOKEN authorizer",
}
# The valid credential each route's latency is measured with.
VALID = {"http": "id", "rest": "id", "token": "allow-alice"}

UNAUTHORIZED = {"message": "Unauthorized"}
# REST ACCESS_DENIED: the current text (captures from late 2024 on) and the one before it.
EXPLICIT_DENY = [
    {"Message": "User is not authorized to access this resource with an explicit deny in an identity-based policy"},
    {"Message": "User is not authorized to access this resource with an explicit deny"},
]

# (route, case, credential, API Gateway's status, who is greeted). Credentials name a token of
# Tokens, or are a Lambda authorizer's token as sent; None sends no Authorization header.
CASES = [
    ("http", "no token", None, 401, None),
    ("http", "valid ID token", "id", 200, USER),
    ("http", "access token of the app client (client_id)", "access", 200, USER),
    ("http", "forged signature (another key, the pool's kid)", "forged", 401, None),
    ("http", "expired (signed by the pool's own key)", "expired", 401, None),
    ("http", "other issuer (another pool's ID token)", "other_pool", 401, None),
    ("http", "ID token of another app client (aud)", "other_client_id", 401, None),
    ("http", "access token of another app client (client_id)", "other_client_access", 401, None),
    ("rest", "no token", None, 401, None),
    ("rest", "valid ID token", "id", 200, USER),
    ("rest", "access token on a method without scopes", "access", 401, None),
    ("rest", "forged signature (another key, the pool's kid)", "forged", 401, None),
    ("rest", "expired (signed by the pool's own key)", "expired", 401, None),
    ("rest", "other issuer (another pool's ID token)", "other_pool", 401, None),
    ("rest", "ID token of another app client (aud is not checked)", "other_client_id", 200, USER),
    ("token", "allow-alice", "allow-alice", 200, "alice"),
    ("token", "deny", "deny", 403, None),
    ("token", "anything else (the authorizer fails with Unauthorized)", "nobody", 401, None),
    ("token", "no Authorization header (the authorizer is not invoked)", None, 401, None),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Processes:
    """Every process the run starts, each in its own process group, stopped at the end."""

    def __init__(self, logs):
        self.logs, self.started = logs, []

    def start(self, name, command, env=None, cwd=REPO):
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((name, process, log))
        return process

    def check(self):
        for name, process, _log in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): see {self.logs / name}.log")

    def wait_for(self, what, ready, timeout=READY_TIMEOUT):
        """Polls ready() until it is true; fails when a process died or after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001, S110 (not up yet: refused, reset, 5xx)
                pass
            self.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {timeout} s (logs: {self.logs})")
            time.sleep(0.05)

    def stop_all(self):
        for _name, process, _log in reversed(self.started):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for _name, process, log in reversed(self.started):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        self.started = []


def rss_mib(pids):
    """Resident memory of these processes and all their descendants."""
    total, todo, seen = 0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total / 1024


# ---- identities -----------------------------------------------------------------------------


def cognito_client(endpoint):
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10),
    )


def seed(idp, gateway):
    """The template's pool and both app clients (as `local-api-gateway cognito-seed` gives them),
    the user, and a second pool with a client and user of its own: the other issuer."""
    plan = json.loads(run([str(gateway), "cognito-seed", "--template", str(TEMPLATE)]))["pools"][0]
    ids = {"UserPool": idp.create_user_pool(**plan["input"])["UserPool"]}
    for client in plan["clients"]:
        ids[client["logicalId"]] = idp.create_user_pool_client(UserPoolId=ids["UserPool"]["Id"], **client["input"])[
            "UserPoolClient"
        ]["ClientId"]
    other = idp.create_user_pool(**{**plan["input"], "PoolName": "compare-other-issuer"})["UserPool"]
    ids["OtherPool"] = other
    ids["OtherPoolClient"] = idp.create_user_pool_client(UserPoolId=other["Id"], **plan["clients"][0]["input"])[
        "UserPoolClient"
    ]["ClientId"]
    for pool in (ids["UserPool"]["Id"], other["Id"]):
        idp.admin_create_user(
            UserPoolId=pool,
            Username=USER,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": "usera@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        idp.admin_set_user_password(UserPoolId=pool, Username=USER, Password=PASSWORD, Permanent=True)
    return ids


def sign_in(idp, pool, client):
    return idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": USER, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Tokens:
    """Real tokens of the tool's Cognito, and the bad ones made from them: `forged` is the valid
    ID token's header and claims signed by a key made here; `expired` is them with `exp` an hour
    ago, signed by the pool's own key (pool_key: moto ships its key, ministack keeps each pool's in
    its state directory). Each is checked against the pool's published keys to be what it claims."""

    def __init__(self, endpoint, ids, pool_key):
        idp = cognito_client(endpoint)
        pool = ids["UserPool"]["Id"]
        main = sign_in(idp, pool, ids["UserPoolClient"])
        other_client = sign_in(idp, pool, ids["OtherClient"])
        self.values = {
            "id": main["IdToken"],
            "access": main["AccessToken"],
            "other_client_id": other_client["IdToken"],
            "other_client_access": other_client["AccessToken"],
            "other_pool": sign_in(idp, ids["OtherPool"]["Id"], ids["OtherPoolClient"])["IdToken"],
        }
        header_part, claims_part, _ = self.values["id"].split(".")
        header, claims = b64json(header_part), b64json(claims_part)
        now = int(time.time())
        self.values["forged"] = jwt.encode(header, claims, RSAKey.generate_key(2048))
        self.values["expired"] = jwt.encode(
            header, {**claims, "iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}, pool_key(pool)
        )
        keys = KeySet.import_key_set(json.loads(http_get(f"{endpoint}/{pool}/.well-known/jwks.json")))
        for name, verifies in (("id", True), ("expired", True), ("forged", False)):
            try:
                jwt.decode(self.values[name], keys, algorithms=["RS256"])
                ok = verifies
            except Exception:  # noqa: BLE001 (any failure to verify)
                ok = not verifies
            if not ok:
                raise RuntimeError(f"the {name} token of {endpoint} is not what the case needs")

    def authorization(self, credential):
        if credential is None:
            return {}
        return {"Authorization": f"Bearer {self.values.get(credential, credential)}"}


def moto_key(_pool):
    """moto signs every pool's tokens with the key in its package."""
    text = (importlib.resources.files("moto.cognitoidp") / "resources/jwks-private.json.gz").read_bytes()
    return RSAKey.import_key(json.loads(gzip.decompress(text)))


# ---- HTTP -----------------------------------------------------------------------------------


def http_get(url, headers=None, method="GET", body=None, timeout=10):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, parts.path or "/", body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {url}: {response.status}")
        return data
    finally:
        connection.close()


def call(url, headers):
    """One request on a fresh connection: (status, body, whether the function answered)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        by_function = FUNCTION_MARK in (response.getheader("access-control-allow-origin") or "")
        return response.status, body, by_function
    finally:
        connection.close()


def answers(status, url, headers):
    return call(url, headers)[0] == status


def run(command, **kwargs):
    return subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True, **kwargs).stdout


def invoke_event():
    """What the direct-invoke baseline sends: an HTTP API event whose JWT claims name the user."""
    return (REPO / "events/http-api-id-token.json").read_bytes()


# ---- the tools ------------------------------------------------------------------------------


class Ours:
    name = "local-api-gateway"

    def __init__(self, procs, args):
        self.procs, self.args = procs, args
        self.gateway = REPO / "target/bench-tools/local-api-gateway"
        self.version = f"{run([str(self.gateway), '--version']).split()[-1]} (bench-tools build)"

    def start(self):
        """Cognito emulator, seeded; `cargo lambda watch`; the gateway: seconds to the first 200."""
        started = time.monotonic()
        self.cognito = f"http://127.0.0.1:{free_port()}"
        python = str(REPO / self.args.aws_venv / "bin/python")
        self.emulator = self.procs.start(
            "cognito-emulator",
            [python, "scripts/cognito-emulator.py", "-H", "127.0.0.1", "-p", str(urlsplit(self.cognito).port)],
            env={
                "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
                "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
            },
        )
        idp = cognito_client(self.cognito)
        self.procs.wait_for("the Cognito emulator", lambda: idp.list_user_pools(MaxResults=1))
        self.ids = seed(idp, self.gateway)
        self.tokens = Tokens(self.cognito, self.ids, moto_key)
        self.parts = {"Cognito emulator seeded": time.monotonic() - started}

        invoke_port = free_port()
        self.invoke_url = f"http://127.0.0.1:{invoke_port}/2015-03-31/functions/hello/invocations"
        env_file = self.procs.logs / "function.env"
        env_file.write_text(run([str(self.gateway), "function-env", "--template", str(TEMPLATE)]))
        self.watch = self.procs.start(
            "cargo-lambda-watch",
            [
                "cargo",
                "lambda",
                "watch",
                "--release",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                str(invoke_port),
                "--env-file",
                str(env_file),
            ],
            env={"PATH": f"{REPO / self.args.lambda_venv / 'bin'}:{os.environ['PATH']}"},
        )
        self.procs.wait_for("cargo lambda watch", lambda: port_open(invoke_port))
        # One invocation per function, so the gateway's first request does not build or start one.
        event = invoke_event()
        self.procs.wait_for("hello", lambda: http_get(self.invoke_url, method="POST", body=event))
        authorizer = self.invoke_url.replace("/hello/", "/authorizer/")
        token_event = json.dumps(
            {
                "type": "TOKEN",
                "authorizationToken": "allow-warm",
                "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:TokenApi/dev/GET/hello",
            }
        ).encode()
        self.procs.wait_for("authorizer", lambda: http_get(authorizer, method="POST", body=token_event))
        self.parts["functions answering"] = time.monotonic() - started

        ports = {api: free_port() for api in ("HttpApi", "RestApi", "TokenApi")}
        self.gateway_process = self.procs.start(
            "local-api-gateway",
            [
                str(self.gateway),
                "serve",
                "--template",
                str(TEMPLATE),
                "--region",
                REGION,
                "--resource-id",
                f"UserPool={self.ids['UserPool']['Id']}",
                "--resource-id",
                f"UserPoolClient={self.ids['UserPoolClient']}",
                "--resource-id",
                f"OtherClient={self.ids['OtherClient']}",
                *[arg for api, port in ports.items() for arg in ("--api-port", f"{api}={port}")],
                "--invoke-endpoint",
                f"http://127.0.0.1:{invoke_port}",
                "--jwks-origin",
                self.cognito,
            ],
        )
        self.urls = {
            "http": f"http://127.0.0.1:{ports['HttpApi']}/hello",
            "rest": f"http://127.0.0.1:{ports['RestApi']}/dev/hello",
            "token": f"http://127.0.0.1:{ports['TokenApi']}/dev/hello",
        }
        self.procs.wait_for("the HTTP API", lambda: answers(200, self.urls["http"], self.tokens.authorization("id")))
        return time.monotonic() - started

    def memory(self):
        return {
            "gateway": rss_mib([self.gateway_process.pid]),
            "functions (cargo lambda watch)": rss_mib([self.watch.pid]),
            "Cognito emulator": rss_mib([self.emulator.pid]),
        }


class Ministack:
    name = "ministack"

    def __init__(self, procs, args):
        self.procs, self.args = procs, args
        self.venv = REPO / args.ministack_venv
        self.version = run(
            [str(self.venv / "bin/python"), "-c", "import importlib.metadata as m; print(m.version('ministack'))"]
        ).strip()

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=60),
        )

    def start(self):
        """ministack; its pool, functions and APIs made by API calls: seconds to the first 200."""
        started = time.monotonic()
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.state = self.procs.logs / "ministack-state"
        self.process = self.procs.start(
            "ministack",
            [str(self.venv / "bin/ministack")],
            env={
                # Loopback only, no MQTT listener, the services used here, its keys in a known place.
                "GATEWAY_PORT": str(port),
                "BIND_HOST": "127.0.0.1",
                "MINISTACK_HOST": "127.0.0.1",
                "IOT_MTLS_ENABLED": "0",
                "SERVICES": "cognito-idp,lambda,apigateway,iam,sts",
                "LOG_LEVEL": "WARNING",
                "STATE_DIR": str(self.state),
                "TMPDIR": str(self.procs.logs),
            },
        )
        idp = self.client("cognito-idp")
        self.procs.wait_for("ministack", lambda: idp.list_user_pools(MaxResults=1))
        self.parts = {"answering": time.monotonic() - started}
        self.ids = seed(idp, REPO / "target/bench-tools/local-api-gateway")
        self.tokens = Tokens(self.endpoint, self.ids, self.pool_key)

        functions = {
            name: self.function(name, binary) for name, binary in (("hello", "hello"), ("authorizer", "authorizer"))
        }
        self.invoke_url = f"{self.endpoint}/2015-03-31/functions/hello/invocations"
        self.urls = {
            "http": f"{self.endpoint}/_aws/execute-api/{self.http_api(functions['hello'])}/hello",
            "rest": f"{self.endpoint}/_aws/execute-api/{self.rest_api('cognito', functions)}/dev/hello",
            "token": f"{self.endpoint}/_aws/execute-api/{self.rest_api('token', functions)}/dev/hello",
        }
        self.parts["pool, functions and APIs made"] = time.monotonic() - started
        self.procs.wait_for("the HTTP API", lambda: answers(200, self.urls["http"], self.tokens.authorization("id")))
        return time.monotonic() - started

    def pool_key(self, pool):
        """The key ministack signs the pool's ID tokens with (STATE_DIR/cognito-pool-keys)."""
        return RSAKey.import_key((self.state / "cognito-pool-keys" / f"{pool}-id.pem").read_bytes())

    def function(self, name, binary):
        """The release binary as a provided.al2023 bootstrap (ministack runs it on the host)."""
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            z.writestr(info, (REPO / "target/release" / binary).read_bytes())
        return self.client("lambda").create_function(
            FunctionName=name,
            Runtime="provided.al2023",
            Handler="bootstrap",
            Timeout=5,
            Role=f"arn:aws:iam::{ACCOUNT}:role/compare",
            Code={"ZipFile": archive.getvalue()},
            Environment={"Variables": {"ALLOWED_ORIGIN": FUNCTION_MARK}},
        )["FunctionArn"]

    def permit(self, function, api):
        self.client("lambda").add_permission(
            FunctionName=function,
            StatementId=f"apigateway-{api}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/*",
        )

    def http_api(self, hello):
        v2 = self.client("apigatewayv2")
        api = v2.create_api(Name="compare-http", ProtocolType="HTTP")["ApiId"]
        authorizer = v2.create_authorizer(
            ApiId=api,
            Name="CognitoJwt",
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={
                "Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{self.ids['UserPool']['Id']}",
                "Audience": [self.ids["UserPoolClient"]],
            },
        )["AuthorizerId"]
        integration = v2.create_integration(
            ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=hello, PayloadFormatVersion="2.0"
        )["IntegrationId"]
        v2.create_route(
            ApiId=api,
            RouteKey="GET /hello",
            AuthorizationType="JWT",
            AuthorizerId=authorizer,
            Target=f"integrations/{integration}",
        )
        v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
        self.permit(hello, api)
        return api

    def rest_api(self, kind, functions):
        v1 = self.client("apigateway")
        api = v1.create_rest_api(name=f"compare-{kind}")["id"]
        root = v1.get_resources(restApiId=api)["items"][0]["id"]
        resource = v1.create_resource(restApiId=api, parentId=root, pathPart="hello")["id"]
        if kind == "cognito":
            authorizer = v1.create_authorizer(
                restApiId=api,
                name="CognitoUserPool",
                type="COGNITO_USER_POOLS",
                providerARNs=[self.ids["UserPool"]["Arn"]],
                identitySource="method.request.header.Authorization",
            )
            authorization = "COGNITO_USER_POOLS"
        else:
            authorizer = v1.create_authorizer(
                restApiId=api,
                name="TokenAuthorizer",
                type="TOKEN",
                identitySource="method.request.header.Authorization",
                authorizerUri=lambda_uri(functions["authorizer"]),
                # No caching, as template.yaml's ReauthorizeEvery: 0.
                authorizerResultTtlInSeconds=0,
            )
            authorization = "CUSTOM"
            self.permit(functions["authorizer"], api)
        v1.put_method(
            restApiId=api,
            resourceId=resource,
            httpMethod="GET",
            authorizationType=authorization,
            authorizerId=authorizer["id"],
        )
        v1.put_integration(
            restApiId=api,
            resourceId=resource,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(functions["hello"]),
        )
        v1.create_deployment(restApiId=api, stageName="dev")
        self.permit(functions["hello"], api)
        return api

    def memory(self):
        return {"everything (one process and its function processes)": rss_mib([self.process.pid])}


def lambda_uri(function_arn):
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


class ServerlessOffline:
    name = "serverless-offline"

    def __init__(self, procs, args, ours):
        self.procs, self.args, self.ours = procs, args, ours
        installed = HERE / "node_modules"
        versions = {
            name: json.loads((installed / name / "package.json").read_text())["version"]
            for name in ("serverless-offline", "serverless")
        }
        self.version = f"{versions['serverless-offline']} (Serverless Framework {versions['serverless']})"

    def start(self):
        """`serverless offline start`, on the emulator's pool (it has no Cognito): seconds to the first 200."""
        started = time.monotonic()
        self.parts = {}
        port, lambda_port = free_port(), free_port()
        pool = self.ours.ids["UserPool"]
        self.tokens = self.ours.tokens
        self.process = self.procs.start(
            "serverless-offline",
            [
                str(HERE / "node_modules/.bin/serverless"),
                "offline",
                "start",
                "--host",
                "127.0.0.1",
                "--httpPort",
                str(port),
                "--lambdaPort",
                str(lambda_port),
                # Without it serverless-offline serves JWT routes open; with it, it decodes the token.
                "--ignoreJWTSignature",
            ],
            cwd=HERE / "serverless",
            env={
                "COMPARE_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
                "COMPARE_CLIENT_ID": self.ours.ids["UserPoolClient"],
                "COMPARE_POOL_ARN": pool["Arn"],
                # No telemetry, no update or deprecation notices (they would reach for the internet).
                "SLS_TELEMETRY_DISABLED": "1",
                "SLS_NOTIFICATIONS_MODE": "off",
                "SLS_DEPRECATION_DISABLE": "*",
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
            },
        )
        base = f"http://127.0.0.1:{port}"
        self.invoke_url = f"http://127.0.0.1:{lambda_port}/2015-03-31/functions/compare-dev-hello/invocations"
        self.urls = {"http": f"{base}/hello", "rest": f"{base}/dev/hello", "token": f"{base}/dev/token/hello"}
        self.procs.wait_for("the HTTP API", lambda: answers(200, self.urls["http"], self.tokens.authorization("id")))
        return time.monotonic() - started

    def memory(self):
        return {"everything (Node.js; the Cognito emulator not counted)": rss_mib([self.process.pid])}


# ---- the measurements -----------------------------------------------------------------------


def verdict(tool, route, credential, expected, who):
    status, body, by_function = call(tool.urls[route], tool.tokens.authorization(credential))
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if expected == 200:
        matches = (
            status == 200 and by_function and isinstance(answer, dict) and answer.get("message") == f"Hello, {who}!"
        )
        body_as_aws = None
    else:
        matches = status == expected and not by_function
        body_as_aws = answer in (EXPLICIT_DENY if expected == 403 else [UNAUTHORIZED])
    return {"status": status, "by_function": by_function, "matches": matches, "body_as_aws": body_as_aws}


def latency_round(tool, target, headers, count, method="GET", body=None):
    """count sequential requests on one keep-alive connection: the latencies, in ms."""
    parts = urlsplit(target)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    samples = []
    try:
        for _ in range(count):
            begin = time.perf_counter()
            connection.request(method, parts.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            samples.append((time.perf_counter() - begin) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{tool.name}: {method} {target} answered {response.status} during the timing")
            if response.getheader("connection", "").lower() == "close":
                connection.close()
    finally:
        connection.close()
    return samples


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure_latency(tools, args):
    """Interleaved rounds: each round runs every tool's routes, the tool order rotating."""
    targets = {}
    for tool in tools:
        targets[tool.name] = {
            route: (tool.urls[route], tool.tokens.authorization(VALID[route]), "GET", None) for route in ROUTES
        }
        targets[tool.name]["invoke"] = (tool.invoke_url, {"content-type": "application/json"}, "POST", invoke_event())
    for tool in tools:
        for target in targets[tool.name].values():
            latency_round(tool, *target[:2], args.warmup, *target[2:])
    results = {tool.name: {key: {"p50": [], "p99": []} for key in targets[tool.name]} for tool in tools}
    for number in range(args.rounds):
        print(f"latency round {number + 1}/{args.rounds}", file=sys.stderr)
        for tool in tools[number % len(tools) :] + tools[: number % len(tools)]:
            for key, target in targets[tool.name].items():
                samples = latency_round(tool, *target[:2], args.requests, *target[2:])
                results[tool.name][key]["p50"].append(percentile(samples, 0.50))
                results[tool.name][key]["p99"].append(percentile(samples, 0.99))
    return {
        name: {key: {p: statistics.median(v) for p, v in values.items()} for key, values in keys.items()}
        for name, keys in results.items()
    }


def table(header, rows):
    lines = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    return "\n".join(lines + [f"| {' | '.join(row)} |" for row in rows])


def report(tools, matrix, latency, starts, memory, args, seconds):
    names = [f"{tool.name} {tool.version}" for tool in tools]
    rows, scores = [], {tool.name: [0, 0, 0, 0] for tool in tools}
    for route, label in ROUTES.items():
        rows.append([f"**{label}**"] + [""] * (len(tools) + 1))
        for case_route, case, _credential, expected, _who in CASES:
            if case_route != route:
                continue
            cells = []
            for tool in tools:
                got = matrix[tool.name][(route, case)]
                score = scores[tool.name]
                score[0] += got["matches"]
                score[1] += 1
                if got["body_as_aws"] is not None:
                    score[2] += got["body_as_aws"] and got["matches"]
                    score[3] += 1
                note = " (the function answered)" if got["by_function"] and expected != 200 else ""
                cells.append(f"{got['status']}{note}" if got["matches"] else f"**{got['status']}**{note} ✗")
            rows.append([case, str(expected)] + cells)
    rows.append(
        ["**as API Gateway answers (status; function run only when allowed; caller named)**", ""]
        + [f"**{scores[t.name][0]}/{scores[t.name][1]}**" for t in tools]
    )
    rows.append(
        ["refusals whose body is API Gateway's too", ""] + [f"{scores[t.name][2]}/{scores[t.name][3]}" for t in tools]
    )
    matrix_text = table(["case", "API Gateway"] + names, rows)

    ours = latency[tools[0].name]

    def cell(name, key):
        value = latency[name][key]
        ratio = "" if name == tools[0].name else f" · ×{value['p50'] / ours[key]['p50']:.1f}"
        return f"{value['p50']:.2f} / {value['p99']:.2f}{ratio}"

    lat_rows = [[label] + [cell(t.name, route) for t in tools] for route, label in ROUTES.items()]
    lat_rows.append(
        ["the function invoked directly (its Invoke API, no gateway)"] + [cell(t.name, "invoke") for t in tools]
    )
    lat_rows += [
        [f"{label}: what the API layer adds, p50"]
        + [f"{latency[t.name][route]['p50'] - latency[t.name]['invoke']['p50']:.2f}" for t in tools]
        for route, label in ROUTES.items()
    ]
    latency_text = table(["ms: p50 / p99 · p50 ratio to local-api-gateway"] + names, lat_rows)

    other_rows = [
        ["start to the first 200 (s)"]
        + [f"{starts[t.name]:.1f}" + "".join(f"; {part} at {at:.1f}" for part, at in t.parts.items()) for t in tools],
        ["memory after the runs (RSS, MiB)"]
        + [", ".join(f"{part}: {mib:.0f}" for part, mib in memory[t.name].items()) for t in tools],
    ]
    other_text = table([""] + names, other_rows)
    return f"""Measured {time.strftime("%Y-%m-%d")} on {os.uname().nodename} ({os.cpu_count()} cores, shared) by \
`make compare` in {seconds:.0f} s.

### The token matrix

Each case once, through each tool; API Gateway's answer from its documentation (../shared/FIELD-NOTES.md,
notes/LAMBDA-AUTHORIZERS.md). ✗: not API Gateway's answer. serverless-offline runs with
`--ignoreJWTSignature` (without it, it serves JWT routes open) and gets the Cognito emulator's tokens.

{matrix_text}

### Latency

{args.rounds} interleaved rounds of {args.requests} sequential requests per tool and route with a valid
credential (after {args.warmup} warm-up requests), one keep-alive connection each; the medians of the
rounds' p50 and p99. Functions: this project and ministack run the same release builds of `hello` and
`authorizer`; serverless-offline runs the Node.js stand-ins (tools/compare/serverless/handler.js).

{latency_text}

### Start and memory

Start: from launching the tool to its first 200 on the HTTP API, with what it needs made first
(this project: the Cognito emulator, its pool and user, `cargo lambda watch`, the gateway;
ministack: the process, its pool and user, two functions and three APIs by API calls;
serverless-offline: `serverless offline start`, on the already running emulator).

{other_text}
"""


def build():
    """The optimized gateway, and the functions as `cargo lambda watch --release` builds them (each
    package on its own, as watch builds it: a workspace build unifies features differently)."""
    for command in (
        ["--profile", "bench-tools", "-p", "local-api-gateway"],
        ["--release", "-p", "hello"],
        ["--release", "-p", "lambda-authorizer"],
    ):
        subprocess.run(["cargo", "build", "--quiet", "--locked", *command], cwd=REPO, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aws-venv", default=".tools/aws")
    parser.add_argument("--lambda-venv", default=".tools/lambda")
    parser.add_argument("--ministack-venv", default=".tools/ministack")
    parser.add_argument("--report", default="target/compare/report.md")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per round, tool and route")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep-logs", action="store_true", help="keep the tools' logs (else kept only on failure)")
    args = parser.parse_args()
    if not (HERE / "node_modules/.bin/serverless").exists():
        sys.exit("serverless-offline is not installed: npm ci in tools/compare (make compare does it)")
    # SIGTERM / SIGHUP end the run like Ctrl-C: through the finally below, which stops everything.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda signum, _frame: sys.exit(128 + signum))
    started = time.monotonic()
    build()
    logs = Path(tempfile.mkdtemp(prefix="compare-"))
    procs = Processes(logs)
    failed = True
    try:
        ours = Ours(procs, args)
        tools = [ours, Ministack(procs, args), ServerlessOffline(procs, args, ours)]
        starts, matrix = {}, {}
        for tool in tools:
            print(f"starting {tool.name} ...", file=sys.stderr)
            starts[tool.name] = tool.start()
        for tool in tools:
            matrix[tool.name] = {
                (route, case): verdict(tool, route, credential, expected, who)
                for route, case, credential, expected, who in CASES
            }
        latency = measure_latency(tools, args)
        memory = {tool.name: tool.memory() for tool in tools}
        failed = False
    finally:
        procs.stop_all()
        if failed or args.keep_logs:
            print(f"compare: the tools' logs are in {logs}", file=sys.stderr)
        else:
            shutil.rmtree(logs, ignore_errors=True)
    text = report(tools, matrix, latency, starts, memory, args, time.monotonic() - started)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
