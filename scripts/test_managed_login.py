"""Tests of the emulator's managed login (scripts/cognito_managed_login.py) over real HTTP on
loopback, with Authlib's OAuth 2.0 client (PKCE, token, refresh and revocation requests: an
implementation independent of the server under test) and `requests` playing the browser on the
login page. The emulator runs with --movable-clock, so expiry is tested without waiting.

    .tools/aws/bin/python -m unittest discover -s scripts -p 'test_managed_login.py' -v

What Cognito does, and where these tests follow a choice of ours: docs/cognito-emulator.md.
"""

import base64
import hashlib
import json
import secrets
import time
import unittest
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import cognito_managed_login
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from test_cognito_emulator import start_emulator, stop_emulator

APP = "http://localhost:5173"  # the template's AllowedOrigin: callback and logout URL
PASSWORD = "Right-Passw0rd!"
JSON_TYPE = "application/json;charset=UTF-8"
ERROR_PAGE_TEXT = "An error was encountered with the requested page."


class FormReader(HTMLParser):
    """The login page's form: its action and fields, and the text of role=alert."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self.labels, self.alert, self._in_alert = None, {}, [], "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        if tag == "label":
            self.labels.append(attrs.get("for"))
        self._in_alert = attrs.get("role") == "alert"

    def handle_data(self, data):
        if self._in_alert:
            self.alert += data

    def handle_endtag(self, tag):
        self._in_alert = False


def read_form(text):
    reader = FormReader()
    reader.feed(text)
    return reader


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def query_of(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class ManagedLoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_emulator(cls, "--movable-clock")
        cls.clock_offset = 0.0  # how far the tests moved the emulator's clock
        cls.pool_id = cls.idp.create_user_pool(PoolName="managed", UsernameConfiguration={"CaseSensitive": False})[
            "UserPool"
        ]["Id"]
        cls.client_id = cls.idp.create_user_pool_client(
            UserPoolId=cls.pool_id,
            ClientName="spa",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "phone"],
            SupportedIdentityProviders=["COGNITO"],
            CallbackURLs=[APP],
            LogoutURLs=[APP],
            ReadAttributes=["email", "email_verified", "phone_number", "phone_number_verified"],
            AccessTokenValidity=60,
            IdTokenValidity=30,
            TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        )["UserPoolClient"]["ClientId"]
        cls.idp.admin_create_user(
            UserPoolId=cls.pool_id,
            Username="user-a",
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": "usera@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        cls.idp.admin_set_user_password(UserPoolId=cls.pool_id, Username="user-a", Password=PASSWORD, Permanent=True)
        discovery = requests.get(f"{cls.endpoint}/{cls.pool_id}/.well-known/openid-configuration", timeout=10).json()
        cls.discovery = discovery
        cls.token_url = discovery["token_endpoint"]

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls)

    # ---- helpers ----------------------------------------------------------------------------

    def oauth(self, **options):
        """Authlib's client, as a public SPA client uses it: client_id in the body, PKCE S256."""
        options = {"redirect_uri": APP, "scope": "openid email", "code_challenge_method": "S256", **options}
        return OAuth2Session(self.client_id, token_endpoint_auth_method="none", **options)

    def authorize_url(self, oauth, verifier, **params):
        url, state = oauth.create_authorization_url(
            self.discovery["authorization_endpoint"], code_verifier=verifier, **params
        )
        return url, state

    def sign_in_page(self, browser, url, username="user-a", password=PASSWORD):
        """Opens `url` (an authorize URL) as a browser would, fills in the login form, submits it:
        the final response, not followed."""
        page = browser.get(url, timeout=10)
        self.assertEqual(page.status_code, 200, page.text)
        form = read_form(page.text)
        self.assertEqual(form.labels, ["username", "password"])
        fields = {**form.fields, "username": username, "password": password}
        return browser.post(urljoin(page.url, form.action), data=fields, allow_redirects=False, timeout=10)

    def code_for(self, oauth=None, verifier=None, browser=None, **params):
        """(oauth, verifier, callback URL with the code) after a sign-in on the login page."""
        oauth = oauth or self.oauth()
        verifier = verifier or secrets.token_urlsafe(48)
        url, _state = self.authorize_url(oauth, verifier, **params)
        response = self.sign_in_page(browser or requests.Session(), url)
        self.assertEqual(response.status_code, 302, response.text)
        return oauth, verifier, response.headers["Location"]

    def tokens(self, **params):
        oauth, verifier, callback = self.code_for(**params)
        return oauth, oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)

    def token_error(self, call):
        with self.assertRaises(OAuthError) as caught:
            call()
        return caught.exception.error

    def move_clock(self, seconds):
        response = requests.post(f"{self.endpoint}/_emulator/clock", data={"advance": seconds}, timeout=10)
        self.assertEqual(response.status_code, 200)
        type(self).clock_offset += seconds

    def user_info(self, access_token, **headers):
        return requests.get(
            self.discovery["userinfo_endpoint"],
            timeout=10,
            headers={"Authorization": f"Bearer {access_token}", **headers},
        )

    def verified(self, token):
        """The token's claims once its signature checks against the discovery document's keys."""
        keys = KeySet.import_key_set(requests.get(self.discovery["jwks_uri"], timeout=10).json())
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(now=int(time.time() + self.clock_offset), leeway=5).validate(decoded.claims)
        return decoded.claims

    # ---- the code flow ----------------------------------------------------------------------

    def test_code_with_pkce_signs_in(self):
        oauth = self.oauth()
        verifier = secrets.token_urlsafe(48)
        url, state = self.authorize_url(oauth, verifier, nonce="nonce-123")
        callback = self.sign_in_page(requests.Session(), url)
        # Back to the registered callback, code and state in the query.
        self.assertTrue(callback.headers["Location"].startswith(APP + "?"), callback.headers["Location"])
        params = query_of(callback.headers["Location"])
        self.assertEqual(params["state"], state)
        uuid.UUID(params["code"])

        raw = requests.post(
            self.token_url,
            timeout=10,
            data={
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": params["code"],
                "redirect_uri": APP,
                "code_verifier": verifier,
            },
        )
        self.assertEqual(raw.status_code, 200, raw.text)
        self.assertEqual(raw.headers["Content-Type"], JSON_TYPE)
        self.assertIn("no-store", raw.headers["Cache-Control"])
        body = raw.json()
        self.assertEqual(sorted(body), ["access_token", "expires_in", "id_token", "refresh_token", "token_type"])
        self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 3600))  # AccessTokenValidity

        id_claims, access_claims = self.verified(body["id_token"]), self.verified(body["access_token"])
        issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{self.pool_id}"
        self.assertEqual(id_claims["iss"], issuer)
        self.assertEqual((id_claims["aud"], id_claims["token_use"]), (self.client_id, "id"))
        self.assertEqual(id_claims["cognito:username"], "user-a")
        self.assertEqual(id_claims["nonce"], "nonce-123")
        self.assertIs(id_claims["email_verified"], True)  # a boolean in Cognito's ID tokens
        self.assertEqual(id_claims["exp"] - id_claims["iat"], 30 * 60)  # IdTokenValidity
        digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
        self.assertEqual(id_claims["at_hash"], base64.urlsafe_b64encode(digest).rstrip(b"=").decode())
        self.assertEqual((access_claims["client_id"], access_claims["token_use"]), (self.client_id, "access"))
        self.assertNotIn("aud", access_claims)
        self.assertEqual(set(access_claims["scope"].split()), {"openid", "email"})  # as requested
        self.assertEqual((access_claims["version"], access_claims["username"]), (2, "user-a"))
        self.assertEqual(access_claims["auth_time"], id_claims["auth_time"])
        self.assertEqual(access_claims["origin_jti"], id_claims["origin_jti"])
        # moto's own API accepts the access token (GetUser).
        self.assertEqual(self.idp.get_user(AccessToken=body["access_token"])["Username"], "user-a")

    def test_without_a_nonce_the_id_token_has_none(self):
        _oauth, token = self.tokens()
        self.assertNotIn("nonce", claims(token["id_token"]))

    def test_scope_omitted_means_every_scope_of_the_client(self):
        _oauth, token = self.tokens(oauth=self.oauth(scope=None))
        self.assertEqual(set(claims(token["access_token"])["scope"].split()), {"openid", "email", "phone"})

    def test_wrong_verifier_is_invalid_grant_and_burns_the_code(self):
        oauth, verifier, callback = self.code_for()
        wrong = secrets.token_urlsafe(48)
        self.assertEqual(
            self.token_error(
                lambda: oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=wrong)
            ),
            "invalid_grant",
        )
        self.assertEqual(
            self.token_error(
                lambda: oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
            ),
            "invalid_grant",
        )

    def test_missing_verifier_is_invalid_request(self):
        oauth, _verifier, callback = self.code_for()
        self.assertEqual(
            self.token_error(lambda: oauth.fetch_token(self.token_url, authorization_response=callback)),
            "invalid_request",
        )

    def test_a_short_verifier_is_accepted_as_cognito_does(self):
        # AWS's guide suggests a UUID (36 characters, under RFC 7636's 43).
        _oauth, token = self.tokens(verifier=str(uuid.uuid4()))
        self.assertIn("id_token", token)

    def test_replayed_code_is_invalid_grant(self):
        oauth, verifier, callback = self.code_for()
        oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
        self.assertEqual(
            self.token_error(
                lambda: oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
            ),
            "invalid_grant",
        )

    def test_code_expires_after_five_minutes(self):
        first, first_verifier, first_callback = self.code_for()
        second, second_verifier, second_callback = self.code_for()
        self.move_clock(299)
        first.fetch_token(self.token_url, authorization_response=first_callback, code_verifier=first_verifier)
        self.move_clock(2)
        self.assertEqual(
            self.token_error(
                lambda: second.fetch_token(
                    self.token_url, authorization_response=second_callback, code_verifier=second_verifier
                )
            ),
            "invalid_grant",
        )

    def test_code_is_bound_to_its_client(self):
        other = self.idp.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName="other",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            SupportedIdentityProviders=["COGNITO"],
            CallbackURLs=[APP],
        )["UserPoolClient"]["ClientId"]
        _oauth, verifier, callback = self.code_for()
        thief = OAuth2Session(other, token_endpoint_auth_method="none", redirect_uri=APP)
        self.assertEqual(
            self.token_error(
                lambda: thief.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
            ),
            "invalid_grant",
        )

    # ---- redirect_uri and the error page ----------------------------------------------------

    def test_unregistered_redirect_uri_never_reaches_the_app(self):
        for wrong in (APP + "/", "http://localhost:5174", "https://evil.example"):
            with self.subTest(redirect_uri=wrong):
                url, _ = self.authorize_url(self.oauth(redirect_uri=wrong), secrets.token_urlsafe(48))
                response = requests.get(url, allow_redirects=False, timeout=10)
                self.assertEqual(response.status_code, 302)
                location = urljoin(url, response.headers["Location"])
                self.assertEqual(urlsplit(location).path, "/error")
                self.assertEqual(query_of(location), {"error": "redirect_mismatch", "client_id": self.client_id})
                page = requests.get(location, timeout=10)
                self.assertEqual(page.status_code, 400)
                self.assertIn(ERROR_PAGE_TEXT, page.text)

    def test_redirect_uri_must_match_at_the_token_endpoint(self):
        _oauth, verifier, callback = self.code_for()
        other = self.oauth(redirect_uri=APP + "/")
        self.assertEqual(
            self.token_error(
                lambda: other.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
            ),
            "invalid_grant",
        )

    def test_unknown_client_gets_the_error_page(self):
        response = requests.get(
            self.discovery["authorization_endpoint"],
            allow_redirects=True,
            timeout=10,
            params={"client_id": "nope", "redirect_uri": APP, "response_type": "code"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn(ERROR_PAGE_TEXT, response.text)

    def authorize_error(self, oauth, verifier=None, **params):
        url, state = self.authorize_url(oauth, verifier or secrets.token_urlsafe(48), **params)
        response = requests.get(url, allow_redirects=False, timeout=10)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers["Location"].startswith(APP + "?"), response.headers["Location"])
        params = query_of(response.headers["Location"])
        self.assertEqual(params.get("state"), state)
        self.assertNotIn("code", params)
        return params["error"]

    def test_plain_pkce_is_refused(self):
        # Authlib computes only S256 challenges itself: the plain one (the verifier) is passed as is.
        verifier = secrets.token_urlsafe(48)
        self.assertEqual(
            self.authorize_error(
                self.oauth(code_challenge_method="plain"),
                verifier,
                code_challenge=verifier,
                code_challenge_method="plain",
            ),
            "invalid_request",
        )

    def test_a_challenge_needs_its_method(self):
        self.assertEqual(
            self.authorize_error(self.oauth(code_challenge_method=None), code_challenge="x" * 43), "invalid_request"
        )

    def test_malformed_requests_go_back_with_an_error(self):
        self.assertEqual(self.authorize_error(self.oauth(scope="openid profile")), "invalid_scope")  # not allowed
        self.assertEqual(self.authorize_error(self.oauth(scope="email")), "invalid_scope")  # email needs openid
        self.assertEqual(self.authorize_error(self.oauth(), response_type="token"), "unauthorized_client")
        self.assertEqual(self.authorize_error(self.oauth(), response_type="id_token"), "unsupported_response_type")

    # ---- the session cookie and /logout -----------------------------------------------------

    def test_second_authorize_within_the_hour_skips_the_form(self):
        browser = requests.Session()
        self.code_for(browser=browser)
        url, state = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        again = browser.get(url, allow_redirects=False, timeout=10)
        self.assertEqual(again.status_code, 302)
        self.assertTrue(again.headers["Location"].startswith(APP + "?"))
        self.assertEqual(query_of(again.headers["Location"])["state"], state)
        # The cookie: not Secure (plain http), HttpOnly, SameSite=Lax.
        cookie = next(c for c in browser.cookies if c.name == "cognito")
        self.assertFalse(cookie.secure)
        self.move_clock(3601)
        expired = browser.get(url, allow_redirects=False, timeout=10)
        self.assertEqual(urlsplit(expired.headers["Location"]).path, "/login")

    def test_logout_to_a_registered_url_ends_the_session(self):
        browser = requests.Session()
        self.code_for(browser=browser)
        session_cookie = browser.cookies["cognito"]
        response = browser.get(
            self.discovery["end_session_endpoint"],
            allow_redirects=False,
            timeout=10,
            params={"client_id": self.client_id, "logout_uri": APP},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], APP)
        self.assertNotIn("cognito", browser.cookies)
        url, _ = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        self.assertEqual(
            urlsplit(browser.get(url, allow_redirects=False, timeout=10).headers["Location"]).path, "/login"
        )
        # The session is over on the server too: its old cookie signs nobody in.
        replayed = requests.get(url, cookies={"cognito": session_cookie}, allow_redirects=False, timeout=10)
        self.assertEqual(urlsplit(replayed.headers["Location"]).path, "/login")

    def test_logout_to_an_unregistered_url_is_refused(self):
        browser = requests.Session()
        self.code_for(browser=browser)
        for wrong in (APP + "/", "https://evil.example"):
            with self.subTest(logout_uri=wrong):
                response = browser.get(
                    self.discovery["end_session_endpoint"],
                    allow_redirects=True,
                    timeout=10,
                    params={"client_id": self.client_id, "logout_uri": wrong},
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn(ERROR_PAGE_TEXT, response.text)
                self.assertEqual(urlsplit(response.url).netloc, urlsplit(self.endpoint).netloc)
        # Nothing was signed out: the session still skips the form.
        url, _ = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        self.assertTrue(browser.get(url, allow_redirects=False, timeout=10).headers["Location"].startswith(APP))

    def test_logout_needs_a_client_id_and_a_destination(self):
        response = requests.get(self.discovery["end_session_endpoint"], params={"logout_uri": APP}, timeout=10)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Missing required parameter client_id", response.text)
        response = requests.get(
            self.discovery["end_session_endpoint"], params={"client_id": self.client_id}, timeout=10
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Required String parameter &#x27;redirect_uri&#x27; is not present", response.text)

    # ---- the login page ---------------------------------------------------------------------

    def test_wrong_password_stays_on_the_login_page(self):
        url, _ = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        for username, password in (("user-a", "Wrong-Passw0rd!"), ("nobody", PASSWORD)):
            with self.subTest(username=username):
                browser = requests.Session()
                response = self.sign_in_page(browser, url, username, password)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(read_form(response.text).alert, "Incorrect username or password.")
                self.assertNotIn("cognito", browser.cookies)

    def test_username_is_case_insensitive_where_the_pool_says_so(self):
        url, _ = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        response = self.sign_in_page(requests.Session(), url, "User-A")
        self.assertEqual(response.status_code, 302)

    def test_a_post_without_the_form_token_is_refused(self):
        url, _ = self.authorize_url(self.oauth(), secrets.token_urlsafe(48))
        login = urljoin(url, "/login?" + urlsplit(url).query)
        response = requests.post(
            login, data={"username": "user-a", "password": PASSWORD}, allow_redirects=False, timeout=10
        )
        self.assertEqual(response.status_code, 403)

    # ---- refresh, revoke, userInfo ----------------------------------------------------------

    def test_refresh_keeps_auth_time_and_scope(self):
        oauth, token = self.tokens(nonce="n-1")
        first = claims(token["id_token"])
        self.move_clock(600)
        refreshed = oauth.refresh_token(self.token_url, refresh_token=token["refresh_token"])
        second, access = self.verified(refreshed["id_token"]), claims(refreshed["access_token"])
        self.assertGreaterEqual(second["iat"] - first["iat"], 600)
        self.assertEqual(second["auth_time"], first["auth_time"])
        self.assertEqual(access["auth_time"], first["auth_time"])
        self.assertEqual(second["sub"], first["sub"])
        self.assertEqual(set(access["scope"].split()), {"openid", "email"})

    def test_refresh_answers_without_a_new_refresh_token(self):
        _oauth, token = self.tokens()
        raw = requests.post(
            self.token_url,
            timeout=10,
            data={"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": token["refresh_token"]},
        )
        self.assertEqual(raw.status_code, 200, raw.text)
        self.assertEqual(sorted(raw.json()), ["access_token", "expires_in", "id_token", "token_type"])

    def test_revoked_refresh_token_is_refused(self):
        oauth, token = self.tokens()
        other_oauth, other = self.tokens()
        revoked = requests.post(
            self.discovery["revocation_endpoint"],
            timeout=10,
            data={"token": token["refresh_token"], "client_id": self.client_id},
        )
        self.assertEqual((revoked.status_code, revoked.text), (200, ""))
        self.assertEqual(revoked.headers["Content-Type"], JSON_TYPE)
        self.assertEqual(
            self.token_error(lambda: oauth.refresh_token(self.token_url, refresh_token=token["refresh_token"])),
            "invalid_grant",
        )
        # ... and so is the access token issued with it; another sign-in is untouched.
        self.assertEqual(self.user_info(token["access_token"]).status_code, 401)
        self.assertEqual(self.user_info(other["access_token"]).status_code, 200)
        other_oauth.refresh_token(self.token_url, refresh_token=other["refresh_token"])
        # The API's REFRESH_TOKEN_AUTH agrees.
        with self.assertRaises(self.idp.exceptions.NotAuthorizedException):
            self.idp.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": token["refresh_token"]},
            )

    def test_revoke_with_authlib_and_its_errors(self):
        oauth, token = self.tokens()
        self.assertEqual(
            oauth.revoke_token(
                self.discovery["revocation_endpoint"], token["refresh_token"], token_type_hint="refresh_token"
            ).status_code,
            200,
        )
        again = oauth.revoke_token(self.discovery["revocation_endpoint"], token["refresh_token"])
        self.assertEqual(again.status_code, 200)  # already revoked: not an error
        access = requests.post(
            self.discovery["revocation_endpoint"],
            timeout=10,
            data={"token": token["access_token"], "client_id": self.client_id},
        )
        self.assertEqual((access.status_code, access.json()), (400, {"error": "unsupported_token_type"}))
        unknown = requests.post(
            self.discovery["revocation_endpoint"],
            timeout=10,
            data={"token": token["refresh_token"], "client_id": "nope"},
        )
        self.assertEqual((unknown.status_code, unknown.json()), (401, {"error": "invalid_client"}))
        missing = requests.post(self.discovery["revocation_endpoint"], timeout=10, data={"client_id": self.client_id})
        self.assertEqual((missing.status_code, missing.json()), (400, {"error": "invalid_request"}))

    def test_user_info_by_scope(self):
        _oauth, token = self.tokens()
        response = self.user_info(token["access_token"])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], JSON_TYPE)
        self.assertIn("no-store", response.headers["Cache-Control"])
        body = response.json()
        self.assertEqual(body.pop("sub"), claims(token["id_token"])["sub"])
        # openid email: email and email_verified (a string here), and the username.
        self.assertEqual(body, {"email": "usera@example.com", "email_verified": "true", "username": "user-a"})

    def test_user_info_refusals(self):
        missing = requests.get(self.discovery["userinfo_endpoint"], timeout=10)
        self.assertEqual(missing.status_code, 400)
        self.assertIn('error="invalid_request"', missing.headers["WWW-Authenticate"])
        forged = self.user_info("e30.e30.sig")
        self.assertEqual(forged.status_code, 401)
        self.assertIn('error="invalid_token"', forged.headers["WWW-Authenticate"])
        # InitiateAuth's access tokens carry aws.cognito.signin.user.admin, not openid.
        api = self.idp.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "user-a", "PASSWORD": PASSWORD},
        )
        self.assertEqual(self.user_info(api["AuthenticationResult"]["AccessToken"]).status_code, 400)
        _oauth, token = self.tokens()
        self.move_clock(3601)
        self.assertEqual(self.user_info(token["access_token"]).status_code, 401)  # expired

    # ---- errors, CORS, discovery ------------------------------------------------------------

    def test_token_errors_are_cognitos_json(self):
        cases = [
            ({"grant_type": "password", "client_id": self.client_id}, "unsupported_grant_type"),
            ({"client_id": self.client_id, "code": "x"}, "invalid_request"),
            ({"grant_type": "authorization_code", "client_id": "nope", "code": "x"}, "invalid_client"),
            (
                {
                    "grant_type": "authorization_code",
                    "client_id": self.client_id,
                    "code": str(uuid.uuid4()),
                    "redirect_uri": APP,
                    "code_verifier": "x" * 43,
                },
                "invalid_grant",
            ),
            ({"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": "nope"}, "invalid_grant"),
            ({"grant_type": "client_credentials", "client_id": self.client_id}, "unauthorized_client"),
        ]
        for data, error in cases:
            with self.subTest(error=error):
                response = requests.post(self.token_url, data=data, timeout=10)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.headers["Content-Type"], JSON_TYPE)
                self.assertEqual(response.json(), {"error": error})
        as_json = requests.post(self.token_url, json={"grant_type": "refresh_token"}, timeout=10)
        self.assertEqual((as_json.status_code, as_json.json()), (400, {"error": "invalid_request"}))

    def test_cors_for_the_registered_origin_only(self):
        _oauth, token = self.tokens()
        for origin, allowed in ((APP, True), ("http://127.0.0.1:5173", False)):
            with self.subTest(origin=origin):
                answer = requests.post(
                    self.token_url,
                    headers={"Origin": origin},
                    timeout=10,
                    data={
                        "grant_type": "refresh_token",
                        "client_id": self.client_id,
                        "refresh_token": token["refresh_token"],
                    },
                )
                self.assertEqual(answer.headers.get("Access-Control-Allow-Origin"), origin if allowed else None)
                error = requests.post(self.token_url, headers={"Origin": origin}, data={"grant_type": "x"}, timeout=10)
                self.assertEqual(error.headers.get("Access-Control-Allow-Origin"), origin if allowed else None)
                info = self.user_info(token["access_token"], Origin=origin)
                self.assertEqual(info.headers.get("Access-Control-Allow-Origin"), origin if allowed else None)
                preflight = requests.options(
                    self.discovery["userinfo_endpoint"],
                    timeout=10,
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "GET",
                        "Access-Control-Request-Headers": "authorization",
                    },
                )
                self.assertEqual(preflight.status_code, 200 if allowed else 403)
                if allowed:
                    self.assertIn("authorization", preflight.headers["Access-Control-Allow-Headers"])

    def test_discovery_lists_the_local_endpoints(self):
        document = self.discovery
        self.assertEqual(list(document), sorted(document))  # Cognito's key order
        self.assertEqual(document["issuer"], f"https://cognito-idp.us-east-1.amazonaws.com/{self.pool_id}")
        for key, path in (
            ("authorization_endpoint", "/oauth2/authorize"),
            ("token_endpoint", "/oauth2/token"),
            ("userinfo_endpoint", "/oauth2/userInfo"),
            ("end_session_endpoint", "/logout"),
            ("revocation_endpoint", "/oauth2/revoke"),
            ("jwks_uri", f"/{self.pool_id}/.well-known/jwks.json"),
        ):
            self.assertEqual(document[key], self.endpoint + path, key)
        for absent in ("code_challenge_methods_supported", "grant_types_supported", "claims_supported"):
            self.assertNotIn(absent, document)
        keys = requests.get(document["jwks_uri"], timeout=10).json()
        self.assertEqual([k["kid"] for k in keys["keys"]], ["dummy"])

    def test_nothing_secret_in_the_log(self):
        oauth, verifier, callback = self.code_for()
        code = query_of(callback)["code"]
        token = oauth.fetch_token(self.token_url, authorization_response=callback, code_verifier=verifier)
        # OIDC's standard logout request carries the ID token in its query.
        requests.get(
            self.discovery["end_session_endpoint"],
            allow_redirects=False,
            timeout=10,
            params={"client_id": self.client_id, "logout_uri": APP, "id_token_hint": token["id_token"]},
        )
        self.log.flush()
        self.log.seek(0)
        log = self.log.read()
        self.assertIn(b'"GET /logout" 302', log)  # the requests are logged, without their query
        for secret in (PASSWORD, code, verifier, token["access_token"], token["id_token"], token["refresh_token"]):
            self.assertNotIn(secret.encode(), log)


class MotoInternalsTest(unittest.TestCase):
    """The start-up check that names what a moto upgrade took away."""

    def test_this_moto_has_everything(self):
        self.assertEqual(cognito_managed_login.missing_moto_internals(), [])

    def test_a_missing_internal_is_named(self):
        internals = cognito_managed_login.MOTO_INTERNALS
        attributes = cognito_managed_login.MOTO_INSTANCE_ATTRIBUTES["CognitoIdpUserPool"]
        try:
            cognito_managed_login.MOTO_INTERNALS = internals + [
                ("moto.cognitoidp.models", "CognitoIdpUserPool", "create_jwt_v2"),
                ("moto.nowhere", None, "x"),
            ]
            attributes.append("refresh_tokens_v2")
            self.assertEqual(
                cognito_managed_login.missing_moto_internals(),
                [
                    "moto.cognitoidp.models.CognitoIdpUserPool.create_jwt_v2",
                    "moto.nowhere.x",
                    "CognitoIdpUserPool().refresh_tokens_v2",
                ],
            )
        finally:
            cognito_managed_login.MOTO_INTERNALS = internals
            attributes.remove("refresh_tokens_v2")


if __name__ == "__main__":
    unittest.main()
