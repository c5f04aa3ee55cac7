"""The other side: a form about a token of a blockchain or a game (its address, contract,
balance, symbol, amount) was refused as asking for a secret. "Enter the token address" and
"Confirm the token balance" were refused by the English check before 2026-12-05 (a token's
address was not among what is *about* a credential), and, once the words of other languages
were read, "Введите адрес токена", "Saisissez le montant en jetons", "トークンのアドレスを入力して
ください" and the like were too: a wallet's or a game's server asks for those, and a user whose
forms are refused turns the check off. They pass now; a token asked for in the same words
("Paste your token", "Введите токен") is still refused."""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.gateway._interceptors.elicitation import secret_fields


def _asked(message: str) -> dict[str, Any]:
    return {
        "message": message,
        "requestedSchema": {"type": "object", "properties": {"value": {"type": "string"}}},
    }


ORDINARY = [
    "Enter the token address",
    "Confirm the token balance",
    "Enter the token symbol",
    "Introduce la dirección del token",
    "Indica el contrato del token",
    "Insira o endereço do token",
    "Geben Sie die Token-Adresse ein",
    "Geben Sie den Token-Betrag ein",
    "Entrez le symbole du jeton",
    "Saisissez le montant en jetons",
    "Введите адрес токена",
    "トークンのアドレスを入力してください",
    "トークンの残高を確認してください",
    "请输入令牌地址",
    "토큰 주소를 입력하세요",
]

ASKING = [
    "Paste your token",
    "Pega tu token",
    "Введите токен",
    "Saisissez votre jeton",
    "トークンを入力してください",
]


@pytest.mark.parametrize("message", ORDINARY)
def test_a_form_about_a_coin_token_is_not_refused(message: str) -> None:
    assert secret_fields(_asked(message)) == []


@pytest.mark.parametrize("message", ASKING)
def test_a_token_asked_for_in_the_same_words_still_is(message: str) -> None:
    assert secret_fields(_asked(message))
