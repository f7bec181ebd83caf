"""Personal data in free text: names, document numbers, phones, e-mails and addresses are
refused with a message saying what and where; the audit log never holds a free text."""

import json
from datetime import date

import pytest
import sqlalchemy as sa
import stdnum.ar.cuit
import stdnum.br.cnpj
import stdnum.br.cpf
import stdnum.cl.rut
import stdnum.co.nit
import stdnum.pe.ruc
import stdnum.py.ruc
import stdnum.uy.rut
from sqlmodel import Session, select

from models import AuditEvent, Case, CaseEvent, CaseUpdate, Organisation, Referral, ReferralUpdate
from models.base import utcnow
from models.enums import OrgType, ReferralState, Service, Stage
from services.cases import board
from services.cases import records as cases
from services.platform import migrate
from services.platform.audit import MASK, SENSITIVE_FIELDS
from services.platform.i18n import set_language
from services.platform.personal_data import (
    PersonalDataFound,
    find_in_fields,
    find_personal_data,
    name_lists,
)
from services.tooling import demo_data
from tests.support import OFFICER, validate_case_form


@pytest.fixture(autouse=True)
def _english_after():
    """Messages are checked in English; a test that changes the language restores it."""
    yield
    set_language("en")


def kinds(text: str, field: str = "note") -> list[tuple[str, str]]:
    return [(finding.kind.value, finding.text) for finding in find_personal_data(text, field)]


def with_check_digit(base: str, module, template: str = "{base}{check}") -> str:
    """`base` completed with the check character that makes `module` accept it."""
    digits = "0123456789K"
    for check in [*digits, *(first + second for first in digits for second in digits)]:
        number = template.format(base=base, check=check)
        if module.is_valid(number):
            return number
    raise AssertionError(f"no check digit for {base}")


# --- the issue's examples -----------------------------------------------------------------


@pytest.mark.parametrize("alias", ["Maria", "Ma Gonzalez", "Juan Pérez", "maría", "JOÃO SILVA"])
def test_an_alias_that_is_a_name_is_refused(alias):
    assert [kind for kind, _text in kinds(alias, "person_alias")] == ["name"]


@pytest.mark.parametrize("alias", ["M.G.", "MG", "M. G.", "P-07", "A.B.", "Caso 7", "X"])
def test_initials_and_codes_pass_as_alias(alias):
    assert kinds(alias, "person_alias") == []


def test_the_issues_note_is_refused_for_the_name_the_dni_and_the_phone():
    note = "Victim María Fernanda Benítez, DNI 34.567.890, phone +54 11 4321-5678"
    assert kinds(note) == [
        ("name", "María Fernanda Benítez"),
        ("document", "DNI 34.567.890"),
        ("phone", "+54 11 4321-5678"),
    ]


def test_the_issues_place_text_is_refused_for_the_employers_name():
    assert kinds("Private household; lives with her employer Juan Pérez", "identified_place") == [
        ("name", "Juan Pérez")
    ]


def test_the_message_says_what_looks_personal_where_and_what_to_write_instead():
    error = PersonalDataFound(
        find_in_fields({"person_alias": "María", "note": "DNI 34.567.890"}),
        cases.FIELD_LABELS,
    )
    messages = error.messages()
    assert messages["person_alias"] == (
        "Alias or initials: looks like a person's name (María). Use initials or a code such as "
        "'M.'."
    )
    assert messages["note"].startswith("Note: looks like a document number (DNI 34.567.890).")
    assert "never its number" in messages["note"]
    set_language("es")
    assert error.messages()["person_alias"].startswith(
        "Alias o iniciales: parece el nombre de una persona (María)."
    )


# --- names, numbers and phones of the eight countries -------------------------------------

NAMES = {
    "AR": "the employer Juan Pérez",
    "BO": "her aunt Rosa Mamani",
    "BR": "o patrão João da Silva",
    "CL": "a co-worker, Camila Muñoz",
    "CO": "the recruiter Luis Rodríguez",
    "PY": "la señora Nilda Giménez",
    "PE": "the driver Lucía Quispe",
    "UY": "contact Martina Fernández",
}


