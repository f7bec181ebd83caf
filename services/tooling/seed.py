"""Demo data that tells the programme's story: the 2018 virtual course for 40 consular
officers, a current course, demo accounts, partner organisations and referral cases.

Deterministic (`random.Random(2018)`; only `today` moves the current course and the cases)
and idempotent by natural keys: a second run creates nothing. This module writes the rows;
what they say is in demo_data.py (and demo_content.toml), how each is drawn in demo_plans.py.
"""

import itertools
import random
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, select

import models
from models.enums import CaseEventKind, EnrollmentStatus, ProgressState, Role, Situation, Stage
from services.cases import follow_ups, screening
from services.platform import audit
from services.platform.i18n import N_, _
from services.tooling import demo_plans, demo_training, demo_transfers
from services.tooling.demo_data import (
    CASE_SCENARIOS,
    COUNTRIES,
    COURSE_2018,
    COURSE_2026,
    COURSE_2026_DAYS,
    DEMO_ACCOUNTS,
    FOREIGN_SERVICES,
    MODULES_2018,
    MODULES_2026,
    NEW_PARTICIPANTS_2026,
    OFFICERS_2018,
    ORGANISATIONS,
    RETURNING_2026,
    STAFF_PROFILES,
)
from services.tooling.demo_plans import CasePlan, ReferralPlan, at_nine

SEED = 2018
CREATED_TABLES: tuple[type[SQLModel], ...] = (
    models.Course,
    models.Module,
    models.Participant,
    models.Enrollment,
    models.ModuleProgress,
    models.Organisation,
    models.UserAccount,
    models.Case,
    models.Referral,
    models.CaseEvent,
    models.CaseTransfer,
)

# progress(step label in the run's language, steps done, steps in all)
Progress = Callable[[str, int, int], None]
Event = tuple[datetime, CaseEventKind, models.UserAccount, str, dict[str, Any]]


