"""Bearer tokens over HTTP (admin only): list them, create one (its secret shown once), revoke
one (refused at once from then on)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from service.api.ledger import command
from service.http import auth
from service.http.blueprint import Blueprint, problems
from service.http.bodies import json_body
from service.http.context import ledger_session
from service.ledger import tokens
from service.wire import requests

__all__ = ["TokenSchema", "TokensSchema", "blp"]

blp = Blueprint("tokens", __name__, url_prefix="/api/v1",
                description="Bearer tokens: an admin token is needed.")

TOKEN = requests.TokenRequestSchema()


class TokenSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    owner = fields.String(required=True)
    role = fields.String(required=True)
    created = fields.String(required=True)
    expires = fields.String(required=True, allow_none=True)
    revoked = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class CreatedTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={
        "description": "the secret: shown only in this answer, keep it safe"})


class TokensSchema(ma.Schema):
    tokens = fields.List(fields.Nested(TokenSchema), required=True)


@blp.route("/tokens")
@blp.guarded("admin")
@auth.requires("admin")
@blp.alt_response(200, schema=TokensSchema, description="Every token, oldest first")
def list_tokens() -> Any:
    """Every token: id, name, owner, role, created, expires, revoked, active."""
    return {"tokens": tokens.list_tokens(ledger_session())}


@blp.route("/tokens", methods=["POST"])
@blp.guarded("admin")
@auth.requires("admin")
@blp.json_body(TOKEN)
@blp.alt_response(201, schema=CreatedTokenSchema, description="The new token and its secret")
def create_token() -> Any:
    """Create a token; its secret is in this answer only (the ledger keeps a digest, so this
    call takes no Idempotency-Key: a stored answer would keep the secret)."""
    data = json_body(TOKEN)
    session = ledger_session()
    try:
        secret = tokens.create_token(session, data["name"], data["role"], auth.actor(),
                                     owner=data.get("owner"), days=data["days"])
        row = tokens.find_token(session, secret)
        assert row is not None  # made just now
        body = tokens.token_body(row) | {"token": secret}
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return body, 201


@blp.route("/tokens/<id:token_id>", methods=["DELETE"])
@blp.guarded("admin")
@auth.requires("admin")
@blp.doc(responses=problems((404, "No such token"), (409, "Revoked already")))
@blp.alt_response(200, schema=TokenSchema, description="The token, revoked")
def revoke_token(token_id: int) -> Any:
    """Revoke a token: every request with it is refused (401) from now on."""
    return command(lambda s: tokens.revoke_token(s, token_id, auth.actor()), 200)