@pytest.mark.parametrize("country", sorted(NAMES))
def test_names_of_every_country_are_found_in_notes(country):
    found = kinds(NAMES[country])
    assert [kind for kind, _text in found] == ["name"], found


def document_numbers() -> dict[str, list[str]]:
    """Document numbers as people write them, check digits computed with python-stdnum."""
    return {
        "AR": [
            "DNI 34.567.890",
            with_check_digit("2034567890", stdnum.ar.cuit, "{base}{check}"),
            "CUIT " + stdnum.ar.cuit.format(with_check_digit("2712345678", stdnum.ar.cuit)),
        ],
        "BO": ["CI 4567890 LP", "C.I. N° 4.567.890", "cédula de identidad 6543210"],
        "BR": [
            stdnum.br.cpf.format(with_check_digit("123456789", stdnum.br.cpf)),
            with_check_digit("321654987", stdnum.br.cpf),
            stdnum.br.cnpj.format(with_check_digit("112223330001", stdnum.br.cnpj)),
            "RG 12.345.678-9",
        ],
        "CL": [
            stdnum.cl.rut.format(with_check_digit("12345678", stdnum.cl.rut)),
            with_check_digit("7654321", stdnum.cl.rut, "{base}-{check}"),
            "RUN 9.876.543-2",
        ],
        "CO": [
            "C.C. 1.020.304.050",
            "cédula 79123456",
            stdnum.co.nit.format(with_check_digit("90012345", stdnum.co.nit)),
        ],
        "PY": [
            "C.I. 4.567.890",
            with_check_digit("80012345", stdnum.py.ruc, "{base}-{check}"),
        ],
        "PE": [
            "DNI 45678912",
            with_check_digit("2012345678", stdnum.pe.ruc),
            "carné de extranjería 001234567",
        ],
        "UY": [
            "CI 1.234.567-2",
            with_check_digit("21234567001", stdnum.uy.rut),
        ],
        "passport": ["pasaporte AAB123456", "passport number FZ123456", "AAC654321"],
    }


@pytest.mark.parametrize("country", sorted(document_numbers()))
def test_document_numbers_of_every_country_are_found(country):
    for number in document_numbers()[country]:
        found = kinds(f"Her document ({number}) is kept by the employer.")
        assert [kind for kind, _text in found] == ["document"], (number, found)


PHONES = {
    "AR": "+54 9 11 4321-5678",
    "BO": "+591 71234567",
    "BR": "(11) 98765-4321",
    "CL": "+56 9 8765 4321",
    "CO": "300 123 4567",
    "PY": "0981 123456",
    "PE": "987 654 321",
    "UY": "099 123 456",
}


@pytest.mark.parametrize("country", sorted(PHONES))
def test_phone_numbers_of_every_country_are_found(country):
    found = kinds(f"She can be reached on {PHONES[country]} after six.")
    assert found == [("phone", PHONES[country])]


@pytest.mark.parametrize(
    "text",
    [
        "Lives at Calle Florida 1234, piso 3",
        "Av. Corrientes 1234, Buenos Aires",
        "Rua Augusta, 1500 - São Paulo",
        "Jirón de la Unión 456, Lima",
        "Calle 45 # 12-34, Bogotá",
        "Av. 9 de Julio 1234, piso 2",
        "Rua 7 de Setembro, 45",
        "Staying at 12 Main Street",
    ],
)
def test_street_addresses_are_found(text):
    assert [kind for kind, _text in kinds(text)] == ["address"]


def test_email_addresses_are_found():
    assert kinds("Her sister wrote from rosa.m@example.com") == [("email", "rosa.m@example.com")]


def test_names_of_migrants_from_beyond_the_region_are_found_too():
    assert kinds("her partner Jean Baptiste") == [("name", "Jean Baptiste")]
    assert kinds("the employer John Smith") == [("name", "John Smith")]
    assert kinds("Will follow up on Monday. May we call the shelter?") == []


def test_a_given_name_alone_in_a_note_is_a_name():
    assert kinds("Her friend Maria asked for help") == [("name", "Maria")]
    assert kinds("Valentina's employer kept her wages") == [("name", "Valentina")]
    assert kinds("Juan called the consulate") == [("name", "Juan")]