def seed_demo(
    *,
    session: Session,
    progress: Progress | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """Create the demo data that is missing; return the rows created per table.

    One transaction, committed at the end; a second run creates nothing (all zeros).
    """
    seeder = _Seeder(session, random.Random(SEED), today or date.today())
    steps: list[tuple[str, Callable[[], None]]] = [
        (N_("Courses and modules"), seeder.courses),
        (N_("Participants"), seeder.participants),
        (N_("Enrollments and module progress"), seeder.enrollments),
        (N_("Organisations"), seeder.organisations),
        (N_("Demo accounts"), seeder.accounts),
        (N_("Referral cases, referrals and timelines"), seeder.cases),
        (N_("A transfer of responsibility"), seeder.transfers),
    ]
    for done, (label, step) in enumerate(steps, start=1):
        step()
        session.flush()
        if progress:
            progress(_(label), done, len(steps))
    created = {table: count for table, count in seeder.counts.items() if count}
    if created:
        audit.record(
            session,
            actor=None,
            actor_email="seed_demo",
            action=audit.AuditAction.seed_demo,
            entity="database",
            changes=audit.diff({}, created),
        )
    session.commit()
    return dict(seeder.counts)


class _Seeder:
    """The state one seed run shares between its steps: lookups and created counts."""

    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.counts: dict[str, int] = {_table(model): 0 for model in CREATED_TABLES}
        self.courses_by_code: dict[str, models.Course] = {}
        self.modules: dict[str, list[models.Module]] = {}
        self.participants_by_email: dict[str, models.Participant] = {}
        self.orgs: dict[str, models.Organisation] = {}
        self.users: dict[str, models.UserAccount] = {}
        # country: its officers, the one who signs in first, then the colleagues
        self.officers: dict[str, list[models.UserAccount]] = {}

    def add(self, row: SQLModel) -> None:
        self.session.add(row)
        self.counts[_table(type(row))] += 1

    # -- courses -------------------------------------------------------------------------------

    def courses(self) -> None:
        self._anchor_today()
        start, end = (self.today + timedelta(days=d) for d in COURSE_2026_DAYS)
        current = {**COURSE_2026, "starts_on": start, "ends_on": end}
        modules_2026 = [(title, True, start + timedelta(days=due)) for title, due in MODULES_2026]
        for data, modules in ((COURSE_2018, MODULES_2018), (current, tuple(modules_2026))):
            course = self._course(data)
            self.courses_by_code[course.code] = course
            self.modules[course.code] = self._modules(course, modules)

    def _anchor_today(self) -> None:
        """Once the current course exists, its start fixes the demo's "today": a later run
        plans the same cases and progress, finds them all, and creates nothing."""
        current = self.session.exec(
            select(models.Course).where(models.Course.code == COURSE_2026["code"])
        ).first()
        if current and current.starts_on:
            self.today = current.starts_on - timedelta(days=COURSE_2026_DAYS[0])

    def _course(self, data: dict[str, Any]) -> models.Course:
        existing = self.session.exec(
            select(models.Course).where(models.Course.code == data["code"])
        ).first()
        if existing:
            return existing
        course = models.Course.model_validate(models.CourseCreate(**data))
        self.add(course)
        self.session.flush()
        return course

    def _modules(
        self, course: models.Course, plan: Iterable[tuple[str, bool, date]]
    ) -> list[models.Module]:
        existing = {
            module.title: module
            for module in self.session.exec(
                select(models.Module).where(models.Module.course_id == course.id)
            )
        }
        modules = []
        for position, (title, required, due) in enumerate(plan, start=1):
            module = existing.get(title)
            if module is None:
                module_in = models.ModuleCreate(
                    course_id=course.id or 0,
                    position=position,
                    title=title,
                    is_required=required,
                    due_on=due,
                )
                module = models.Module.model_validate(module_in)
                self.add(module)
            modules.append(module)
        return modules

    # -- participants --------------------------------------------------------------------------

    def participants(self) -> None:
        planned = [
            *demo_plans.participant_rows(OFFICERS_2018, officers=True),
            *demo_plans.participant_rows(NEW_PARTICIPANTS_2026, officers=False),
        ]
        emails = [row.email for row in planned]
        self.participants_by_email = {
            p.email: p
            for p in self.session.exec(
                select(models.Participant).where(col(models.Participant.email).in_(emails))
            )
        }
        for participant_in in planned:
            if participant_in.email not in self.participants_by_email:
                participant = models.Participant.model_validate(participant_in)
                self.add(participant)
                self.participants_by_email[participant.email] = participant

    # -- enrollments and progress --------------------------------------------------------------

    def enrollments(self) -> None:
        self.session.flush()
        officers = [row.email for row in demo_plans.participant_rows(OFFICERS_2018, officers=True)]
        self._enroll(
            "HT-2018", [(e, s) for e, s in zip(officers, self._statuses_2018(), strict=True)]
        )
        signing_in = [email for email in officers if email.endswith("@enlace.test")]
        newcomers = [
            row.email for row in demo_plans.participant_rows(NEW_PARTICIPANTS_2026, officers=False)
        ]
        others = [*RETURNING_2026, *newcomers]
        statuses = [EnrollmentStatus.invited] * 4 + [EnrollmentStatus.active] * (len(others) - 4)
        self.rng.shuffle(statuses)
        plan = [(email, EnrollmentStatus.active) for email in signing_in]
        self._enroll("HT-2026", plan + list(zip(others, statuses, strict=True)))

    def _statuses_2018(self) -> list[EnrollmentStatus]:
        """Per officer, in table order: the signing-in officers completed (Bolivia's is
        behind); of the others, exactly two withdrew and six fell behind."""
        others = (
            [EnrollmentStatus.withdrawn] * 2
            + [EnrollmentStatus.active] * 6
            + [EnrollmentStatus.completed] * 24
        )
        self.rng.shuffle(others)
        statuses = []
        for country in COUNTRIES:
            first = EnrollmentStatus.active if country == "BO" else EnrollmentStatus.completed
            statuses += [first] + [others.pop() for _ in range(4)]
        return statuses

    def _enroll(self, code: str, plan: list[tuple[str, EnrollmentStatus]]) -> None:
        course = self.courses_by_code[code]
        modules = self.modules[code]
        enrolled = set(
            self.session.exec(
                select(models.Enrollment.participant_id).where(
                    models.Enrollment.course_id == course.id
                )
            )
        )
        plan_progress = demo_plans.progress_2018 if code == "HT-2018" else self._progress_2026
        created = []
        for email, status in plan:
            enrollment_data, progress_rows = plan_progress(self.rng, status, modules)
            participant = self.participants_by_email[email]
            if participant.id in enrolled:
                continue
            enrollment_in = models.EnrollmentCreate(
                participant_id=participant.id or 0,
                course_id=course.id or 0,
                status=status,
                **enrollment_data,
            )
            last_change = enrollment_in.completed_on or enrollment_in.enrolled_on
            enrollment = models.Enrollment.model_validate(
                enrollment_in, update={"updated_at": at_nine(last_change or self.today)}
            )
            self.add(enrollment)
            created.append((enrollment, progress_rows))
        self.session.flush()
        for enrollment, progress_rows in created:
            for module, row in zip(modules, progress_rows, strict=True):
                self._add_progress(enrollment, module, row)

    def _add_progress(
        self, enrollment: models.Enrollment, module: models.Module, row: dict[str, Any]
    ) -> None:
        progress_in = models.ModuleProgressCreate(
            enrollment_id=enrollment.id or 0, module_id=module.id or 0, source="manual", **row
        )
        updated = progress_in.completed_on or enrollment.enrolled_on or self.today
        self.add(
            models.ModuleProgress.model_validate(
                progress_in, update={"updated_at": at_nine(updated)}
            )
        )

    def _progress_2026(
        self, rng: random.Random, status: EnrollmentStatus, modules: list[models.Module]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        start = self.today + timedelta(days=COURSE_2026_DAYS[0])
        if status == EnrollmentStatus.invited:
            enrolled_on = self.today - timedelta(days=rng.randint(1, 10))
            return {"enrolled_on": enrolled_on}, [{} for _ in modules]
        done = rng.choice((0, 1, 1, 2, 2, 2, 2, 3))  # fewer than 2: behind schedule
        working = rng.random() < 0.5
        rows: list[dict[str, Any]] = []
        for position, module in enumerate(modules, start=1):
            if position <= done:
                due = module.due_on or self.today
                day = min(due - timedelta(days=rng.randint(0, 8)), self.today - timedelta(days=1))
                rows.append(demo_plans.completed_progress(rng, max(day, start), graded=True))
            elif position == done + 1 and working:
                rows.append({"state": ProgressState.in_progress})
            else:
                rows.append({})
        return {"enrolled_on": start - timedelta(days=rng.randint(0, 7))}, rows

    # -- organisations and accounts ------------------------------------------------------------

    def organisations(self) -> None:
        existing = {(o.name, o.country): o for o in self.session.exec(select(models.Organisation))}
        for key, (name, org_type, country, city, services) in ORGANISATIONS.items():
            org = existing.get((name, country))
            if org is None:
                org_in = models.OrganisationCreate(
                    name=name,
                    org_type=org_type,
                    country=country,
                    city=city,
                    services=list(services),
                    contact=f"{key.replace('_', '.')}@partners.enlace.test",
                )
                org = models.Organisation.model_validate(org_in)
                self.add(org)
            self.orgs[key] = org
        self.session.flush()

    def accounts(self) -> None:
        emails = [email for email, _, _ in DEMO_ACCOUNTS]
        self.users = {
            u.email: u
            for u in self.session.exec(
                select(models.UserAccount).where(col(models.UserAccount.email).in_(emails))
            )
        }
        for email, role, country in DEMO_ACCOUNTS:
            if email not in self.users:
                user = models.UserAccount.model_validate(self._account_in(email, role, country))
                self.add(user)
                self.users[email] = user
        self.session.flush()
        self._colleagues()

    def _colleagues(self) -> None:
        """The other 2018 officers' accounts (demo_training), and each country's officers."""
        rows = demo_plans.participant_rows(OFFICERS_2018, officers=True)
        officers = [self.participants_by_email[row.email] for row in rows]
        emails = [person.email for person in officers]
        accounts = {
            user.email: user
            for user in self.session.exec(
                select(models.UserAccount).where(col(models.UserAccount.email).in_(emails))
            )
        }
        colleagues = [p for p in officers if not p.email.endswith("@enlace.test")]
        course = self.courses_by_code["HT-2018"]
        for user in demo_training.colleague_accounts(
            self.session, course, colleagues, set(accounts)
        ):
            self.add(user)
            accounts[user.email] = user
        self.session.flush()
        for person in officers:
            if person.email in accounts:
                self.officers.setdefault(person.country or "", []).append(accounts[person.email])

    def _account_in(self, email: str, role: Role, country: str | None) -> models.UserAccountCreate:
        links: dict[str, Any]
        if role != Role.officer:
            name, language, org_key = STAFF_PROFILES[email]
            links = {"organisation_id": self.orgs[org_key].id if org_key else None}
        else:
            participant = self.participants_by_email[email]
            name, language = participant.full_name, FOREIGN_SERVICES[country or ""][1]
            links = {"country": country, "participant_id": participant.id}
        return models.UserAccountCreate(
            email=email, display_name=name, role=role, preferred_language=language, **links
        )

    # -- cases ---------------------------------------------------------------------------------

    def cases(self) -> None:
        planned = [
            (
                index,
                demo_plans.plan_case(
                    self.rng, self.today, country, index, scenarios[index % len(scenarios)]
                ),
            )
            for country, (count, scenarios) in CASE_SCENARIOS.items()
            for index in range(count)
        ]
        plans = [plan for _index, plan in planned]
        demo_plans.assign_codes(plans)
        codes = [plan.code for plan in plans]
        existing = set(
            self.session.exec(
                select(models.Case.case_code).where(col(models.Case.case_code).in_(codes))
            )
        )
        coordinator = self.users["coordinator@enlace.test"]
        created = []
        for index, plan in planned:
            if plan.code in existing:
                continue
            officer = demo_training.reporting_officer(self.officers[plan.reporting_country], index)
            first = demo_training.first_classification(plan.fields, plan.stage, index)
            timeline = self._timeline(plan, officer, coordinator, first)
            signs = demo_training.screening_signs(plan.fields, index)
            case = self._add_case(plan, officer, coordinator, timeline, (first, signs))
            created.append((plan, case, officer, timeline))
        self.session.flush()
        for plan, case, officer, timeline in created:
            for referral in plan.referrals:
                self._add_referral(referral, case, officer)
            for created_at, kind, author, note, details in timeline:
                event = models.CaseEvent(
                    case_id=case.id or 0,
                    kind=kind,
                    author_id=author.id,
                    note=note,
                    details=details,
                    created_at=created_at,
                )
                self.add(event)

    def transfers(self) -> None:
        coordinator = self.users["coordinator@enlace.test"]
        for row in demo_transfers.pending_transfer(self.session, coordinator):
            self.counts[_table(type(row))] += 1
            self.session.add(row)

    def _add_case(
        self,
        plan: CasePlan,
        officer: models.UserAccount,
        coordinator: models.UserAccount,
        timeline: list[Event],
        screened: tuple[Situation | None, list[str]],
    ) -> models.Case:
        """The case row; `screened`: the officer's first classification when it was another
        one, and the screening guide's indicators."""
        first, signs = screened
        case_in = models.CaseCreate.model_validate(
            {
                "reporting_country": plan.reporting_country,
                **plan.fields,
                "screening_indicators": signs,
            }
        )
        moves = [at for at, kind, *_ in timeline if kind == CaseEventKind.stage_change]
        extra: dict[str, Any] = {
            "case_code": plan.code,
            "reported_by_id": officer.id,
            "assigned_to_id": coordinator.id if plan.assigned else None,
            "stage": plan.stage,
            "stage_changed_at": moves[-1] if moves else timeline[0][0],
            "next_follow_up_on": demo_plans.next_follow_up(plan, self.today),
            "version": len(plan.steps) + (1 if first else 0),
            "created_at": timeline[0][0],
            "updated_at": timeline[-1][0],
            **screening.derived(case_in.model_dump(), initial=first.value if first else None),
        }
        case = models.Case.model_validate(case_in, update=extra | plan.outcome)
        self.add(case)
        return case

    def _timeline(
        self,
        plan: CasePlan,
        officer: models.UserAccount,
        coordinator: models.UserAccount,
        first: Situation | None = None,
    ) -> list[Event]:
        """The case's events in order, 20 minutes apart within a day; with `first`, the
        officer's correction of that first classification at screening."""
        # (day, order within the day, kind, author, note, details)
        entries: list[tuple[date, int, CaseEventKind, models.UserAccount, str, dict[str, Any]]] = [
            (plan.steps[0][1], 0, CaseEventKind.created, officer, "", {"case_code": plan.code})
        ]
        for (before, _day), (stage, day) in itertools.pairwise(plan.steps):
            author = officer if stage in (Stage.screening, Stage.referred) else coordinator
            change = {"from": before.value, "to": stage.value}
            entries.append((day, 1, CaseEventKind.stage_change, author, "", change))
        if first is not None:
            day = demo_training.screening_day(plan.steps)
            details = demo_training.reclassified(first, plan.fields)
            entries.append((day, 1, CaseEventKind.assessment_updated, officer, "", details))
        entries += [(day, 2, CaseEventKind.note, officer, note, {}) for day, note in plan.notes]
        for referral in plan.referrals:
            details = self._referral_details(referral, plan.reporting_country)
            entries.append((referral.sent_on, 3, CaseEventKind.referral_sent, officer, "", details))
            if referral.answered_on:
                answer = {**details, "state": referral.state.value}
                kind = CaseEventKind.referral_answered
                entries.append((referral.answered_on, 3, kind, coordinator, "", answer))
        if "return_counterpart" in plan.outcome:
            day = dict(plan.steps)[Stage.return_reintegration]
            details = {
                "counterpart": plan.outcome["return_counterpart"],
                "travel_date": plan.outcome["return_travel_date"].isoformat(),
            }
            entries.append((day, 4, CaseEventKind.return_coordinated, coordinator, "", details))
        ordered = sorted(entries, key=lambda entry: entry[:2])
        return [
            (at_nine(day) + timedelta(minutes=20 * index), kind, author, note, details)
            for index, (day, _, kind, author, note, details) in enumerate(ordered)
        ]

    def _referral_details(self, referral: ReferralPlan, reporting_country: str) -> dict[str, Any]:
        org = self.orgs[referral.org_key]
        return {
            "organisation": org.name,
            "service": referral.service.value,
            "cross_border_country": org.country if org.country != reporting_country else None,
        }

    def _add_referral(
        self, plan: ReferralPlan, case: models.Case, officer: models.UserAccount
    ) -> None:
        org = self.orgs[plan.org_key]
        referral_in = models.ReferralCreate(
            case_id=case.id or 0,
            organisation_id=org.id or 0,
            service=plan.service,
            sent_on=plan.sent_on,
        )
        update = {
            "state": plan.state,
            "answered_on": plan.answered_on,
            "decline_reason": plan.decline_reason,
            "cross_border_country": org.country if org.country != case.reporting_country else None,
            "created_by_id": officer.id,
            "created_at": at_nine(plan.sent_on),
            "response_due_on": follow_ups.response_due(plan.sent_on, org),
        }
        self.add(models.Referral.model_validate(referral_in, update=update))


def _table(model: type[SQLModel]) -> str:
    return str(model.__tablename__)
