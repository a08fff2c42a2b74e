"""moto's Cognito emulator with SRP sign-in that behaves like Amazon Cognito's, and managed login.

Run in place of `moto_server`, with the same arguments:

    .tools/aws/bin/python scripts/cognito-emulator.py -H 127.0.0.1 -p 9229 [--movable-clock]
        [--seed SEED.json --seed-ids IDS.env [--seed-region R] [--no-seed-users]]

Managed login (the user pool domain's OAuth 2.0 endpoints: /oauth2/authorize, /login,
/oauth2/token, ...) is served on the same origin by `cognito_managed_login.py`, next to this file.
`--movable-clock` (tests only) adds POST /_emulator/clock (form `advance=<seconds>`), which moves
the clock of codes, sessions and tokens forward. `--seed` creates a template's user pools, app
clients and the walkthrough's user in this process before the server starts (`cognito_seed.py`).
The whole story: docs/cognito-emulator.md.

moto 5.2's USER_SRP_AUTH is a stub: it answers with a random SALT and SRP_B, never checks the
password proof (any password signs in), and hands out the user's `sub` as USER_ID_FOR_SRP, which
a browser client (amazon-cognito-identity-js) sends back as USERNAME and moto then cannot find.
This module wraps moto's backend methods at run time (moto's files are untouched) so that:

1. the challenge carries what Cognito sends: USER_ID_FOR_SRP = the user's internal username
   (the `sub` only for email/phone-as-username pools, where moto's internal username is the sub),
   a real SALT and SRP_B for a verifier derived from the user's password, and an opaque base64
   SECRET_BLOCK; the challenge response may name the user by what was typed or by that id;
2. PASSWORD_CLAIM_SIGNATURE is verified. A wrong password, and an unknown user when the app
   client has PreventUserExistenceErrors=ENABLED, fail with
   `NotAuthorizedException: Incorrect username or password.`, as in Cognito. Each SECRET_BLOCK
   answers one attempt, within the client's AuthSessionValidity (minutes);
3. RevokeToken exists (moto 5.2 has no such action): it revokes the refresh token, so an SPA's
   sign-out can end its session.

The SRP arithmetic is pycognito's (`pycognito.aws_srp`, the client side Cognito's Python users
rely on); only the server's half of the exchange is written here. Nothing here logs a password,
a token or a proof.
"""

import argparse
import base64
import hashlib
import hmac
import os
import sys
import time
import uuid
from dataclasses import dataclass

from moto.cognitoidp.exceptions import NotAuthorizedError, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, RegionAgnosticBackend
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import EmptyResult
from moto.server import main as moto_server_main
from pycognito import aws_srp

N = aws_srp.hex_to_long(aws_srp.N_HEX)
G = aws_srp.hex_to_long(aws_srp.G_HEX)
# k = H(N | g), padded as the clients pad it (pycognito's AWSSRP.__init__).
K = aws_srp.hex_to_long(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX))
INCORRECT = "Incorrect username or password."


@dataclass
class PendingChallenge:
    """What the server remembers between InitiateAuth and RespondToAuthChallenge."""

    pool_name: str  # the part of the pool id after "_": Cognito's SRP "pool name"
    username: str | None  # the name moto opened the session with; None for a decoy (unknown user)
    names: frozenset[str]  # what the response may carry as USERNAME
    user_id_for_srp: str
    srp_a: int
    small_b: int
    big_b: int
    verifier: int
    expires_at: float


# Keyed by SECRET_BLOCK. dict.pop is atomic under the GIL, which makes "one attempt per
# SECRET_BLOCK" hold on moto's threaded server.
_pending: dict[str, PendingChallenge] = {}


def _verifier(pool_name: str, user_id_for_srp: str, password: str, salt: int) -> int:
    """v = g^x, x = H(salt | H(poolName | userIdForSrp | ":" | password))."""
    identity = aws_srp.hash_sha256(f"{pool_name}{user_id_for_srp}:{password}".encode())
    x = aws_srp.hex_to_long(aws_srp.hex_hash(aws_srp.pad_hex(salt) + identity))
    return pow(G, x, N)


