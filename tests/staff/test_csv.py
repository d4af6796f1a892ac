"""The attendee CSV: the rows the table shows, with what an SA hands on, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import open_workshop
from tests.staff.conftest import register
from workshops.models import Registration

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_holds_every_registration_with_its_state(sa_client, sa, am):
    workshop = open_workshop(capacity=1, owners=[sa])
    (seated,) = register(workshop, 1, first_name="Ana", last_name="Zubiri", job_title="CTO")
    (waiting,) = register(workshop, 1, first_name="Bruno", last_name="Alves")
    Registration.objects.filter(pk=seated.pk).update(account_manager=am, attended=True)

    response = sa_client.get(reverse("staff:attendees_csv", args=[workshop.pk]))

    header, *body = rows(response)
    assert response["Content-Disposition"] == f'attachment; filename="workshop-{workshop.pk}-attendees.csv"'
    assert header[:6] == ["First name", "Last name", "Email", "Company", "Job title", "Status"]
    assert body[0][:6] == ["Ana", "Zubiri", seated.attendee.email, seated.organisation.name, "CTO", "Confirmed"]
    assert body[0][7] == am.email and body[0][-1] == "yes"
    assert (body[1][:2], body[1][5], body[1][-1]) == (["Bruno", "Alves"], "Waitlisted", "")


def test_the_csv_follows_the_tables_filters(sa_client, sa):
    workshop = open_workshop(capacity=1, owners=[sa])
    register(workshop, 1, last_name="Zubiri")
    register(workshop, 1, last_name="Alves")
    url = reverse("staff:attendees_csv", args=[workshop.pk])
    assert [r[1] for r in rows(sa_client.get(url, {"status": "waitlisted"}))[1:]] == ["Alves"]
    assert [r[1] for r in rows(sa_client.get(url, {"q": "zubi"}))[1:]] == ["Zubiri"]
    assert [r[1] for r in rows(sa_client.get(url, {"sort": "name"}))[1:]] == ["Alves", "Zubiri"]


def test_cells_that_look_like_formulas_are_defused(sa_client, sa):
    workshop = open_workshop(owners=[sa])
    register(workshop, 1, first_name='=HYPERLINK("http://evil")', last_name="+1", job_title="@SUM(A1)")
    (row,) = rows(sa_client.get(reverse("staff:attendees_csv", args=[workshop.pk])))[1:]
    assert row[0] == '\'=HYPERLINK("http://evil")' and row[1] == "'+1" and row[4] == "'@SUM(A1)"


HOSTILE_JOB_TITLES = [
    ("=1+1", "'=1+1"),
    ("  =1+1", "'  =1+1"),
    ("\u200b=1+1", "'\u200b=1+1"),
    ("＝1+1", "'＝1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("cmd|' /C calc'!A0", "'cmd|' /C calc'!A0"),
    ("a\nb", "a b"),
]


@pytest.mark.parametrize(("typed", "cell"), HOSTILE_JOB_TITLES, ids=[repr(t) for t, _ in HOSTILE_JOB_TITLES])
def test_a_job_title_a_spreadsheet_could_run_arrives_as_text_on_one_line(sa_client, sa, typed, cell):
    workshop = open_workshop(owners=[sa])
    register(workshop, 1, job_title=typed)
    response = sa_client.get(reverse("staff:attendees_csv", args=[workshop.pk]))
    assert len(response.content.decode().splitlines()) == 2  # the header and one attendee, whatever was typed
    (row,) = rows(response)[1:]
    assert row[4] == cell