def test_courtesy_titles_and_initial_plus_surname_are_names():
    assert kinds("Sr. Pérez called; J. Gómez too") == [("name", "Sr. Pérez"), ("name", "J. Gómez")]
    assert kinds("Talked with Dr. Pérez at the hospital") == [("name", "Dr. Pérez")]


# --- what must pass -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("note", "Referred to shelter in Asunción on Monday"),
        ("note", "Fundación María de los Ángeles will offer a place."),
        ("note", "Appointment at the Hospital de Clínicas José de San Martín."),
        ("note", "Owed 1.500.000 guaraníes and R$ 2.300,00 in wages."),
        ("note", "Linked to AR-2026-0007; seen on 2026-03-02 and again on 02/03/2026."),
        ("note", "Walked 3 blocks down the street 2 days ago."),
        ("note", "Worked 3 years on calle 5 de Mayo without a contract."),
        ("note", "Denuncia N° 45123/2026 en la Fiscalía; expediente 1234-2026."),
        ("note", "Hotel San Martín in Mendoza offered two nights."),
        ("note", "Ficou hospedada na Casa do Migrante Dom Bosco, em São Paulo."),
        ("note", "Reunión con OIM y el Ministerio de la Mujer el Lunes 3 de Julio."),
        ("note", "Identity document kept by the employer; wages owed for 4 months."),
        ("note", "Travelled by bus from Rosario to Santiago de Chile via Mendoza."),
        ("note", "Called OIM Paraguay and the MIDES team at 10:30."),
        ("note", "Back in Julio 2026 she moved to Pedro Juan Caballero."),
        ("consular_post", "Mariano Roque Alonso"),
        ("consular_post", "São Paulo"),
        ("consular_post", "Santa Cruz de la Sierra"),
        ("consular_post", "Consulado en La Paz"),
        ("return_counterpart", "Programa Nacional de Rescate (Ministerio de Justicia)"),
        ("primary_language", "Guaraní"),
    ],
)
def test_ordinary_case_text_passes(field, text):
    assert kinds(text, field) == []


def test_the_demo_datas_texts_pass():
    texts = [
        *demo_data.IDENTIFIED_AT,
        *(profile.place for profile in demo_data.PROFILES.values()),
        *(note for notes in demo_data.NOTES.values() for note in notes),
        *(reason for reasons in demo_data.CLOSURE_REASONS.values() for reason in reasons),
        *demo_data.DECLINE_REASONS,
        *(partner[2] for partner in demo_data.RETURN_PARTNERS.values()),
        demo_data.RECEPTION,
        *(
            scenario[0]
            for _n, scenarios in demo_data.CASE_SCENARIOS.values()
            for scenario in scenarios
        ),
    ]
    assert [(text, kinds(text)) for text in texts if kinds(text)] == []


def test_the_name_lists_hold_both_sexes_of_both_languages():
    lists = name_lists()
    assert {"maria", "juan", "joao", "ana", "jose", "lucia", "goncalo"} <= lists.given
    assert {"santiago", "asuncion", "rosario"} <= lists.ambiguous
    assert {"perez", "silva", "mamani", "quispe", "benitez"} <= lists.surnames


# --- the services refuse, the forms keep the input ------------------------------------------


