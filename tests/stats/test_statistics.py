"""The programme statistics: figures on a data set worked out by hand, the same after anonymisation,
CSV downloads, who may see them, and a query count that does not grow with the rows."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from stats import selectors
from tests.factories import (
    AccountManagerFactory,
    SandboxAccountFactory,
    SignedUpCustomerFactory,
    SolutionsArchitectFactory,
    StaffFactory,
    workshop_in,
)
from tests.stats import seed
from workshops.models import AccountSpend, Stage, Topic

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("stats:dashboard")


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def download(client, table: str):
    return client.get(reverse("stats:download", args=[table]))


@pytest.fixture
def programme():
    return seed.programme()


def as_tuple(f: selectors.Figures):
    satisfaction = None if f.satisfaction is None else round(f.satisfaction, 2)
    return (f.workshops, f.attendees, f.customers, f.answers, satisfaction, f.recommend)


def all_figures():
    return (
        as_tuple(selectors.programme_totals()),
        [(f.key.strftime("%Y-%m"), as_tuple(f)) for f in selectors.figures_by_month()],
        [(f.key, as_tuple(f)) for f in selectors.figures_by_topic()],
        [
            (a.name, a.invited, a.registered, a.attended, a.no_shows, a.no_show_rate)
            for a in selectors.account_manager_figures()
        ],
        [
            (p.title, p.attendees, p.accounts_needed, p.accounts_used, p.pool_size)
            for p in selectors.pool_use_by_workshop()
        ],
    )


class TestFigures:
    def test_the_programme_totals(self, programme):
        assert as_tuple(selectors.programme_totals()) == (3, 5, 3, 3, 4.33, 2)

    def test_per_month(self, programme):
        months = [(f.key.strftime("%Y-%m"), as_tuple(f)) for f in selectors.figures_by_month()]
        assert months == [("2026-03", (2, 4, 3, 3, 4.33, 2)), ("2026-04", (1, 1, 1, 0, None, 0))]

    def test_per_topic(self, programme):
        topics = [(f.key, as_tuple(f)) for f in selectors.figures_by_topic()]
        assert topics == [("Data", (1, 2, 2, 1, 3.0, 0)), ("Serverless", (2, 3, 1, 2, 5.0, 2))]

    def test_per_account_manager(self, programme):
        rows = [
            (a.name, a.invited, a.registered, a.attended, a.no_shows, a.no_show_rate)
            for a in selectors.account_manager_figures()
        ]
        assert rows == [("Ana Alves", 4, 4, 2, 0, 0.0), ("Bruno Bravo", 4, 3, 1, 1, 0.5), ("", 1, 0, 0, 0, None)]
        assert [a.name for a in selectors.account_manager_figures(account_manager=programme.bruno)] == ["Bruno Bravo"]

    def test_pool_use(self, programme):
        pool = [
            (p.title, p.attendees, p.accounts_needed, p.accounts_used, p.pool_size)
            for p in selectors.pool_use_by_workshop()
        ]
        assert pool == [("Serverless April", 1, 3, 0, 4), ("Data March", 2, 5, 1, 4), ("Serverless March", 2, 20, 2, 4)]
        assert selectors.pool_use_by_workshop()[2].share_of_pool == 0.5

    def test_the_figures_read_the_same_after_anonymisation(self, programme):
        before = all_figures()
        seed.anonymise_customers()
        assert all_figures() == before

    def test_nothing_delivered_yet_gives_zeros(self):
        assert as_tuple(selectors.programme_totals()) == (0, 0, 0, 0, None, 0)
        assert selectors.figures_by_month() == [] and selectors.pool_use_by_workshop() == []


class TestPage:
    def test_shows_the_figures_the_definitions_and_the_charts(self, client, programme):
        client.force_login(SolutionsArchitectFactory())
        response = client.get(DASHBOARD)
        assert response.status_code == 200
        page = response.content.decode()
        assert "3 workshops delivered, 5 attendees from 3 customers" in page
        assert "satisfaction 4.33 (3 survey answers)" in page
        assert "An attendee is a confirmed registration" in page
        assert page.count("<svg") == 7
        assert "Ana Alves" in page and "Bruno Bravo" in page
        for table in ("months", "topics", "account-managers", "pool"):
            assert reverse("stats:download", args=[table]) in page

    def test_only_solutions_architects_and_superusers_see_it(self, client, programme):
        response = client.get(DASHBOARD)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        assert download(client, "months").status_code == 302
        for nobody in (SignedUpCustomerFactory(), AccountManagerFactory(), StaffFactory()):
            client.force_login(nobody)
            assert client.get(DASHBOARD).status_code == 404
            assert download(client, "months").status_code == 404
        for somebody in (SolutionsArchitectFactory(), StaffFactory(is_superuser=True)):
            client.force_login(somebody)
            assert client.get(DASHBOARD).status_code == 200
            assert download(client, "pool").status_code == 200

    def test_an_unknown_table_is_a_404(self, client):
        client.force_login(SolutionsArchitectFactory())
        assert download(client, "people").status_code == 404


class TestYear:
    @pytest.fixture
    def with_2025(self, programme):
        older = workshop_in(
            Stage.CLOSED, title="Serverless 2025", topic=programme.serverless, starts_at=seed.at(2025, 11, 4)
        )
        seed.answer(seed.register(older, programme.cogs, programme.bruno, attended=True), 2, False)
        return programme

    def test_a_year_counts_only_the_workshops_that_started_in_it(self, with_2025):
        assert as_tuple(selectors.programme_totals()) == (4, 6, 3, 4, 3.75, 2)
        assert as_tuple(selectors.programme_totals(year=2026)) == (3, 5, 3, 3, 4.33, 2)
        assert as_tuple(selectors.programme_totals(year=2025)) == (1, 1, 1, 1, 2.0, 0)
        assert [f.key.strftime("%Y-%m") for f in selectors.figures_by_month(year=2025)] == ["2025-11"]
        assert [(f.key, f.workshops) for f in selectors.figures_by_topic(year=2025)] == [("Serverless", 1)]
        bruno = selectors.account_manager_figures(account_manager=with_2025.bruno, year=2025)[0]
        assert (bruno.invited, bruno.attended) == (1, 1)
        assert [p.title for p in selectors.pool_use_by_workshop(year=2025)] == ["Serverless 2025"]
        assert selectors.years_delivered() == [2026, 2025]

    def test_the_page_and_its_downloads_follow_the_year(self, client, with_2025):
        client.force_login(SolutionsArchitectFactory())
        page = client.get(DASHBOARD, {"year": "2025"}).content.decode()
        assert "Programme statistics for 2025" in page
        assert "1 workshop delivered, 1 attendee from 1 customer" in page
        assert reverse("stats:download", args=["months"]) + "?year=2025" in page
        response = client.get(reverse("stats:download", args=["months"]), {"year": "2025"})
        assert 'filename="cpp-months-2025.csv"' in response["Content-Disposition"]
        assert [row[0] for row in csv_rows(response)] == ["month", "2025-11"]

    @pytest.mark.parametrize("year", ["abc", "1999", "20x6", "٢٠٢٦", "-2026"])
    def test_a_year_that_is_not_one_is_said_and_shows_every_year(self, client, with_2025, year):
        client.force_login(SolutionsArchitectFactory())
        page = client.get(DASHBOARD, {"year": year}).content.decode()
        assert "is not a year: showing every year." in page
        assert "4 workshops delivered, 6 attendees from 3 customers" in page
        response = client.get(reverse("stats:download", args=["months"]), {"year": year})
        assert response.status_code == 400 and "is not a year" in response.content.decode()


class TestCsv:
    @pytest.fixture(autouse=True)
    def signed_in(self, client, programme):
        client.force_login(SolutionsArchitectFactory())
        # As workshops.sandbox.spend stores the bill: 10.00 for Serverless March, 3.00 for Data March.
        account = SandboxAccountFactory()
        for workshop, service, amount in [(programme.w1, "AWS Lambda", 7), (programme.w1, "Amazon S3", 3)]:
            AccountSpend.objects.create(
                sandbox_account=account,
                workshop=workshop,
                day=workshop.starts_at.date(),
                service=service,
                amount=amount,
                read_at=timezone.now(),
            )
        AccountSpend.objects.create(
            sandbox_account=account,
            workshop=programme.w2,
            day=programme.w2.starts_at.date(),
            service="AWS Lambda",
            amount=3,
            read_at=timezone.now(),
        )

    def test_months(self, client):
        assert csv_rows(download(client, "months")) == [
            [
                "month",
                "workshops",
                "attendees",
                "customers",
                "survey_answers",
                "satisfaction",
                "would_recommend_share",
                "cost_usd",
                "cost_per_attendee_usd",
            ],
            ["2026-03", "2", "4", "3", "3", "4.33", "0.6667", "13.00", "3.25"],
            ["2026-04", "1", "1", "1", "0", "", "", "0.00", "0.00"],
        ]

    def test_topics(self, client):
        assert csv_rows(download(client, "topics"))[1:] == [
            ["Data", "1", "2", "2", "1", "3.00", "0.0000", "3.00", "1.50"],
            ["Serverless", "2", "3", "1", "2", "5.00", "1.0000", "10.00", "3.33"],
        ]

    def test_account_managers(self, client):
        response = download(client, "account-managers")
        assert 'filename="cpp-account-managers.csv"' in response["Content-Disposition"]
        assert csv_rows(response) == [
            ["account_manager", "invited", "registered", "attended", "no_shows", "no_show_rate"],
            ["Ana Alves", "4", "4", "2", "0", "0.0000"],
            ["Bruno Bravo", "4", "3", "1", "1", "0.5000"],
            ["", "1", "0", "0", "0", ""],
        ]

    def test_pool(self, client, programme):
        rows = csv_rows(download(client, "pool"))
        assert rows[0] == [
            "workshop_id",
            "workshop",
            "starts_on",
            "attendees",
            "accounts_needed",
            "accounts_used",
            "pool_size",
            "share_of_pool",
            "cost_usd",
            "cost_per_attendee_usd",
        ]
        assert rows[1:] == [
            [str(programme.w3.pk), "Serverless April", "2026-04-05", "1", "3", "0", "5", "0.0000", "0.00", "0.00"],
            [str(programme.w2.pk), "Data March", "2026-03-20", "2", "5", "1", "5", "0.2000", "3.00", "1.50"],
            [str(programme.w1.pk), "Serverless March", "2026-03-10", "2", "20", "2", "5", "0.4000", "10.00", "5.00"],
        ]

    def test_a_cell_a_spreadsheet_would_run_as_a_formula_stays_text(self, client):
        Topic.objects.filter(name="Data").update(name='=HYPERLINK("http://evil.example","x")')
        cells = [row[0] for row in csv_rows(download(client, "topics"))]
        assert '\'=HYPERLINK("http://evil.example","x")' in cells

    @pytest.mark.parametrize(
        ("typed", "cell"),
        [
            ("  =1+1", "'  =1+1"),
            ("\u200b=1+1", "'\u200b=1+1"),
            ("＝1+1", "'＝1+1"),
            ("cmd|' /C calc'!A0", "'cmd|' /C calc'!A0"),
        ],
    )
    def test_a_topic_name_hiding_a_formula_behind_spaces_or_look_alikes_stays_text(self, client, typed, cell):
        Topic.objects.filter(name="Data").update(name=typed)
        cells = [row[0] for row in csv_rows(download(client, "topics"))]
        assert cell in cells


class TestQueryCount:
    """The page and its downloads cost the same number of queries for 10 rows as for 300."""

    @pytest.mark.parametrize("rows", [10, 300])
    def test_dashboard(self, client, django_assert_num_queries, rows):
        seed.bulk_programme(rows)
        client.force_login(SolutionsArchitectFactory())
        # session, user, groups; totals 4; months 4; topics 4; AMs 1; pool 3; years 1
        with django_assert_num_queries(20):
            assert client.get(DASHBOARD).status_code == 200

    @pytest.mark.parametrize("rows", [10, 300])
    @pytest.mark.parametrize(("table", "queries"), [("months", 7), ("topics", 7), ("account-managers", 4), ("pool", 6)])
    def test_downloads(self, client, django_assert_num_queries, rows, table, queries):
        seed.bulk_programme(rows)
        client.force_login(SolutionsArchitectFactory())
        with django_assert_num_queries(queries):
            assert download(client, table).status_code == 200


class TestBarChartLabels:
    def test_a_long_label_is_drawn_shortened_and_kept_whole_in_its_tooltip(self):
        from stats.charts import LABEL_CHARACTERS, bar_chart

        title = "Serverless data lakes with Glue, Athena and Lake Formation, hands on"
        chart = bar_chart("Satisfaction per topic", [(title, 4.5, "4.5"), ("EKS", 3.0, "3.0")])
        long, short = chart.bars
        assert long.short_label == "Serverless data lakes wi…"
        assert len(long.short_label) == LABEL_CHARACTERS
        assert short.short_label == "EKS"

        from django.template.loader import render_to_string

        svg = render_to_string("stats/_bar_chart.html", {"chart": chart})
        assert f"<title>{title}: 4.5</title>" in svg
        assert ">Serverless data lakes wi…</text>" in svg
        assert f">{title}</text>" not in svg
