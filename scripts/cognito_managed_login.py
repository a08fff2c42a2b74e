"""Cognito's managed login and OAuth 2.0 endpoints, in front of moto's Cognito, in moto's process.

moto 5.2 serves none of a user pool domain's endpoints. This WSGI layer answers them before
moto's dispatcher sees the request (moto would hand an unknown, unsigned path to its S3 backend),
on the emulator's own origin, which stands in for every pool's domain
(`https://<prefix>.auth.<region>.amazoncognito.com`):

    GET  /oauth2/authorize     -> /login, or straight back with a code inside the session's hour
    GET  /login, POST /login   the sign-in form (Username, Password, Sign in)
    POST /oauth2/token         authorization_code (PKCE S256) and refresh_token grants
    GET  /oauth2/userInfo      the user's attributes for an access token with `openid`
    POST /oauth2/revoke        a refresh token and the access tokens issued from it
    GET  /logout               ends the session, back to a registered logout URL
    GET  /error                Cognito's error page
    GET  /<pool id>/.well-known/openid-configuration   moto's document plus these endpoints

It works on moto's own objects: app clients' settings (CallbackURLs, AllowedOAuthFlows, ...) from
`client.extended_config`, users and passwords from the pool, tokens from `pool.create_jwt` (moto's
signing key, so the local gateway and its JWKS accept them), refresh tokens in
`pool.refresh_tokens` (so REFRESH_TOKEN_AUTH and RevokeToken work on them as well), access tokens
in `pool.access_tokens` (GetUser and friends). What moto does not have (codes, the sign-in session,
what a refresh token remembers of its sign-in) lives here, in memory.

Hand-written on purpose: no OAuth server library reproduces Cognito's own rules (only S256,
PKCE optional, short verifiers accepted, its error page and error shapes); the PKCE check itself is
one hash. Behaviour where Cognito's documentation is silent is listed under "Choices" in
docs/cognito-emulator.md. Nothing here logs a password, a code or a token.
"""

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from moto.cognitoidp import models as moto_models
from moto.cognitoidp.models import cognitoidp_backends
from werkzeug.wrappers import Request, Response

CODE_TTL = 300  # seconds: Cognito's authorization codes live 5 minutes
SESSION_TTL = 3600  # seconds: the domain's sign-in session (its cookie) lasts 1 hour
SESSION_COOKIE = "cognito"
CSRF_COOKIE = "XSRF-TOKEN"
POOL_ID = r"[\w-]+_[0-9a-zA-Z]+"
OIDC_SCOPES = ("openid", "email", "phone", "profile")
# What each scope hands out at userInfo (and needs readable; Cognito's userInfo documentation).
SCOPE_ATTRIBUTES = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "profile": (
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
    ),
}
VERIFIED = ("email_verified", "phone_number_verified")
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (setting, unit key, default value, default unit): Cognito's defaults, in the API's units.
LIFETIMES = {
    "access": ("AccessTokenValidity", "AccessToken", 1, "hours"),
    "id": ("IdTokenValidity", "IdToken", 1, "hours"),
    "refresh": ("RefreshTokenValidity", "RefreshToken", 30, "days"),
}
ERROR_PAGE_TEXT = "An error was encountered with the requested page."
JSON_TYPE = "application/json;charset=UTF-8"
NO_STORE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache", "Expires": "0"}


class Clock:
    """Wall-clock time, moved forward only by tests (`--movable-clock`): codes, sessions and token
    times all follow it, so expiry is tested without waiting."""

    def __init__(self):
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name):  # stands in for the `time` module inside moto's models
        return getattr(time, name)


@dataclass
class Session:
    pool_id: str
    username: str
    auth_time: int
    expires_at: float


@dataclass
class AuthRequest:
    """A checked /oauth2/authorize request."""

    pool: object
    client: object
    redirect_uri: str
    scopes: list
    state: str | None
    challenge: str | None
    nonce: str | None


@dataclass
class Code:
    client_id: str
    pool_id: str
    username: str
    redirect_uri: str
    scopes: list
    challenge: str | None
    nonce: str | None
    auth_time: int
    expires_at: float


@dataclass
class Grant:
    """What a refresh token from the code flow keeps of its sign-in."""

    scopes: list
    auth_time: int
    expires_at: float