def _client_of(backend: CognitoIdpBackend, client_id: str):
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    return None, None


def _prune_expired(now: float) -> None:
    for block in [b for b, c in list(_pending.items()) if c.expires_at < now]:
        _pending.pop(block, None)


_moto_initiate_auth = CognitoIdpBackend.initiate_auth
_moto_respond_to_auth_challenge = CognitoIdpBackend.respond_to_auth_challenge


def initiate_auth(self, client_id, auth_flow, auth_parameters):
    if auth_flow != "USER_SRP_AUTH":
        return _moto_initiate_auth(self, client_id, auth_flow, auth_parameters)
    pool, client = _client_of(self, client_id)
    typed = (auth_parameters or {}).get("USERNAME") or ""
    if (auth_parameters or {}).get("SRP_A"):  # moto itself refuses a missing one
        try:
            srp_a = aws_srp.hex_to_long(auth_parameters["SRP_A"])
        except ValueError:
            srp_a = 0
        if srp_a % N == 0:  # SRP's safety check: A = 0 (mod N) would make the proof worthless
            raise NotAuthorizedError(INCORRECT)
    try:
        # moto checks the client, SRP_A's presence, the secret hash, and the user's state,
        # and opens a session (keyed by what it returns as SECRET_BLOCK).
        result = _moto_initiate_auth(self, client_id, auth_flow, auth_parameters)
    except UserNotFoundError:
        # Cognito hides unknown users behind a normal-looking challenge when the client asks
        # for it; the answer then fails like a wrong password. moto ignores the setting.
        if client is None or client.extended_config.get("PreventUserExistenceErrors") != "ENABLED":
            raise
        result = None

    pool_name = pool.id.split("_", 1)[1]
    salt = aws_srp.get_random(16)
    if result is None:
        username, user_id_for_srp = None, typed
        verifier = pow(G, aws_srp.get_random(32), N)
        session = str(uuid.uuid4())
    else:
        user = self.admin_get_user(pool.id, typed)
        # moto's tokens are built from the name the session was opened with (an email pool's
        # `email` claim is that name), so that is what moto gets back below.
        username, user_id_for_srp = typed, user.username
        verifier = _verifier(pool_name, user_id_for_srp, user.password or "", salt)
        session = result["Session"]
    small_b = aws_srp.get_random(128) % N
    big_b = (K * verifier + pow(G, small_b, N)) % N
    # moto's UUID session id is not base64 (Node and Python decode it differently): use an
    # opaque random block, as Cognito does, and move moto's session under it (moto finds the
    # session of a PASSWORD_VERIFIER answer by PASSWORD_CLAIM_SECRET_BLOCK).
    secret_block = base64.standard_b64encode(os.urandom(64)).decode()
    if result is not None:
        self.sessions[secret_block] = self.sessions.pop(session)

    now = time.time()
    _prune_expired(now)
    validity_minutes = int(client.extended_config.get("AuthSessionValidity") or 3)
    _pending[secret_block] = PendingChallenge(
        pool_name=pool_name,
        username=username,
        names=frozenset({typed, user_id_for_srp}),
        user_id_for_srp=user_id_for_srp,
        srp_a=srp_a,
        small_b=small_b,
        big_b=big_b,
        verifier=verifier,
        expires_at=now + 60 * validity_minutes,
    )
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": session,
        "ChallengeParameters": {
            # pad_hex: clients re-pad these before hashing; an unpadded SALT hashes differently
            # in pycognito than in amazon-cognito-identity-js.
            "SALT": aws_srp.pad_hex(salt),
            "SRP_B": aws_srp.pad_hex(big_b),
            "USERNAME": user_id_for_srp,
            "USER_ID_FOR_SRP": user_id_for_srp,
            "SECRET_BLOCK": secret_block,
        },
    }


