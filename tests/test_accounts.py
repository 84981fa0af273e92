"""Accounts for the shared server: users, roles, logins and their limits, sessions,
approvals by both parties, comments, the audit trail, the SQLite file and the CLI."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier as ProcessBarrier
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from click.testing import CliRunner

from avtalsgen.accounts import (
    ACTIONS,
    EVENTS,
    MIGRATIONS,
    AccountError,
    Accounts,
    LoginError,
    Role,
)
from avtalsgen.accounts.database import migrate, schema_version, statements
from avtalsgen.cli import main

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "correct horse battery"
START = 1_750_000_000.0  # a fixed moment; the clock only moves when a test moves it


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "accounts.sqlite3"


@pytest.fixture
def accounts(db_path: Path, clock: Clock):
    opened = Accounts(db_path, clock=clock, hasher=FAST)
    yield opened
    opened.close()


@pytest.fixture
def people(accounts: Accounts) -> Accounts:
    """anna edits Luleå, kalle approves for the kommun, polly for the polis, rita reads."""
    for name in ("anna", "kalle", "polly", "rita", "nobody"):
        accounts.add_user(name, f"{name}@example.se", PASSWORD)
    accounts.grant("anna", "lulea", "editor")
    accounts.grant("kalle", "lulea", "approver", party="kommun")
    accounts.grant("polly", "lulea", "approver", party="polis")
    accounts.grant("rita", "lulea", "reader")
    return accounts


def stored_hash(path: Path, name: str) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT password_hash FROM users WHERE name = ?",
                                (name,)).fetchone()[0])


def events(accounts: Accounts, slug: str | None = None) -> list[str]:
    return [e.event for e in accounts.audit_log(slug)]


# Users


def test_add_user_and_look_up(accounts: Accounts) -> None:
    user = accounts.add_user("anna.berg", " Anna.Berg@Lulea.se ", PASSWORD)
    assert user.name == "anna.berg"
    assert user.email == "anna.berg@lulea.se"  # trimmed and lower-cased
    assert user.created == datetime.fromtimestamp(START, UTC)
    assert accounts.user("anna.berg") == user
    assert accounts.user("nobody") is None
    accounts.add_user("bo", "bo@example.se", PASSWORD)
    assert [u.name for u in accounts.users()] == ["anna.berg", "bo"]


def test_duplicate_name_or_email_is_refused(accounts: Accounts) -> None:
    accounts.add_user("anna", "anna@example.se", PASSWORD)
    with pytest.raises(AccountError, match="user 'anna' is already taken"):
        accounts.add_user("anna", "other@example.se", PASSWORD)
    with pytest.raises(AccountError, match=r"e-mail address 'anna@example.se' is already"):
        accounts.add_user("anna2", "ANNA@example.se", PASSWORD)
    assert len(accounts.users()) == 1


@pytest.mark.parametrize("name", ["a", "Anna", "an na", "åsa", "x" * 41, "", "anna/x"])
def test_bad_names_are_refused(accounts: Accounts, name: str) -> None:
    with pytest.raises(AccountError, match="not a valid user name"):
        accounts.add_user(name, "a@example.se", PASSWORD)


@pytest.mark.parametrize("email", ["anna", "anna@", "@example.se", "a b@example.se",
                                   "anna@example", "a@b@example.se", ""])
def test_bad_emails_are_refused(accounts: Accounts, email: str) -> None:
    with pytest.raises(AccountError, match="not a valid e-mail address"):
        accounts.add_user("anna", email, PASSWORD)


def test_password_rules(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="at least 12 characters"):
        accounts.add_user("anna", "anna@example.se", "x" * 11)
    with pytest.raises(AccountError, match="at most 1024"):
        accounts.add_user("anna", "anna@example.se", "x" * 1025)
    with pytest.raises(AccountError, match="not be the user name or the e-mail"):
        accounts.add_user("anna.andersson", "aa@example.se", "Anna.Andersson")
    with pytest.raises(AccountError, match="not be the user name or the e-mail"):
        accounts.add_user("anna", "anna.andersson@example.se", "anna.andersson@example.se")
    assert accounts.users() == []
    accounts.add_user("anna", "anna@example.se", "x" * 12)  # exactly 12 is enough
    with pytest.raises(AccountError, match="at least 12"):
        accounts.set_password("anna", "short")


def test_hash_is_argon2id_and_never_the_password(accounts: Accounts, db_path: Path) -> None:
    accounts.add_user("anna", "anna@example.se", PASSWORD)
    hashed = stored_hash(db_path, "anna")
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert PASSWORD.encode() not in db_path.read_bytes()
    accounts.add_user("bo", "bo@example.se", PASSWORD)
    assert stored_hash(db_path, "bo") != hashed  # salted
    assert accounts.user("anna") is not None and not hasattr(accounts.user("anna"), "hash")


def test_default_hasher_is_stronger_than_the_tests_one(tmp_path: Path) -> None:
    with Accounts(tmp_path / "a.sqlite3") as default:
        assert default.hasher.type is Type.ID
        assert default.hasher.time_cost >= 2 and default.hasher.memory_cost >= 65536


def test_set_password_ends_sessions_and_is_audited(accounts: Accounts) -> None:
    user = accounts.add_user("anna", "anna@example.se", PASSWORD)
    token = accounts.new_session(user, "10.0.0.1")
    accounts.set_password("anna", "a brand new passphrase", by="admin")
    assert accounts.session(token) is None
    with pytest.raises(LoginError):
        accounts.authenticate("anna", PASSWORD, "10.0.0.1")
    assert accounts.authenticate("anna", "a brand new passphrase", "10.0.0.1") == user
    changed = [e for e in accounts.audit_log() if e.event == "password_changed"]
    assert changed[0].name == "anna" and changed[0].detail == "by admin"
    with pytest.raises(AccountError, match="no user 'ghost'"):
        accounts.set_password("ghost", "a brand new passphrase")


def test_remove_user_takes_roles_and_sessions_keeps_records(people: Accounts) -> None:
    token = people.new_session("kalle", "10.0.0.1")
    people.approve("lulea", "v1", "kalle")
    people.remove_user("kalle")
    assert people.user("kalle") is None
    assert people.roles("kalle") == {}
    assert people.session(token) is None
    assert people.approvals("lulea", "v1")[0].name == "kalle"  # what happened stays
    assert "user_removed" in events(people)
    with pytest.raises(AccountError, match="no user 'kalle'"):
        people.remove_user("kalle")


# Roles

EXPECTED = {  # role -> the actions it allows
    "reader": {"view", "download", "comment"},
    "editor": {"view", "download", "comment", "edit", "save", "resolve_comment"},
    "approver": {"view", "download", "comment", "approve"},
}


@pytest.mark.parametrize("role", ["reader", "editor", "approver"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_can_matrix(accounts: Accounts, role: str, action: str) -> None:
    accounts.add_user("anna", "anna@example.se", PASSWORD)
    assert accounts.can("anna", "lulea", action) is False  # nothing before a grant
    accounts.grant("anna", "lulea", role, party="kommun" if role == "approver" else None)
    assert accounts.can("anna", "lulea", action) is (action in EXPECTED[role])
    assert accounts.can("anna", "pitea", action) is False  # only where granted
    accounts.revoke("anna", "lulea", role)
    assert accounts.can("anna", "lulea", action) is False


def test_can_refuses_unknown_actions_and_users(people: Accounts) -> None:
    with pytest.raises(AccountError, match="not an action"):
        people.can("anna", "lulea", "delete")
    assert people.can("ghost", "lulea", "view") is False


def test_roles_members_municipalities(people: Accounts) -> None:
    people.grant("anna", "lulea", "reader")
    people.grant("anna", "pitea", "approver", party="polis")
    assert people.roles("anna") == {
        "lulea": [Role("lulea", "editor"), Role("lulea", "reader")],
        "pitea": [Role("pitea", "approver", "polis")]}
    assert people.municipalities("anna") == ["lulea", "pitea"]
    assert people.municipalities("nobody") == []
    members = [(u.name, str(r)) for u, r in people.members("lulea")]
    assert members == [("anna", "editor"), ("anna", "reader"),
                       ("kalle", "approver (kommun)"), ("polly", "approver (polis)"),
                       ("rita", "reader")]
    taken = people.revoke("anna", "lulea")  # every role there
    assert {r.role for r in taken} == {"editor", "reader"}
    assert people.municipalities("anna") == ["pitea"]
    with pytest.raises(AccountError, match="does not have any role in lulea"):
        people.revoke("anna", "lulea")
    assert events(people, "lulea")[:2] == ["revoke", "grant"]


def test_approver_party_rules(people: Accounts) -> None:
    assert people.approver_party("kalle", "lulea") == "kommun"
    assert people.approver_party("polly", "lulea") == "polis"
    assert people.approver_party("anna", "lulea") is None
    with pytest.raises(AccountError, match="give kommun or polis"):
        people.grant("anna", "lulea", "approver")
    with pytest.raises(AccountError, match="give kommun or polis"):
        people.grant("anna", "lulea", "approver", party="region")
    with pytest.raises(AccountError, match="only an approver has a party"):
        people.grant("anna", "lulea", "editor", party="kommun")
    with pytest.raises(AccountError, match="not a role"):
        people.grant("anna", "lulea", "owner")
    with pytest.raises(AccountError, match="not a valid municipality"):
        people.grant("anna", "../etc", "reader")
    with pytest.raises(AccountError, match="no user 'ghost'"):
        people.grant("ghost", "lulea", "reader")
    people.grant("kalle", "lulea", "approver", party="polis")  # one party per person
    assert people.approver_party("kalle", "lulea") == "polis"
    assert [str(r) for r in people.roles("kalle")["lulea"]] == ["approver (polis)"]


# Login and its limits


def test_login_by_name_or_email(people: Accounts) -> None:
    assert people.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"
    assert people.authenticate("ANNA@Example.se", PASSWORD, "10.0.0.1").name == "anna"
    with pytest.raises(LoginError, match="wrong user name or password") as refused:
        people.authenticate("anna", PASSWORD + "x", "10.0.0.1")
    assert refused.value.locked_until is None
    logins = [e for e in people.audit_log() if e.event in ("login", "login_failed")]
    assert [(e.event, e.name, e.address) for e in logins] == [
        ("login_failed", "anna", "10.0.0.1"), ("login", "anna", "10.0.0.1"),
        ("login", "anna", "10.0.0.1")]


def test_lockout_after_five_failures_and_unlock_after_fifteen_minutes(
        people: Accounts, clock: Clock) -> None:
    for _ in range(4):
        with pytest.raises(LoginError, match="wrong"):
            people.authenticate("anna", "wrong password!", "10.0.0.1")
        clock.advance(60)
    with pytest.raises(LoginError, match="this account is locked until") as locked:
        people.authenticate("anna", "wrong password!", "10.0.0.2")
    until = START + 4 * 60 + 15 * 60
    assert locked.value.locked_until == datetime.fromtimestamp(until, UTC)
    assert datetime.fromtimestamp(until).strftime("%H:%M") in str(locked.value)
    clock.advance(14 * 60)
    with pytest.raises(LoginError, match="locked") as still:  # even the right password
        people.authenticate("anna@example.se", PASSWORD, "10.0.0.3")
    assert still.value.locked_until == locked.value.locked_until  # not extended
    assert people.authenticate("rita", PASSWORD, "10.0.0.1").name == "rita"  # others fine
    clock.advance(60)
    assert people.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
        people: Accounts, clock: Clock) -> None:
    for _ in range(8):
        with pytest.raises(LoginError, match="wrong"):
            people.authenticate("anna", "wrong password!", "10.0.0.1")
        clock.advance(4 * 60)
    assert people.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"


def test_success_resets_the_accounts_count(people: Accounts) -> None:
    for _ in range(4):
        with pytest.raises(LoginError, match="wrong"):
            people.authenticate("anna", "wrong password!", "10.0.0.1")
    people.authenticate("anna", PASSWORD, "10.0.0.1")
    for _ in range(4):
        with pytest.raises(LoginError, match="wrong"):
            people.authenticate("anna", "wrong password!", "10.0.0.1")
    assert people.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"


def test_password_reset_lifts_a_lockout(people: Accounts) -> None:
    for _ in range(5):
        with pytest.raises(LoginError):
            people.authenticate("anna", "wrong password!", "10.0.0.1")
    people.set_password("anna", "a brand new passphrase")
    assert people.authenticate("anna", "a brand new passphrase", "10.0.0.1").name == "anna"


def test_address_blocked_after_twenty_failures(people: Accounts, clock: Clock) -> None:
    for i in range(19):  # spread over names so no account locks first
        with pytest.raises(LoginError, match="wrong"):
            people.authenticate(f"ghost{i}", "wrong password!", "10.6.6.6")
    with pytest.raises(LoginError, match="this address is locked") as blocked:
        people.authenticate("ghost99", "wrong password!", "10.6.6.6")
    assert blocked.value.locked_until == datetime.fromtimestamp(START + 15 * 60, UTC)
    with pytest.raises(LoginError, match="this address is locked"):
        people.authenticate("anna", PASSWORD, "10.6.6.6")  # right password, blocked address
    assert people.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"
    clock.advance(15 * 60)
    assert people.authenticate("anna", PASSWORD, "10.6.6.6").name == "anna"


def test_unknown_user_is_verified_and_locked_like_a_real_one(db_path: Path) -> None:
    verified: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    people = Accounts(db_path, hasher=Counting(time_cost=1, memory_cost=8192, parallelism=1))
    people.add_user("anna", "anna@example.se", PASSWORD)
    with pytest.raises(LoginError) as unknown:
        people.authenticate("ghost", "wrong password!", "10.0.0.1")
    with pytest.raises(LoginError) as wrong:
        people.authenticate("anna", "wrong password!", "10.0.0.1")
    assert str(unknown.value) == str(wrong.value)  # the message tells nothing
    assert len(verified) == 2 and verified[0].startswith("$argon2id$v=19$m=8192,t=1")
    assert verified[0] != stored_hash(db_path, "anna")  # a dummy with the same cost
    for _ in range(4):
        with pytest.raises(LoginError):
            people.authenticate("ghost", "wrong password!", "10.0.0.1")
    with pytest.raises(LoginError, match="this account is locked"):
        people.authenticate("ghost", "wrong password!", "10.0.0.1")
    failed = next(e for e in people.audit_log() if e.event == "login_failed" and not e.name)
    assert "ghost" in failed.detail
    people.close()


# Sessions


def test_session_round_trip_and_only_a_hash_stored(people: Accounts, db_path: Path) -> None:
    token = people.new_session("anna", "10.0.0.1")
    assert len(token) >= 43
    assert people.session(token) == people.user("anna")
    with sqlite3.connect(db_path) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM sessions")]
    assert token not in stored and len(stored[0]) == 64
    assert token.encode() not in db_path.read_bytes()
    assert people.session("not a token") is None
    assert people.session("") is None and people.session(None) is None


def test_session_idle_expiry(people: Accounts, clock: Clock) -> None:
    token = people.new_session("anna", "10.0.0.1")
    clock.advance(8 * 3600 - 1)
    assert people.session(token) is not None  # used: the idle clock starts again
    clock.advance(3 * 3600)
    assert people.session(token) is not None  # 11 h after login, 3 h idle
    unused = people.new_session("anna", "10.0.0.1")
    clock.advance(8 * 3600)
    assert people.session(unused) is None
    assert people.session(unused) is None  # and it stays gone


def test_session_absolute_expiry(people: Accounts, clock: Clock) -> None:
    token = people.new_session("anna", "10.0.0.1")
    for _ in range(11):
        clock.advance(3600)
        assert people.session(token) is not None
    clock.advance(3600)
    assert people.session(token) is None  # 12 h after login however busy


def test_end_session_and_end_sessions(people: Accounts) -> None:
    first = people.new_session("anna", "10.0.0.1")
    second = people.new_session(people.user("anna") or "anna", "10.0.0.2")
    other = people.new_session("rita", "10.0.0.3")
    assert people.end_session(first, "10.0.0.1") is True
    assert people.end_session(first) is False
    assert people.session(first) is None and people.session(second) is not None
    assert people.end_sessions("anna") == 1
    assert people.session(second) is None and people.session(other) is not None
    logouts = [e for e in people.audit_log() if e.event == "logout"]
    assert [(e.name, e.address) for e in logouts] == [("anna", ""), ("anna", "10.0.0.1")]


# Approvals


def test_both_parties_on_the_same_version(people: Accounts) -> None:
    assert people.approve("lulea", "abc123", "kalle")[0].party == "kommun"
    assert not people.both_approved("lulea", "abc123")
    approvals = people.approve("lulea", "abc123", "polly")
    assert [(a.party, a.name, a.version) for a in approvals] == [
        ("kommun", "kalle", "abc123"), ("polis", "polly", "abc123")]
    assert all(a.time == datetime.fromtimestamp(START, UTC) for a in approvals)
    assert people.both_approved("lulea", "abc123")
    assert not people.both_approved("lulea", "def456")
    assert not people.both_approved("pitea", "abc123")


def test_different_versions_are_not_both_approved(people: Accounts) -> None:
    people.approve("lulea", "v1", "kalle")
    people.approve("lulea", "v2", "polly")
    assert not people.both_approved("lulea", "v1")
    assert not people.both_approved("lulea", "v2")


def test_same_party_again_replaces_and_parties_are_not_crossed(
        people: Accounts, clock: Clock) -> None:
    people.add_user("kerstin", "kerstin@example.se", PASSWORD)
    people.grant("kerstin", "lulea", "approver", party="kommun")
    people.approve("lulea", "v1", "kalle")
    clock.advance(60)
    approvals = people.approve("lulea", "v1", "kerstin")  # a second kommun approver
    assert [(a.party, a.name) for a in approvals] == [("kommun", "kerstin")]
    assert not people.both_approved("lulea", "v1")  # two kommun approvals are not both
    for name in ("anna", "rita", "nobody"):
        with pytest.raises(AccountError, match="is not an approver in lulea"):
            people.approve("lulea", "v1", name)
    with pytest.raises(AccountError, match="is not an approver in pitea"):
        people.approve("pitea", "v1", "kalle")
    with pytest.raises(AccountError, match="not a valid version"):
        people.approve("lulea", "", "kalle")


def test_withdraw_clears_every_version_and_is_audited(people: Accounts) -> None:
    people.approve("lulea", "v1", "kalle")
    people.approve("lulea", "v2", "kalle")
    people.approve("lulea", "v2", "polly")
    removed = people.withdraw("lulea", "section 3 edited", name="anna", address="10.0.0.1")
    assert len(removed) == 3
    assert people.approvals("lulea", "v1") == [] and not people.both_approved("lulea", "v2")
    last = people.audit_log("lulea")[0]
    assert (last.event, last.name, last.address) == ("withdraw", "anna", "10.0.0.1")
    assert "section 3 edited" in last.detail and "polis (polly) on v2" in last.detail
    assert people.withdraw("lulea", "again") == []
    assert people.audit_log("lulea")[0].id == last.id  # nothing withdrawn, nothing written


# Comments


TRICKY = "Tänk på & < > \" ' 🚓👮‍♀️\nandra raden\r\n\ttabb  och  mellanslag  "


def test_comments_are_kept_verbatim(people: Accounts) -> None:
    made = people.comment("lulea", "verksamhetsplan", "2.1", "rita", TRICKY)
    assert made.text == TRICKY and made.name == "rita" and not made.resolved
    (found,) = people.comments("lulea", "verksamhetsplan")
    assert found == made and found.text == TRICKY
    assert people.comments("lulea", "samverkansoverenskommelse") == []
    assert people.comment("lulea", "verksamhetsplan", "3", "anna", "x" * 5000).text == "x" * 5000
    with pytest.raises(AccountError, match="at most 5000 characters"):
        people.comment("lulea", "verksamhetsplan", "3", "anna", "x" * 5001)
    with pytest.raises(AccountError, match="needs some text"):
        people.comment("lulea", "verksamhetsplan", "3", "anna", " \n ")
    with pytest.raises(AccountError, match="may not comment in lulea"):
        people.comment("lulea", "verksamhetsplan", "3", "nobody", "hej")


def test_resolve_needs_an_editor_and_hides_the_comment(people: Accounts, clock: Clock) -> None:
    made = people.comment("lulea", "verksamhetsplan", "2.1", "rita", "Stämmer siffran?")
    with pytest.raises(AccountError, match="may not resolve comments in lulea"):
        people.resolve(made.id, "rita")
    with pytest.raises(AccountError, match="may not resolve"):
        people.resolve(made.id, "kalle")  # an approver is not an editor
    clock.advance(30)
    resolved = people.resolve(made.id, "anna")
    assert resolved.resolved_by == "anna"
    assert resolved.resolved_at == datetime.fromtimestamp(START + 30, UTC)
    assert people.comments("lulea", "verksamhetsplan") == []
    assert people.comments("lulea", "verksamhetsplan", include_resolved=True) == [resolved]
    with pytest.raises(AccountError, match="already resolved"):
        people.resolve(made.id, "anna")
    with pytest.raises(AccountError, match="no comment 999"):
        people.resolve(999, "anna")


# Audit trail


def test_every_event_is_recorded(people: Accounts) -> None:
    people.add_user("temp", "temp@example.se", PASSWORD)
    people.set_password("temp", "another long passphrase")
    people.remove_user("temp")
    user = people.authenticate("anna", PASSWORD, "10.0.0.1")
    with pytest.raises(LoginError):
        people.authenticate("anna", "wrong password!", "10.0.0.1")
    people.end_session(people.new_session(user, "10.0.0.1"))
    people.audit("save", "anna", "lulea", "verksamhetsplan", "v1", "2 sections", "10.0.0.1")
    people.audit("download", "rita", "lulea", "verksamhetsplan", "v1", "pdf")
    people.approve("lulea", "v1", "kalle")
    people.withdraw("lulea", "edited")
    people.audit("reopen", "anna", "lulea", version="v1", detail="ny lägesbild")
    made = people.comment("lulea", "verksamhetsplan", "1", "rita", "hej")
    people.resolve(made.id, "anna")
    people.revoke("rita", "lulea")
    assert set(events(people)) == EVENTS
    save = next(e for e in people.audit_log() if e.event == "save")
    assert (save.name, save.slug, save.doc, save.version, save.detail, save.address) == (
        "anna", "lulea", "verksamhetsplan", "v1", "2 sections", "10.0.0.1")
    assert save.time == datetime.fromtimestamp(START, UTC) and save.time.tzinfo is UTC
    with pytest.raises(AccountError, match="unknown audit event"):
        people.audit("hack")


def test_audit_log_newest_first_by_municipality_with_limit(people: Accounts,
                                                          clock: Clock) -> None:
    for n in range(5):
        clock.advance(1)
        people.audit("download", "rita", "lulea", "verksamhetsplan", detail=f"#{n}")
    people.audit("download", "rita", "pitea", "verksamhetsplan")
    lulea = people.audit_log("lulea", limit=3)
    assert [e.detail for e in lulea] == ["#4", "#3", "#2"]
    assert lulea[0].time > lulea[1].time
    assert {e.slug for e in people.audit_log("pitea")} == {"pitea"}
    assert len(people.audit_log()) == len(people.audit_log("lulea")) + 1 + len(
        [e for e in people.audit_log() if e.slug is None])


# The database file


def test_opening_a_version_0_file_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()  # an empty file at user_version 0
    with Accounts(path, hasher=FAST) as accounts:
        accounts.add_user("anna", "anna@example.se", PASSWORD)
    with sqlite3.connect(path) as conn:
        assert schema_version(conn) == len(MIGRATIONS) >= 2


def test_opening_a_version_1_file_migrates_it_keeping_its_data(tmp_path: Path,
                                                               clock: Clock) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.execute("INSERT INTO users (name, email, password_hash, created) VALUES "
                 "('anna', 'anna@example.se', ?, ?)", (FAST.hash(PASSWORD), START))
    conn.execute("INSERT INTO roles VALUES (1, 'lulea', 'approver', 'kommun', ?)", (START,))
    assert "approvals" not in {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    with Accounts(path, clock=clock, hasher=FAST) as accounts:
        assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"
        assert accounts.approve("lulea", "v1", "anna")[0].party == "kommun"
    with sqlite3.connect(path) as conn:
        assert schema_version(conn) == len(MIGRATIONS)


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    broken = (*MIGRATIONS, "CREATE TABLE extra (x INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        migrate(conn, broken)
    assert schema_version(conn) == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()


def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(AccountError, match="update avtalsgen"):
        Accounts(path, hasher=FAST)


def test_statements_split_where_sqlite_says() -> None:
    script = """CREATE TABLE t (x TEXT DEFAULT 'a;b');
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'c;d'; END;
        -- a comment
        """
    found = statements(script)
    assert len(found) == 2 and found[1].endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        statements("CREATE TABLE t (x TEXT DEFAULT 'a;b)")


def test_not_a_database_or_no_folder_is_a_plain_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not SQLite at all, just some bytes" * 50)
    with pytest.raises(AccountError, match="not a usable accounts database"):
        Accounts(junk, hasher=FAST)
    with pytest.raises(AccountError, match="no such folder"):
        Accounts(tmp_path / "missing" / "a.sqlite3", hasher=FAST)


def test_connection_settings_and_private_file(accounts: Accounts, db_path: Path) -> None:
    conn = accounts._db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    if os.name == "posix":
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_eight_threads_write_at_once(db_path: Path, accounts: Accounts) -> None:
    """Four threads share one Accounts (a connection each), four open their own (as
    separate server processes would); nothing is lost and nothing fails as locked."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            mine = accounts if n < 4 else Accounts(db_path, hasher=FAST)
            barrier.wait()
            mine.add_user(f"user{n}", f"user{n}@example.se", PASSWORD)
            for i in range(20):
                mine.grant(f"user{n}", f"kommun{i % 3}", "reader")
                mine.audit("download", f"user{n}", "lulea", detail=f"{n}/{i}")
                mine.comment("kommun0", "plan", str(i), f"user{n}", f"{n}:{i}")
            if mine is not accounts:
                mine.close()
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(accounts.users()) == 8
    downloads = accounts.audit_log("lulea", limit=10_000)
    assert sorted(e.detail for e in downloads) == sorted(
        f"{n}/{i}" for n in range(8) for i in range(20))
    assert len(accounts.comments("kommun0", "plan")) == 160
    assert all(len(accounts.municipalities(f"user{n}")) == 3 for n in range(8))


