"""Money in the user's locale (Babel), times in the company's time zone, API problems on fields."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from console_service.adapters.services import ApiProblem
from console_service.formats import money, safe_locale, when
from console_service.web.forms import FORM, problem_errors


def test_money_is_written_the_way_the_users_locale_writes_it() -> None:
    amount = {"amount": "1234.50", "currency": "EUR"}
    assert money(amount, "en_DK") == "1.234,50\xa0€"
    assert money(amount, "en_US") == "€1,234.50"
    assert money(amount, "de_DE") == "1.234,50\xa0€"
    assert money({"amount": "99", "currency": "DKK"}, "da_DK") == "99,00\xa0kr."
    assert money(None, "en_DK") == ""


def test_an_unknown_locale_falls_back() -> None:
    assert safe_locale("xx_YY") == "en_DK"
    assert safe_locale("de_DE") == "de_DE"


def test_times_show_in_the_company_time_zone_summer_and_winter() -> None:
    copenhagen = ZoneInfo("Europe/Copenhagen")
    assert when("2026-01-15T09:00:00Z", copenhagen) == "2026-01-15 10:00"
    assert when("2026-07-01T09:00:00+00:00", copenhagen) == "2026-07-01 11:00"
    assert when(None, copenhagen) == ""


def test_a_problem_goes_beside_the_field_it_names_or_above_the_form() -> None:
    known = {"lines[0].sku", "carrier"}
    problem = ApiProblem(422, {"detail": "unknown SKU NOPE", "field": "lines[0].sku", "rule": "unknown-sku"})
    assert problem_errors(problem, known) == {"lines[0].sku": "unknown SKU NOPE"}
    body = ApiProblem(422, {"detail": "not a string", "field": "body.carrier"})
    assert problem_errors(body, known) == {"carrier": "not a string"}
    elsewhere = ApiProblem(409, {"detail": "entered by the same user", "field": "approved_by"})
    assert problem_errors(elsewhere, known) == {FORM: "approved_by: entered by the same user"}


def test_a_typed_identifier_stays_one_path_segment_of_the_service_url() -> None:
    from console_service.adapters.services import seg

    assert seg("../stock") == "..%2Fstock"
    assert seg("CHAIR OAK?x=1") == "CHAIR%20OAK%3Fx%3D1"
