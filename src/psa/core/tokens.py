"""Personal API tokens: created (shown once), checked, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from psa.core import audit, clock
from psa.core.errors import NotFound, PermissionDenied, ValidationFailed
from psa.core.models import ApiToken
from psa.core.roles import Actor

TOKEN_PREFIX = "psa"  # noqa: S105 - a label, not a secret
MAX_TOKEN_DAYS = 366
ERR_TOKEN_DAYS = f"expiry must be between 1 and {MAX_TOKEN_DAYS} days"
ERR_TOKEN_NAME = "a token needs a name of 1-100 characters"  # noqa: S105
# Tokens verified in this process, by digest: (valid until, on time.monotonic(); the token's
# expiry; its user). A cached token needs no query. This process forgets a token the moment it
# is revoked; other worker processes stop accepting it within PSA_TOKEN_CACHE_SECONDS.
_verified: dict[str, tuple[float, dt.datetime, User]] = {}
VERIFIED_MAX = 10_000

ERR_NO_TOKEN = "you have no token {id}"  # noqa: S105
ERR_NO_USER = "no user named {username!r}"
ERR_NOT_YOURS = "you may only create tokens for yourself"  # noqa: S105 - a message


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token string: shown to the user once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def default_token_days() -> int:
    """How long a token lives when its expiry is not given (PSA_TOKEN_DEFAULT_DAYS)."""
    return int(settings.PSA_TOKEN_DEFAULT_DAYS)


def token_create(*, actor: Actor, user: User, name: str, days: int | None = None) -> IssuedToken:
    if actor.user_id != user.pk and not actor.is_admin:
        raise PermissionDenied(ERR_NOT_YOURS, field="user")
    days = default_token_days() if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(ERR_TOKEN_DAYS, field="days")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed(ERR_TOKEN_NAME, field="name")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    now = clock.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=_digest(secret),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        audit.record(
            actor=actor,
            action="token.create",
            target=token,
            after={"name": name, "user": user.get_username(), "expires_at": token.expires_at},
        )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        # Someone else's token reads as missing, so token ids cannot be probed.
        mine = ApiToken.objects.select_for_update()
        if not actor.is_admin:
            mine = mine.filter(user_id=actor.user_id) if actor.user_id else mine.none()
        token = mine.filter(pk=token_id).first()
        if token is None:
            raise NotFound(ERR_NO_TOKEN.format(id=token_id), field="token_id")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            forget_verified()
            audit.record(
                actor=actor,
                action="token.revoke",
                target=token,
                before={"revoked_at": None},
                after={"revoked_at": token.revoked_at},
            )
    return token


def token_authenticate(secret: str) -> User | None:
    """The user a token belongs to, or None if unknown, expired or revoked."""
    parts = secret.split("_", 2)  # the random part may itself contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    digest = _digest(secret)
    now = clock.now()
    hit = _verified.get(digest)
    if hit is not None and hit[0] > time.monotonic() and hit[1] > now:
        return hit[2]
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        _verified.pop(digest, None)
        return None
    # Record use at most once a minute: keeps the hot path free of writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    seconds = settings.PSA_TOKEN_CACHE_SECONDS
    if seconds > 0:
        if len(_verified) >= VERIFIED_MAX:
            _verified.clear()
        _verified[digest] = (time.monotonic() + seconds, token.expires_at, token.user)
    return token.user


def forget_verified() -> None:
    """Make every token be checked against the database again (after a revocation, or a
    change to a login)."""
    _verified.clear()


def tokens_for(*, actor: Actor) -> list[ApiToken]:
    if actor.user_id is None:
        return []
    return list(ApiToken.objects.filter(user_id=actor.user_id))


def user_by_username(username: str) -> User:
    """The login of this username: whom a CLI `--user` names."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(ERR_NO_USER.format(username=username), field="user")
    return user