def test_the_services_refuse_personal_data_in_every_free_text(session, users, open_case):
    officer, coordinator = users["officer_ar"], users["coordinator"]
    with pytest.raises(PersonalDataFound):
        open_case(officer, person_alias="Maria")
    with pytest.raises(PersonalDataFound):
        open_case(officer, identified_place="lives with her employer Juan Pérez")
    case = open_case(officer)
    code = case.case_code
    common = {"session": session, "case_code": code, "expected_version": 1}
    with pytest.raises(PersonalDataFound):
        cases.add_note(actor=officer, note="DNI 34.567.890", **common)
    with pytest.raises(PersonalDataFound):
        cases.update_assessment(
            session=session,
            actor=officer,
            case_code=code,
            case_in=CaseUpdate(consular_post="Rua Augusta, 1500"),
            expected_version=1,
        )
    with pytest.raises(PersonalDataFound):
        cases.move_stage(
            actor=officer, target=Stage.closed, closure_reason="call 0981 123456", **common
        )
    organisation = Organisation(name="Shelter", org_type=OrgType.NGO, country="AR")
    session.add(organisation)
    session.commit()
    to_shelter = {
        "organisation_id": organisation.id,
        "service": Service.shelter,
        "sent_on": date.today(),
    }
    with pytest.raises(PersonalDataFound):
        cases.refer_case(
            actor=coordinator,
            override_reason="Her brother Pedro Gómez asked for it",
            **to_shelter,
            **common,
        )
    referral = Referral(case_id=case.id, **to_shelter)
    session.add(referral)
    session.commit()
    with pytest.raises(PersonalDataFound):
        cases.answer_referral(
            actor=officer,
            referral_id=referral.id,
            answer=ReferralUpdate(
                state=ReferralState.declined, decline_reason="Ask her cousin on +56 9 8765 4321"
            ),
            **common,
        )
    case.stage = Stage.return_reintegration
    session.add(case)
    session.commit()
    with pytest.raises(PersonalDataFound):
        cases.record_return(
            actor=officer,
            plan=cases.ReturnPlan(counterpart="write to tia.rosa@example.com"),
            **common,
        )
    assert board.get_case(session=session, actor=officer, case_code=code).case.version == 1


# Text columns that hold codes, not free text.
CODED_TEXT_COLUMNS = {
    "case_code",
    "reporting_country",
    "citizenship",
    "exploitation_country",
    "cross_border_country",
    "responsible_country",
}


@pytest.mark.parametrize("table", [Case, Referral, CaseEvent])
def test_every_free_text_column_of_cases_is_masked_in_the_audit_log(table):
    text_columns = {
        name for name, info in table.model_fields.items() if info.annotation in (str, str | None)
    }
    assert text_columns - CODED_TEXT_COLUMNS <= SENSITIVE_FIELDS


def test_form_validation_puts_each_message_next_to_its_field():
    case_in, errors = validate_case_form(
        person_alias="Ma Gonzalez",
        identified_place="Calle Florida 1234",
        primary_language="Spanish",
    )
    assert case_in is None
    assert set(errors) == {"person_alias", "identified_place"}
    assert "street address (Calle Florida 1234)" in errors["identified_place"]
    case_update, errors = cases.validate_case_update({"consular_post": "DNI 1234567"})
    assert case_update is None and set(errors) == {"consular_post"}


# --- the audit log ---------------------------------------------------------------------------

TEXTS = {
    "person_alias": "Q.Z.",
    "consular_post": "Zzconsulpost",
    "identified_place": "Zzplace of the meeting",
    "primary_language": "Zzlanguage",
    "note": "Zznote written on the timeline",
    "move_note": "Zzwhy it moved",
    "consent_override_reason": "Zzoverride because of danger",
    "decline_reason": "Zzdeclined for lack of places",
    "return_counterpart": "Zzcounterpart institution",
    "return_reception": "Zzreception arrangements",
    "closure_reason": "Zzclosed after the return",
    "edited_place": "Zzedited place",
}


