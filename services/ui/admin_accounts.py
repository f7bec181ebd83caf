"""Admin, Users & roles: the accounts, a new one, a change of role, country or organisation,
and "sign out everywhere". The same three choices as granting an access request: a country
from the full list in the reader's language, an organisation from the directory."""

from typing import Any

import streamlit as st

from models import UserAccount, UserAccountCreate, UserAccountUpdate
from models.enums import Language, Role
from services.cases import board
from services.platform import users
from services.platform.i18n import LANGUAGES, _
from services.platform.labels import country_codes, country_name, label, options
from services.ui.feedback import save_and_report
from services.ui.runtime import db_session, run_service
from services.ui.tables import show_table


def show_accounts(actor: UserAccount) -> None:
    with db_session() as session:
        accounts = users.list_users(session=session, actor=actor)
        organisations = {
            o.id: o.name for o in board.list_organisations(session=session, actor=actor)
        }
    show_table(
        [
            {
                _("Email"): a.email,
                _("Name"): a.display_name,
                _("Role"): label(a.role),
                _("Country"): a.country or "",
                _("Organisation"): organisations.get(a.organisation_id, ""),
                _("Active"): a.is_active,
                _("Last sign-in"): a.last_login_at,
            }
            for a in accounts
        ]
    )
    _add_account(actor, organisations)
    _change_account(actor, accounts, organisations)


def _role_country_organisation(
    key: str, organisations: dict[Any, str], account: UserAccount | None = None
) -> dict[str, Any]:
    """Role, country and organisation of an account (`account`'s own when changing one)."""
    roles, countries, organisation_ids = options(Role), country_codes(), list(organisations)
    return {
        "role": st.selectbox(
            _("Role"),
            roles,
            index=roles.index(account.role) if account else 0,
            format_func=label,
            filter_mode=None,
            key=f"{key}_role",
        ),
        "country": _chosen_or_none(
            _("Country (required for officers)"),
            countries,
            account.country if account else None,
            (country_name, _("Choose a country")),
            f"{key}_country",
        ),
        "organisation_id": _chosen_or_none(
            _("Organisation (for partner organisations' staff)"),
            organisation_ids,
            account.organisation_id if account else None,
            (organisations.__getitem__, _("No organisation")),
            f"{key}_organisation",
        ),
    }


def _chosen_or_none(
    title: str, values: list[Any], current: Any, shown: tuple[Any, str], key: str
) -> Any:
    """A select showing `current`, or empty (its placeholder) when there is none."""
    format_func, placeholder = shown
    index = values.index(current) if current in values else None
    return st.selectbox(
        title, values, index=index, placeholder=placeholder, format_func=format_func, key=key
    )


def _add_account(actor: UserAccount, organisations: dict[Any, str]) -> None:
    st.subheader(_("Add an account"))
    with st.form("add_account", clear_on_submit=False):
        email = st.text_input(_("Email"), key="account_email")
        name = st.text_input(_("Name"), key="account_name")
        chosen = _role_country_organisation("account", organisations)
        language = st.selectbox(
            _("Language"),
            options(Language),
            format_func=LANGUAGES.__getitem__,
            filter_mode=None,
        )
        if st.form_submit_button(_("Add account"), type="primary"):
            save_and_report(
                lambda: run_service(
                    users.add_user,
                    actor=actor,
                    user_in=UserAccountCreate(
                        email=email,
                        display_name=name,
                        preferred_language=Language(language),
                        **chosen,
                    ),
                ),
                lambda added: _("Account added: {email}").format(email=added.email),
            )


def _change_account(
    actor: UserAccount, accounts: list[UserAccount], organisations: dict[Any, str]
) -> None:
    st.subheader(_("Change an account"))
    by_email = {a.email: a for a in accounts}
    chosen = st.selectbox(_("Account"), list(by_email), key="edit_account")
    if not chosen:
        return
    account = by_email[chosen]
    with st.form("edit_account_form", clear_on_submit=False):
        changes = _role_country_organisation(f"edit_{account.id}", organisations, account)
        active = st.checkbox(_("Active"), value=account.is_active)
        if st.form_submit_button(_("Save changes")):
            save_and_report(
                lambda: run_service(
                    users.update_user,
                    actor=actor,
                    account_id=account.id,
                    user_in=UserAccountUpdate(**changes, is_active=active),
                ),
                lambda _updated: _("Account updated."),
            )
    st.caption(
        _(
            "Sign out everywhere: every browser where this person is signed in is signed "
            "out at their next click (for a lost phone or a shared computer). They can "
            "sign in again."
        )
    )
    if st.button(_("Sign out everywhere"), icon=":material/logout:", key="end_sessions"):
        with db_session() as session:
            users.end_sessions(session=session, actor=actor, account_id=account.id or 0)
        st.success(_("{email} is signed out everywhere.").format(email=account.email))
