"""The console's rules about people, desks, passwords and lock-out, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice_platform.auth import Role
from console_service.adapters.passwords import hash_password, verify_password
from console_service.domain.people import (
    Desk,
    LoginPolicy,
    PeopleError,
    User,
    check_password,
    normalise_email,
    parse_roles,
)

NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def user(*roles: Role) -> User:
    return User("usr-1", "x@example.com", "X", frozenset(roles), "en_DK", True)


def test_desks_open_by_role_admins_everywhere_auditors_read_every_desk_but_admin() -> None:
    assert user(Role.ORDER_CLERK).desks() == [Desk.ORDERS]
    assert user(Role.PAYABLES_CLERK).desks() == [Desk.ACCOUNTING]
    assert user(Role.SUPPORT_AGENT).desks() == [Desk.SERVICE]
    assert user(Role.AUDITOR).desks() == [Desk.ORDERS, Desk.ACCOUNTING, Desk.SERVICE]
    assert user(Role.ADMIN).desks() == list(Desk)


def test_roles_are_the_platforms_and_people_are_no_partners_or_system_processes() -> None:
    assert parse_roles(["approver", "payables_clerk"]) == {Role.APPROVER, Role.PAYABLES_CLERK}
    for bad, rule in (
        (["wizard"], "unknown-role"),
        (["service"], "unknown-role"),
        ([], "role-required"),
        (["partner"], "partner-not-a-user"),
    ):
        with pytest.raises(PeopleError) as refused:
            parse_roles(bad)
        assert (refused.value.field, refused.value.rule) == ("roles", rule)


def test_e_mail_is_normalised_and_checked() -> None:
    assert normalise_email("  Olga@Example.COM ") == "olga@example.com"
    with pytest.raises(PeopleError, match="not an e-mail"):
        normalise_email("olga")


def test_passwords_need_length_and_may_not_be_the_e_mail() -> None:
    check_password("correct horse battery staple", email="olga@example.com")
    with pytest.raises(PeopleError) as short:
        check_password("short", email="olga@example.com")
    assert short.value.rule == "password-too-short"
    with pytest.raises(PeopleError) as same:
        check_password("olga@example.com", email="olga@example.com")
    assert same.value.rule == "password-is-email"


def test_argon2_hashes_verify_only_the_right_password() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")
    assert not verify_password(None, "anything")  # unknown user: same work, never true
    assert not verify_password("not a hash", "anything")


def test_the_fifth_failure_in_a_row_locks_the_account_for_the_lockout() -> None:
    policy = LoginPolicy(max_failures=5, lockout=dt.timedelta(minutes=15), failures_per_address=20)
    assert policy.after_failure(3, NOW) == (4, None)
    assert policy.after_failure(4, NOW) == (5, NOW + dt.timedelta(minutes=15))
    locked = User(
        "u", "e@x.io", "E", frozenset({Role.APPROVER}), "en_DK", True, 5, NOW + dt.timedelta(minutes=15)
    )
    assert locked.locked(NOW + dt.timedelta(minutes=14))
    assert not locked.locked(NOW + dt.timedelta(minutes=16))
    assert not policy.address_throttled(19) and policy.address_throttled(20)
