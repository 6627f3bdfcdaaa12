from __future__ import annotations

from pluralspace.kit.crypto import Passwords

from ..helpers import unit_of_work


def test_default_cost_is_the_libraries_recommended_argon2id():
    passwords = Passwords()
    assert passwords.parameters == (3, 65536, 4)
    stored = passwords.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify(stored, "correct horse battery staple")
    assert not passwords.verify(stored, "wrong") and not passwords.verify("not a hash", "x")


def test_hashes_made_at_another_cost_are_flagged_for_upgrade():
    cheap, default = Passwords(1, 1024, 1), Passwords()
    stored = cheap.hash("correct horse battery staple")
    assert default.verify(stored, "correct horse battery staple")  # still accepted
    assert default.needs_rehash(stored) and not cheap.needs_rehash(stored)


def test_login_upgrades_a_hash_made_at_another_cost(make_server):
    cheap = make_server().api()
    account = cheap.register()
    stronger = make_server(argon2_time_cost=2, argon2_memory_kib=2048, argon2_parallelism=1)
    stronger.api().login(account.email, account.password)

    def stored_hash(session):
        from sqlalchemy import select

        from pluralspace.identity.account import Account

        return session.execute(select(Account.password_hash).where(Account.email == account.email)).scalar_one()

    assert "m=2048,t=2,p=1" in unit_of_work(stronger, stored_hash)
