from sqlmodel import select

from models import UserAccount


def test_users_fixture_creates_one_account_per_role(session, users):
    emails = session.exec(select(UserAccount.email)).all()
    assert sorted(emails) == sorted(u.email for u in users.values())