class Redirect(Exception):
    def __init__(self, location: str):
        self.location = location


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def claims_of(jwt: str) -> dict:
    """The payload of a token this emulator issued (looked up by its exact string first)."""
    try:
        payload = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def with_query(url: str, params: dict) -> str:
    """`url` with `params` added to its query (a callback URL may have one already)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "", query, ""))


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def words(text: str) -> list:
    return [w for w in (text or "").split(" ") if w]


class ManagedLogin:
    """WSGI middleware: the domain's endpoints here, everything else to moto."""

    def __init__(self, moto_app, clock: Clock, movable_clock: bool = False):
        self.moto_app = moto_app
        self.clock = clock
        self.movable_clock = movable_clock
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.codes: dict[str, Code] = {}
        self.grants: dict[str, Grant] = {}
        self.routes = {
            "/oauth2/authorize": self.authorize,
            "/login": self.login,
            "/oauth2/token": self.token,
            "/oauth2/userInfo": self.user_info,
            "/oauth2/revoke": self.revoke,
            "/logout": self.logout,
            "/error": self.error_page,
        }
        if movable_clock:
            self.routes["/_emulator/clock"] = self.move_clock
        self.discovery = re.compile(rf"/({POOL_ID})/\.well-known/openid-configuration")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        handler = self.routes.get(path)
        match = self.discovery.fullmatch(path) if handler is None else None
        if handler is None and match is None:
            return self.moto_app(environ, start_response)
        request = Request(environ)
        try:
            response = handler(request) if handler else self.openid_configuration(request, match.group(1))
        except Redirect as redirect:
            response = Response(status=302, headers={"Location": redirect.location, **NO_STORE})
        return response(environ, start_response)

    # ---- moto's objects ---------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.time())

    @staticmethod
    def find_client(client_id: str):
        for _account, _region, backend in cognitoidp_backends.iter_backends():
            for pool in list(backend.user_pools.values()):
                client = pool.clients.get(client_id)
                if client is not None:
                    return pool, client
        return None, None

    @staticmethod
    def find_pool(pool_id: str):
        for _account, _region, backend in cognitoidp_backends.iter_backends():
            if pool_id in backend.user_pools:
                return backend.user_pools[pool_id]
        return None

    @staticmethod
    def pools():
        for _account, _region, backend in cognitoidp_backends.iter_backends():
            yield from list(backend.user_pools.values())

    @staticmethod
    def setting(client, name, default=None):
        value = client.extended_config.get(name)
        return default if value is None else value

    def lifetime(self, client, which: str) -> int:
        name, unit_key, default, default_unit = LIFETIMES[which]
        value = self.setting(client, name)
        if value is None:
            return default * UNIT_SECONDS[default_unit]
        unit = (self.setting(client, "TokenValidityUnits", {}) or {}).get(unit_key) or default_unit
        return int(value) * UNIT_SECONDS.get(unit, UNIT_SECONDS[default_unit])

    @staticmethod
    def user_of(pool, username: str):
        """The user a typed name means: moto's lookup (username, or email/phone in pools that sign
        in with those), and case-insensitively where the pool says so."""
        user = pool._get_user(username)
        case_sensitive = (pool.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
        if user is None and not case_sensitive:
            user = next((u for name, u in pool.users.items() if name.lower() == username.lower()), None)
        return user

    def allowed_origins(self) -> set:
        """The origins of every registered callback and logout URL: who may call the token,
        userInfo and revoke endpoints from a browser."""
        origins = set()
        for pool in self.pools():
            for client in list(pool.clients.values()):
                for url in (self.setting(client, "CallbackURLs", []) or []) + (
                    self.setting(client, "LogoutURLs", []) or []
                ):
                    origin = origin_of(url)
                    if origin:
                        origins.add(origin)
        return origins

    def cors(self, request: Request, response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin and origin in self.allowed_origins():
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.add("Vary", "Origin")
        return response

    def preflight(self, request: Request, methods: str) -> Response:
        origin = request.headers.get("Origin")
        if not origin or origin not in self.allowed_origins():
            return Response(status=403)
        return Response(
            status=200,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": methods,
                "Access-Control-Allow-Headers": "authorization, content-type",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    # ---- pages ------------------------------------------------------------------------------

    @staticmethod
    def page(title: str, body: str, status: int = 200, headers: dict | None = None) -> Response:
        document = PAGE.format(title=html.escape(title), body=body)
        return Response(
            document,
            status=status,
            content_type="text/html; charset=utf-8",
            headers={"X-Frame-Options": "DENY", **NO_STORE, **(headers or {})},
        )

    def error_page(self, request: Request) -> Response:
        error = request.args.get("error", "")
        detail = f'<p class="detail">error: {html.escape(error)}</p>' if error else ""
        return self.page("Error", f"<h1>Error</h1><p>{ERROR_PAGE_TEXT}</p>{detail}", status=400)

    def message_page(self, text: str, status: int = 400) -> Response:
        return self.page("Error", f"<h1>Error</h1><p>{html.escape(text)}</p>", status=status)

    def login_form(self, request: Request, error: str | None = None, username: str = "", status: int = 200) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        action = "/login?" + request.query_string.decode("latin-1") if request.query_string else "/login"
        alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        body = LOGIN_FORM.format(
            action=html.escape(action), csrf=html.escape(csrf), alert=alert, username=html.escape(username)
        )
        response = self.page("Sign in", body, status=status)
        response.set_cookie(CSRF_COOKIE, csrf, path="/", httponly=True, samesite="Lax")
        return response

    # ---- /oauth2/authorize and /login -------------------------------------------------------

    def check_authorize(self, args) -> AuthRequest:
        """Cognito's order: a request that cannot name a registered callback never goes back to
        the app (its error page); every other mistake goes back as `?error=...`."""
        client_id = args.get("client_id") or ""
        pool, client = self.find_client(client_id) if client_id else (None, None)
        if client is None:
            raise Redirect("/error?" + urlencode({"error": "invalid_request", "client_id": client_id}))
        redirect_uri = args.get("redirect_uri")
        if not redirect_uri or redirect_uri not in (self.setting(client, "CallbackURLs", []) or []):
            raise Redirect("/error?" + urlencode({"error": "redirect_mismatch", "client_id": client_id}))
        state = args.get("state")

        def refuse(error):
            raise Redirect(with_query(redirect_uri, {"error": error, **({"state": state} if state else {})}))

        if not self.setting(client, "AllowedOAuthFlowsUserPoolClient", False) or "COGNITO" not in (
            self.setting(client, "SupportedIdentityProviders", []) or []
        ):
            refuse("unauthorized_client")
        response_type = args.get("response_type")
        flows = self.setting(client, "AllowedOAuthFlows", []) or []
        if not response_type:
            refuse("invalid_request")
        if response_type not in ("code", "token"):
            refuse("unsupported_response_type")
        if response_type == "code" and "code" not in flows:
            refuse("unauthorized_client")
        if response_type == "token":  # the implicit grant is not emulated
            refuse("unsupported_response_type" if "implicit" in flows else "unauthorized_client")
        challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
        if (challenge or method) and (method != "S256" or not challenge):
            refuse("invalid_request")  # only S256; a challenge needs its method and the reverse
        allowed = self.setting(client, "AllowedOAuthScopes", []) or []
        scopes = list(dict.fromkeys(words(args.get("scope", "")))) or list(allowed)
        if any(s not in allowed for s in scopes) or (
            any(s in SCOPE_ATTRIBUTES for s in scopes) and "openid" not in scopes
        ):
            refuse("invalid_scope")
        return AuthRequest(
            pool=pool,
            client=client,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            challenge=challenge,
            nonce=args.get("nonce"),
        )

    def session_of(self, request: Request, pool_id: str) -> Session | None:
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE) or "")
        if session is None or session.pool_id != pool_id or session.expires_at <= self.clock.time():
            return None
        pool = self.find_pool(pool_id)
        user = pool.users.get(session.username) if pool else None
        return session if user is not None and user.enabled else None

    def issue_code(self, auth: AuthRequest, session: Session) -> str:
        code = str(uuid.uuid4())
        with self.lock:
            now = self.clock.time()
            for stale in [c for c, v in self.codes.items() if v.expires_at <= now]:
                self.codes.pop(stale, None)
            self.codes[code] = Code(
                client_id=auth.client.id,
                pool_id=auth.pool.id,
                username=session.username,
                redirect_uri=auth.redirect_uri,
                scopes=auth.scopes,
                challenge=auth.challenge,
                nonce=auth.nonce,
                auth_time=session.auth_time,
                expires_at=now + CODE_TTL,
            )
        params = {"code": code, **({"state": auth.state} if auth.state else {})}
        return with_query(auth.redirect_uri, params)

    def authorize(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(status=405, headers={"Allow": "GET"})
        auth = self.check_authorize(request.args)
        session = self.session_of(request, auth.pool.id)
        if session is None:
            raise Redirect("/login?" + request.query_string.decode("latin-1"))
        raise Redirect(self.issue_code(auth, session))

    def login(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD", "POST"):
            return Response(status=405, headers={"Allow": "GET, POST"})
        auth = self.check_authorize(request.args)
        if request.method != "POST":
            return self.login_form(request)
        form = request.form
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        if not csrf or not hmac.compare_digest(csrf, form.get("_csrf", "")):
            return self.login_form(request, "The sign-in form expired: try again.", status=403)
        typed = form.get("username", "").strip()
        password = form.get("password", "")
        if not typed or not password:
            return self.login_form(request, "Enter a username and a password.", typed, status=400)
        user = self.user_of(auth.pool, typed)
        if user is None or not hmac.compare_digest((user.password or "").encode(), password.encode()):
            hide = self.setting(auth.client, "PreventUserExistenceErrors") == "ENABLED" or user is not None
            text = "Incorrect username or password." if hide else "User does not exist."
            return self.login_form(request, text, typed, status=400)
        if not user.enabled:
            return self.login_form(request, "User is disabled.", typed, status=400)
        if user.status != "CONFIRMED":
            return self.login_form(
                request,
                f"This user cannot sign in here yet ({user.status}): the local "
                "login page offers no password change or confirmation. Set a permanent "
                "password with admin-set-user-password --permanent.",
                typed,
                status=400,
            )
        session_id = secrets.token_urlsafe(32)
        now = self.clock.time()
        session = Session(
            pool_id=auth.pool.id, username=user.username, auth_time=int(now), expires_at=now + SESSION_TTL
        )
        with self.lock:
            for stale in [s for s, v in self.sessions.items() if v.expires_at <= now]:
                self.sessions.pop(stale, None)
            self.sessions[session_id] = session
        response = Response(status=302, headers={"Location": self.issue_code(auth, session), **NO_STORE})
        # Not Secure (the emulator is plain http) and Lax: a top-level navigation from the app to
        # /oauth2/authorize carries it, a cross-site request does not.
        response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_TTL, path="/", httponly=True, samesite="Lax")
        return response

    # ---- /oauth2/token ----------------------------------------------------------------------

    @staticmethod
    def oauth_error(error: str, status: int = 400, headers: dict | None = None) -> Response:
        return Response(
            json.dumps({"error": error}), status=status, content_type=JSON_TYPE, headers={**NO_STORE, **(headers or {})}
        )

    def client_of_request(self, request: Request):
        """The calling app client: HTTP Basic (client_secret_basic) or client_id in the body, its
        secret checked when it has one. (pool, client) or None."""
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                basic_id, _, basic_secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
            except ValueError:
                return None
            if client_id and client_id != basic_id:
                return None
            client_id, secret = basic_id, basic_secret
        if not client_id:
            return None
        pool, client = self.find_client(client_id)
        if client is None:
            return None
        if client.generate_secret:
            if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
                return None
        elif secret:
            return None
        return pool, client

    def token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.preflight(request, "POST, OPTIONS")
        if request.method != "POST":
            return self.cors(request, self.oauth_error("invalid_request", 405, {"Allow": "POST"}))
        return self.cors(request, self.token_grant(request))

    def token_grant(self, request: Request) -> Response:
        if request.mimetype != "application/x-www-form-urlencoded":
            return self.oauth_error("invalid_request")
        found = self.client_of_request(request)
        if found is None:
            return self.oauth_error("invalid_client")
        pool, client = found
        grant_type = request.form.get("grant_type")
        if not grant_type:
            return self.oauth_error("invalid_request")
        if grant_type == "authorization_code":
            return self.code_grant(request, pool, client)
        if grant_type == "refresh_token":
            return self.refresh_grant(request, pool, client)
        if grant_type == "client_credentials":
            flows = self.setting(client, "AllowedOAuthFlows", []) or []
            return self.oauth_error(
                "unauthorized_client" if "client_credentials" not in flows else "unsupported_grant_type"
            )
        return self.oauth_error("unsupported_grant_type")

    def code_grant(self, request: Request, pool, client) -> Response:
        if not self.setting(client, "AllowedOAuthFlowsUserPoolClient", False) or "code" not in (
            self.setting(client, "AllowedOAuthFlows", []) or []
        ):
            return self.oauth_error("unauthorized_client")
        value = request.form.get("code")
        if not value:
            return self.oauth_error("invalid_request")
        with self.lock:
            code = self.codes.get(value)
            if code is None or code.client_id != client.id:
                return self.oauth_error("invalid_grant")
            del self.codes[value]  # single use, whatever happens next
        if code.expires_at <= self.clock.time() or request.form.get("redirect_uri") != code.redirect_uri:
            return self.oauth_error("invalid_grant")
        verifier = request.form.get("code_verifier")
        if code.challenge is None:
            if verifier:
                return self.oauth_error("invalid_request")  # a verifier for a code issued without PKCE
        elif not verifier:
            return self.oauth_error("invalid_request")
        elif not hmac.compare_digest(s256(verifier), code.challenge):
            return self.oauth_error("invalid_grant")
        user = pool.users.get(code.username)
        if user is None or not user.enabled:
            return self.oauth_error("invalid_grant")
        refresh_token, origin_jti = pool.create_refresh_token(client.id, code.username)
        now = self.now()
        with self.lock:
            self.grants[refresh_token] = Grant(
                scopes=code.scopes, auth_time=code.auth_time, expires_at=now + self.lifetime(client, "refresh")
            )
        body = self.tokens(pool, client, code.username, code.scopes, code.auth_time, code.nonce, origin_jti)
        body["refresh_token"] = refresh_token
        return self.token_response(body)

    def refresh_grant(self, request: Request, pool, client) -> Response:
        value = request.form.get("refresh_token")
        if not value:
            return self.oauth_error("invalid_request")
        entry = pool.refresh_tokens.get(value)
        if entry is None or entry[0] != client.id:  # unknown, revoked (None), or another client's
            return self.oauth_error("invalid_grant")
        _client_id, username, origin_jti = entry
        grant = self.grants.get(value)
        if grant is None:
            # A refresh token from InitiateAuth: it refreshes here too, with that sign-in's scope.
            grant = Grant(
                scopes=["aws.cognito.signin.user.admin"],
                auth_time=self.now(),
                expires_at=self.now() + self.lifetime(client, "refresh"),
            )
        if grant.expires_at <= self.clock.time():
            return self.oauth_error("invalid_grant")
        user = pool.users.get(username)
        if user is None or not user.enabled:
            return self.oauth_error("invalid_grant")
        # An ID token with `openid`; InitiateAuth sessions always had one.
        with_id_token = value not in self.grants or "openid" in grant.scopes
        body = self.tokens(pool, client, username, grant.scopes, grant.auth_time, None, origin_jti, with_id_token)
        return self.token_response(body)

    @staticmethod
    def token_response(body: dict) -> Response:
        return Response(json.dumps(body), status=200, content_type=JSON_TYPE, headers=NO_STORE)

    def tokens(self, pool, client, username, scopes, auth_time, nonce, origin_jti, with_id_token=None) -> dict:
        """Access token (+ ID token with `openid`) as Cognito's code flow issues them, signed by moto.
        `auth_time` is the sign-in's, also on refresh (oidc-client-ts refuses a changed one)."""
        now = self.now()
        access_life, id_life = self.lifetime(client, "access"), self.lifetime(client, "id")
        user = pool.users[username]
        groups = [group.group_name for group in user.groups]
        common = {
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "auth_time": auth_time,
            "iat": now,
            **({"cognito:groups": groups} if groups else {}),
        }
        access_token, _ = pool.create_jwt(
            client.id,
            username,
            "access",
            expires_in=access_life,
            extra_data={**common, "exp": now + access_life, "scope": " ".join(scopes), "version": 2},
        )
        pool.access_tokens[access_token] = (client.id, username)
        body = {"access_token": access_token}
        if with_id_token is None:
            with_id_token = "openid" in scopes
        if with_id_token:
            claims = pool.get_user_extra_data_by_client_id(client.id, username)
            claims.update({a["Name"]: a["Value"] for a in user.attributes if a["Name"].startswith("custom:")})
            for name in VERIFIED:  # booleans in Cognito's ID tokens (moto writes strings)
                if name in claims:
                    claims[name] = str(claims[name]).lower() == "true"
            at_hash = b64url(hashlib.sha256(access_token.encode()).digest()[:16])
            token, _ = pool.create_jwt(
                client.id,
                username,
                "id",
                expires_in=id_life,
                extra_data={
                    **claims,
                    **common,
                    "exp": now + id_life,
                    "at_hash": at_hash,
                    **({"nonce": nonce} if nonce else {}),
                },
            )
            pool.id_tokens[token] = (client.id, username)
            body["id_token"] = token
        body.update(token_type="Bearer", expires_in=access_life)
        return body

    # ---- /oauth2/userInfo -------------------------------------------------------------------

    def user_info(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.preflight(request, "GET, OPTIONS")
        if request.method != "GET":
            return self.cors(request, Response(status=405, headers={"Allow": "GET"}))
        return self.cors(request, self.user_info_of(request))

    def user_info_of(self, request: Request) -> Response:
        def refuse(status, error, description):
            header = f'error="{error}", error_description="{description}"'
            return Response(
                json.dumps({"error": error, "error_description": description}),
                status=status,
                content_type=JSON_TYPE,
                headers={"WWW-Authenticate": header, **NO_STORE},
            )

        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not token:
            return refuse(400, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint")
        found = next(((p, p.access_tokens[token]) for p in self.pools() if token in p.access_tokens), None)
        claims = claims_of(token)
        if found is None or claims.get("exp", 0) <= self.clock.time():
            return refuse(
                401,
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            )
        scopes = words(claims.get("scope", ""))
        if "openid" not in scopes:
            return refuse(400, "invalid_request", "Access token does not contain openid scope")
        pool, (client_id, username) = found
        user = pool.users.get(username)
        client = pool.clients.get(client_id)
        if user is None or client is None or not user.enabled:
            return refuse(
                401,
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            )
        readable = client.get_readable_fields()
        attributes = {a["Name"]: a["Value"] for a in user.attributes}
        named = [a for s in scopes for a in SCOPE_ATTRIBUTES.get(s, ())]
        wanted = named if named else [a for a in attributes if a != "sub"]  # openid alone: every readable one
        body = {"sub": user.id}
        body.update({a: attributes[a] for a in wanted if a in attributes and (not readable or a in readable)})
        body["username"] = user.username
        return Response(
            json.dumps(body),
            status=200,
            content_type=JSON_TYPE,
            headers={**NO_STORE, "X-Frame-Options": "DENY", "x-amz-cognito-request-id": str(uuid.uuid4())},
        )

    # ---- /oauth2/revoke ---------------------------------------------------------------------

    def revoke(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.preflight(request, "POST, OPTIONS")
        if request.method != "POST":
            return self.cors(request, self.oauth_error("invalid_request", 405, {"Allow": "POST"}))
        return self.cors(request, self.revoke_token(request))

    def revoke_token(self, request: Request) -> Response:
        if request.mimetype != "application/x-www-form-urlencoded":
            return self.oauth_error("invalid_request")
        found = self.client_of_request(request)
        if found is None:
            return self.oauth_error("invalid_client", 401)
        pool, client = found
        token = request.form.get("token")
        if not token or not self.setting(client, "EnableTokenRevocation", True):
            return self.oauth_error("invalid_request")
        if token.count(".") == 2:  # a JWT: ID and access tokens cannot be revoked here
            return self.oauth_error("unsupported_token_type")
        entry = pool.refresh_tokens.get(token)
        if entry is not None and entry[0] == client.id:
            pool.refresh_tokens[token] = None
            origin_jti = entry[2]
            for access_token in [t for t in list(pool.access_tokens) if claims_of(t).get("origin_jti") == origin_jti]:
                pool.access_tokens.pop(access_token, None)
            self.grants.pop(token, None)
        # 200 with no body, also for an unknown or revoked token (RFC 7009); JSON's content type, as
        # Cognito's other answers (oidc-client-ts refuses any other).
        return Response(status=200, content_type=JSON_TYPE, headers=NO_STORE)

    # ---- /logout ----------------------------------------------------------------------------

    def logout(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(status=405, headers={"Allow": "GET"})
        args = request.args
        client_id = args.get("client_id")
        if not client_id:
            return self.message_page("Missing required parameter client_id in request URL")
        pool, client = self.find_client(client_id)
        if client is None:
            raise Redirect("/error?" + urlencode({"error": "invalid_request", "client_id": client_id}))
        logout_uri = args.get("logout_uri")
        if logout_uri:
            if logout_uri not in (self.setting(client, "LogoutURLs", []) or []):
                raise Redirect("/error?" + urlencode({"error": "redirect_mismatch", "client_id": client_id}))
            destination = logout_uri
        elif args.get("redirect_uri"):
            self.check_authorize(args)  # then sign in again, through the form
            keep = ("client_id", "redirect_uri", "response_type", "scope", "state")
            destination = "/login?" + urlencode({k: args[k] for k in keep if k in args})
        else:
            return self.message_page("Required String parameter 'redirect_uri' is not present")
        with self.lock:
            session = self.sessions.get(request.cookies.get(SESSION_COOKIE) or "")
            if session is not None and session.pool_id == pool.id:
                self.sessions.pop(request.cookies.get(SESSION_COOKIE), None)
        response = Response(status=302, headers={"Location": destination, **NO_STORE})
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax")
        return response

    # ---- discovery --------------------------------------------------------------------------

    def openid_configuration(self, request: Request, pool_id: str) -> Response:
        base = request.host_url.rstrip("/")
        region = pool_id.rsplit("_", 1)[0]
        document = {  # Cognito emits its keys in this (alphabetical) order
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "end_session_endpoint": f"{base}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
            "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "scopes_supported": list(OIDC_SCOPES),
            "subject_types_supported": ["public"],
            "token_endpoint": f"{base}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
        }
        return Response(
            json.dumps(document),
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    # ---- tests only -------------------------------------------------------------------------

    def move_clock(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        try:
            seconds = float(request.form.get("advance", ""))
        except ValueError:
            return Response("advance=<seconds> expected", status=400)
        self.clock.offset += seconds
        return Response(json.dumps({"now": self.clock.time()}), content_type="application/json")


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f2f3f3; color: #16191f; margin: 0; }}
main {{ max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem 2rem 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.4rem; margin: 0 0 1rem; }}
label {{ display: block; font-weight: 600; margin-top: .9rem; }}
input {{ box-sizing: border-box; width: 100%; font: inherit; padding: .45rem .6rem; margin-top: .25rem; }}
button {{ width: 100%; margin-top: 1.3rem; padding: .55rem; font: inherit; font-weight: 600;
         background: #0972d3; color: #fff; border: 0; border-radius: 20px; cursor: pointer; }}
.error {{ color: #a40e26; font-weight: 600; }}
.note, .detail {{ color: #5f6b7a; font-size: .85rem; margin-top: 1.5rem; }}
</style>
</head>
<body><main>{body}</main></body>
</html>
"""

LOGIN_FORM = """<h1>Sign in</h1>
{alert}
<form method="post" action="{action}">
<input type="hidden" name="_csrf" value="{csrf}">
<label for="username">Username</label>
<input id="username" name="username" value="{username}" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">Local Cognito emulator: a stand-in for managed login (no sign-up, no password reset, no MFA, no branding).</p>
"""


# What this layer and the SRP layer (cognito-emulator.py) use of moto beyond its public API: the
# first things a moto upgrade can break. Checked at start, so an upgrade fails with a list, not a
# wrong answer later. (module, class or None, attribute)
MOTO_INTERNALS = [
    ("moto.server", None, "DomainDispatcherApplication"),
    ("moto.server", None, "MotoRequestHandler"),
    ("moto.server", None, "main"),
    ("moto.cognitoidp.models", None, "time"),
    ("moto.cognitoidp.models", None, "cognitoidp_backends"),
    ("moto.cognitoidp.models", "BackendDict", "iter_backends"),
    ("moto.cognitoidp.models", "CognitoIdpBackend", "initiate_auth"),
    ("moto.cognitoidp.models", "CognitoIdpBackend", "respond_to_auth_challenge"),
    ("moto.cognitoidp.models", "CognitoIdpBackend", "admin_get_user"),
    ("moto.cognitoidp.models", "RegionAgnosticBackend", "_find_backend_for_clientid"),
    ("moto.cognitoidp.models", "CognitoIdpUserPool", "create_jwt"),
    ("moto.cognitoidp.models", "CognitoIdpUserPool", "create_refresh_token"),
    ("moto.cognitoidp.models", "CognitoIdpUserPool", "get_user_extra_data_by_client_id"),
    ("moto.cognitoidp.models", "CognitoIdpUserPool", "_get_user"),
    ("moto.cognitoidp.models", "CognitoIdpUserPoolClient", "get_readable_fields"),
    ("moto.cognitoidp.responses", "CognitoIdpResponse", "_get_param"),
    ("moto.cognitoidp.exceptions", None, "NotAuthorizedError"),
    ("moto.cognitoidp.exceptions", None, "UserNotFoundError"),
]
# Attributes moto sets in __init__ (checked on a throwaway pool, client and user).
MOTO_INSTANCE_ATTRIBUTES = {
    "CognitoIdpUserPool": [
        "id",
        "region",
        "clients",
        "users",
        "extended_config",
        "refresh_tokens",
        "access_tokens",
        "id_tokens",
    ],
    "CognitoIdpUserPoolClient": ["id", "extended_config", "secret", "generate_secret"],
    "CognitoIdpUser": ["id", "username", "password", "status", "enabled", "attributes", "groups"],
}


def missing_moto_internals() -> list:
    """The names in MOTO_INTERNALS and MOTO_INSTANCE_ATTRIBUTES this moto lacks."""
    import importlib

    missing = []
    for module_name, class_name, attribute in MOTO_INTERNALS:
        try:
            owner = importlib.import_module(module_name)
            owner = getattr(owner, class_name) if class_name else owner
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{class_name or attribute}")
            continue
        if not hasattr(owner, attribute):
            missing.append(f"{module_name}.{class_name + '.' if class_name else ''}{attribute}")
    try:
        pool = moto_models.CognitoIdpUserPool("123456789012", "us-east-1", "probe", {})
        client = moto_models.CognitoIdpUserPoolClient(pool.id, False, {})
        user = moto_models.CognitoIdpUser(pool.id, "probe", "probe-Passw0rd", "CONFIRMED", [])
    except Exception as err:  # noqa: BLE001 (any failure here is what this check reports)
        return missing + [f"moto.cognitoidp.models: a pool, client or user cannot be built ({err})"]
    for name, instance in (
        ("CognitoIdpUserPool", pool),
        ("CognitoIdpUserPoolClient", client),
        ("CognitoIdpUser", user),
    ):
        missing += [f"{name}().{a}" for a in MOTO_INSTANCE_ATTRIBUTES[name] if not hasattr(instance, a)]
    return missing


def install(clock: Clock | None = None, movable_clock: bool = False) -> Clock:
    """Puts the layer in front of moto's server app (call before moto's `main`). With
    `movable_clock`, POST /_emulator/clock moves this layer's and moto's token clock."""
    import moto.server

    clock = clock or Clock()
    if movable_clock:
        moto_models.time = clock  # moto's create_jwt reads time.time() for iat, exp, auth_time
    dispatcher = moto.server.DomainDispatcherApplication
    moto.server.DomainDispatcherApplication = lambda create_app: ManagedLogin(
        dispatcher(create_app), clock, movable_clock
    )

    class RequestLogWithoutQuery(moto.server.MotoRequestHandler):
        """Logs each request's method, path and status, never its query string: a client may put
        an ID token there (OIDC's id_token_hint on /logout)."""

        def log_request(self, code="-", size="-"):
            self.log("info", '"%s %s" %s %s', self.command, urlsplit(self.path).path, code, size)

    moto.server.MotoRequestHandler = RequestLogWithoutQuery
    return clock