def test_after_every_free_text_is_written_no_audit_row_holds_any_of_them(session, users, open_case):
    officer, coordinator = users["officer_ar"], users["coordinator"]
    case = open_case(
        officer,
        person_alias=TEXTS["person_alias"],
        consular_post=TEXTS["consular_post"],
        identified_place=TEXTS["identified_place"],
        primary_language=TEXTS["primary_language"],
    )
    code = case.case_code
    cases.update_assessment(
        session=session,
        actor=officer,
        case_code=code,
        case_in=CaseUpdate(identified_place=TEXTS["edited_place"]),
        expected_version=1,
    )
    cases.add_note(
        session=session, actor=officer, case_code=code, note=TEXTS["note"], expected_version=2
    )
    organisations = [
        Organisation(name=f"Org {n}", org_type=OrgType.NGO, country="AR") for n in (1, 2)
    ]
    session.add_all(organisations)
    session.commit()
    by_coordinator = {"session": session, "actor": coordinator, "case_code": code}

    def refer(organisation: Organisation, service: Service, expected_version: int) -> Referral:
        return cases.refer_case(
            **by_coordinator,
            organisation_id=organisation.id,
            service=service,
            sent_on=date.today(),
            expected_version=expected_version,
            override_reason=TEXTS["consent_override_reason"],
        )

    declined = refer(organisations[0], Service.shelter, 3)
    cases.answer_referral(
        **by_coordinator,
        referral_id=declined.id,
        answer=ReferralUpdate(state=ReferralState.declined, decline_reason=TEXTS["decline_reason"]),
        expected_version=4,
    )
    refer(organisations[1], Service.return_, 5)
    cases.move_stage(
        **by_coordinator,
        target=Stage.return_reintegration,
        expected_version=6,
        note=TEXTS["move_note"],
    )
    cases.record_return(
        **by_coordinator,
        plan=cases.ReturnPlan(
            counterpart=TEXTS["return_counterpart"],
            travel_date=date.today(),
            reception=TEXTS["return_reception"],
        ),
        expected_version=7,
    )
    cases.move_stage(
        **by_coordinator,
        target=Stage.closed,
        expected_version=8,
        closure_reason=TEXTS["closure_reason"],
    )

    rows = session.exec(select(AuditEvent)).all()
    logged = json.dumps([row.changes for row in rows], ensure_ascii=False)
    assert len(rows) >= 10
    assert "Zz" not in logged
    assert TEXTS["person_alias"] not in logged
    changed = {field for row in rows for field in row.changes}
    assert {"identified_place", "consular_post", "return_counterpart", "decline_reason"} <= changed


def test_the_migration_masks_free_text_that_earlier_audit_rows_hold_in_clear(db):
    migrate.downgrade(db, "0004")
    with db.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_event (created_at, actor_email, action, entity, entity_id, "
                "changes) VALUES (:at, 'x', 'case_created', 'referral_case', '1', :changes)"
            ),
            {
                "at": utcnow(),
                "changes": json.dumps(
                    {
                        "identified_place": [None, "lives with her employer Juan Pérez"],
                        "consular_post": [None, "Rosario"],
                        "age_band": [None, "24-26"],
                    }
                ),
            },
        )
    migrate.upgrade(db)
    with Session(db) as session:
        row = session.exec(select(AuditEvent)).one()
    assert row.changes == {
        "identified_place": [None, MASK],
        "consular_post": [None, MASK],
        "age_band": [None, "24-26"],
    }


# --- the pages ------------------------------------------------------------------------------

ISSUE_NOTE = "Victim María Fernanda Benítez, DNI 34.567.890, phone +54 11 4321-5678"


def test_the_board_refuses_a_note_with_personal_data_and_keeps_it_on_screen(
    demo_db, board_page, ar_case
):
    at = board_page(OFFICER, ar_case.case_code)
    at.text_area(key=f"note_{ar_case.case_code}").input(ISSUE_NOTE)
    at.button(key=f"note_add_{ar_case.case_code}").click().run()

    assert not at.exception
    shown = " ".join(error.value for error in at.error)
    assert "Note: looks like a person's name (María Fernanda Benítez)" in shown
    assert "document number (DNI 34.567.890)" in shown and "phone number" in shown
    assert at.text_area(key=f"note_{ar_case.case_code}").value == ISSUE_NOTE
    notes = demo_db.exec(select(CaseEvent.note).where(CaseEvent.case_id == ar_case.id)).all()
    assert ISSUE_NOTE not in notes


def test_the_new_referral_form_refuses_a_name_as_alias_next_to_the_field(
    demo_db, new_referral_page
):
    at = new_referral_page()
    at.text_input(key="nr_person_alias").input("Maria")
    at.text_input(key="nr_identified_place").input("lives with her employer Juan Pérez")
    at.button(key="nr_submit").click().run()

    assert not at.exception
    shown = [error.value for error in at.error]
    assert any(
        message.startswith("Alias or initials: looks like a person's name") for message in shown
    )
    assert any("Place identified: looks like a person's name (Juan Pérez)" in m for m in shown)
    assert at.text_input(key="nr_person_alias").value == "Maria"