def _expected_signature(challenge: PendingChallenge, secret_block: str, timestamp: str) -> bytes:
    """The server's side of Cognito's SRP: S = (A * v^u)^b, key = HKDF(S, u), HMAC over
    poolName | userIdForSrp | SECRET_BLOCK (decoded) | TIMESTAMP."""
    u = aws_srp.calculate_u(challenge.srp_a, challenge.big_b)
    if u == 0:
        raise NotAuthorizedError(INCORRECT)
    s = pow(challenge.srp_a * pow(challenge.verifier, u, N), challenge.small_b, N)
    key = aws_srp.compute_hkdf(
        bytearray.fromhex(aws_srp.pad_hex(s)), bytearray.fromhex(aws_srp.pad_hex(aws_srp.long_to_hex(u)))
    )
    message = (
        challenge.pool_name.encode()
        + challenge.user_id_for_srp.encode()
        + base64.standard_b64decode(secret_block)
        + timestamp.encode()
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
    if challenge_name != "PASSWORD_VERIFIER":
        return _moto_respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses)
    responses = dict(challenge_responses or {})
    secret_block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
    challenge = _pending.pop(secret_block, None)
    if challenge is None:
        # Never issued, already answered once, or pruned after expiry.
        self.sessions.pop(secret_block, None)
        raise NotAuthorizedError("Invalid session for the user.")
    if time.time() > challenge.expires_at:
        self.sessions.pop(secret_block, None)
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    try:
        claimed = base64.standard_b64decode(responses.get("PASSWORD_CLAIM_SIGNATURE") or "")
        expected = _expected_signature(challenge, secret_block, responses.get("TIMESTAMP") or "")
    except (ValueError, TypeError):
        claimed, expected = b"", b"\0"
    if (
        challenge.username is None
        or responses.get("USERNAME") not in challenge.names
        or not hmac.compare_digest(claimed, expected)
    ):
        self.sessions.pop(secret_block, None)
        raise NotAuthorizedError(INCORRECT)
    # Proven: let moto finish (MFA and new-password challenges, tokens) for the real user.
    responses["USERNAME"] = challenge.username
    return _moto_respond_to_auth_challenge(self, session, client_id, challenge_name, responses)


def revoke_token(self):
    """RevokeToken: the refresh token of this client stops working (RFC 7009 style: an unknown
    token is not an error). moto keeps no link from access tokens to their refresh token, so
    only the refresh token is revoked; API Gateway's authorizers never check revocation anyway."""
    token = self._get_param("Token")
    client_id = self._get_param("ClientId")
    backend = RegionAgnosticBackend(self.current_account, self.region)._find_backend_for_clientid(client_id)
    pool, _client = _client_of(backend, client_id)
    if pool is None:
        raise NotAuthorizedError("Invalid client id.")
    entry = pool.refresh_tokens.get(token)
    if entry is not None and entry[0] == client_id:
        pool.refresh_tokens[token] = None
    return EmptyResult()


def install() -> None:
    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge
    CognitoIdpResponse.revoke_token = revoke_token


def emulator_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """This emulator's own options; the rest go to moto's server."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--movable-clock", action="store_true")
    parser.add_argument("--seed", help="a `local-api-gateway cognito-seed` document: its pools are created at start")
    parser.add_argument("--seed-ids", help="where to write the created ids (ID_<LogicalId>=<id> lines)")
    parser.add_argument("--seed-region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--seed-timeout", type=float, default=120.0, help="seconds to wait for the --seed file")
    parser.add_argument("--no-seed-users", action="store_true", help="create no user in the seeded pools")
    return parser.parse_known_args(argv)


if __name__ == "__main__":
    import cognito_managed_login  # next to this script, on sys.path when run as a script
    import cognito_seed

    missing = cognito_managed_login.missing_moto_internals()
    if missing:
        sys.exit(
            "cognito-emulator: this moto lacks what the emulator builds on (see MOTO_INTERNALS in "
            "cognito_managed_login.py): " + ", ".join(missing)
        )
    install()
    options, moto_args = emulator_arguments(sys.argv[1:])
    cognito_managed_login.install(movable_clock=options.movable_clock)
    # Before the server listens: once it answers, the pools are there.
    cognito_seed.seed_from_args(options)
    sys.exit(moto_server_main(moto_args))