def _open_and_write(path: Path, n: int, barrier: ProcessBarrier) -> None:
    barrier.wait()
    with Accounts(path, hasher=FAST) as mine:
        mine.add_user(f"user{n}", f"user{n}@example.se", PASSWORD)
        for i in range(10):
            mine.audit("download", f"user{n}", "lulea", detail=f"{n}/{i}")


def test_eight_processes_open_a_new_file_at_once(tmp_path: Path) -> None:
    """Creating the file, switching it to WAL and migrating race between server
    processes (SQLite does not wait for the WAL switch); all must succeed."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    path = tmp_path / "new.sqlite3"
    barrier = context.Barrier(8)
    workers = [context.Process(target=_open_and_write, args=(path, n, barrier))
               for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 8
    with Accounts(path, hasher=FAST) as accounts:
        assert len(accounts.users()) == 8
        assert len(accounts.audit_log("lulea")) == 80


# The command line


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The CLI over a root with one municipality (lulea), the password from the env."""
    (tmp_path / "root" / "lulea").mkdir(parents=True)
    (tmp_path / "root" / "lulea" / "municipality.yaml").write_text("name: Luleå\n")
    (tmp_path / "root" / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AVTALSGEN_DB", raising=False)
    monkeypatch.setenv("AVTALSGEN_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("AVTALSGEN_PASSWORD", PASSWORD)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input)

    return invoke


def test_cli_users_add_list_grant_revoke_remove_and_audit(run, tmp_path: Path) -> None:
    result = run("users", "add", "anna", "--email", "anna@lulea.se")
    assert result.exit_code == 0, result.output
    assert "added anna" in result.output
    assert (tmp_path / "root" / ".avtalsgen.sqlite3").is_file()  # the default place
    assert run("users", "add", "kalle", "--email", "kalle@lulea.se").exit_code == 0
    result = run("users", "grant", "anna", "lulea", "approver", "--party", "kommun")
    assert result.exit_code == 0 and "anna is now approver (kommun) in lulea" in result.output
    assert run("users", "grant", "kalle", "lulea", "editor").exit_code == 0
    listing = run("users", "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["NAME", "E-MAIL", "ROLES"]
    assert lines[1].split() == ["anna", "anna@lulea.se", "lulea:", "approver", "(kommun)"]
    assert lines[2].split() == ["kalle", "kalle@lulea.se", "lulea:", "editor"]
    result = run("users", "revoke", "kalle", "lulea")
    assert result.exit_code == 0 and "no longer editor in lulea" in result.output
    assert run("users", "remove", "kalle").exit_code == 0
    trail = run("audit", "lulea")
    assert trail.exit_code == 0
    rows = trail.output.splitlines()
    assert rows[0].split() == ["TIME", "USER", "EVENT", "DOCUMENT", "VERSION", "DETAIL"]
    assert [r.split()[2:4] for r in rows[1:]] == [
        ["kalle", "revoke"], ["kalle", "grant"], ["anna", "grant"]]
    assert len(run("audit", "lulea", "--limit", "1").output.splitlines()) == 2
    assert "no events for pitea" in run("audit", "pitea").output
    with Accounts(tmp_path / "root" / ".avtalsgen.sqlite3", hasher=FAST) as accounts:
        assert accounts.authenticate("anna", PASSWORD, "").name == "anna"


def test_cli_password_is_asked_twice_without_the_env(run, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.delenv("AVTALSGEN_PASSWORD")
    db = str(tmp_path / "elsewhere.sqlite3")
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = run("users", "add", "anna", "--email", "a@lulea.se", "--db", db, input=typed)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    new = "another long passphrase"
    result = run("users", "password", "anna", "--db", db, input=f"{new}\n{new}\n")
    assert result.exit_code == 0 and "changed the password of anna" in result.output
    with Accounts(Path(db), hasher=FAST) as accounts:
        assert accounts.authenticate("anna", new, "").name == "anna"


@pytest.mark.parametrize("args, message", [
    (["users", "add", "Anna!", "--email", "a@lulea.se"], "not a valid user name"),
    (["users", "add", "anna", "--email", "not-an-email"], "not a valid e-mail"),
    (["users", "add", "bo", "--email", "anna@lulea.se"], "already taken"),
    (["users", "grant", "anna", "pitea", "reader"], "'pitea' is not a municipality"),
    (["users", "grant", "anna", "notes", "reader"], "'notes' is not a municipality"),
    (["users", "grant", "anna", "../lulea", "reader"], "not a valid municipality"),
    (["users", "grant", "anna", "lulea", "approver"], "give kommun or polis"),
    (["users", "grant", "ghost", "lulea", "reader"], "no user 'ghost'"),
    (["users", "revoke", "anna", "lulea", "editor"], "does not have the role editor"),
    (["users", "remove", "ghost"], "no user 'ghost'"),
    (["users", "password", "ghost"], "no user 'ghost'"),
    (["audit", "Lulea!"], "not a valid municipality"),
    (["users", "list", "--db", "/nonexistent/folder/a.sqlite3"], "no such folder"),
])
def test_cli_user_errors_exit_2_without_traceback(run, args: list[str], message: str) -> None:
    assert run("users", "add", "anna", "--email", "anna@lulea.se").exit_code == 0
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and message in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_cli_short_password_from_env_is_refused(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVTALSGEN_PASSWORD", "short")
    result = run("users", "add", "anna", "--email", "anna@lulea.se")
    assert result.exit_code == 2 and "at least 12 characters" in result.output
    assert "no users yet" in run("users", "list").output


def test_cli_db_from_the_environment(run, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    monkeypatch.setenv("AVTALSGEN_DB", str(tmp_path / "env.sqlite3"))
    assert run("users", "add", "anna", "--email", "anna@lulea.se").exit_code == 0
    assert (tmp_path / "env.sqlite3").is_file()
    assert not (tmp_path / "root" / ".avtalsgen.sqlite3").exists()
