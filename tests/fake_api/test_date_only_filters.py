"""The simulator's date-only filter shape (``SimConfig(created_filters="date")``, ``korsync
fake-api --created-filters date``): ``createdAt[...]`` takes only a date and a time gets a 400
naming the filter, as the real API may (the docs' pattern, ../shared/korusticket-api/
seed-dev-docs.txt, is cut off after the date part). Off by default, named in ``--help``."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from korsync.fake_api import SimConfig
from korsync.fake_api.command import fake_api
from tests.support.fake_api import client_for, make_sim

ORDERS = "/v1/booking/orders"


def _created(sim_orders: list[dict[str, str]]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(o["createdAt"]) for o in sim_orders]


def test_default_shape_takes_times_and_dates() -> None:
    """By default a date-time (offset, Z, naive) and a date are all accepted."""
    with client_for(make_sim()) as client:
        for value in ("2025-06-01T10:00:00+00:00", "2025-06-01T10:00:00Z", "2025-06-01"):
            response = client.get(ORDERS, params={"createdAt[after]": value})
            assert response.status_code == 200, value


@pytest.mark.parametrize("name", ["after", "strictly_after", "before", "strictly_before"], ids=str)
def test_date_only_shape_refuses_a_time_naming_the_filter(name: str) -> None:
    """Every bound refuses a time with a 400 problem whose detail names the parameter."""
    with client_for(make_sim(created_filters="date")) as client:
        response = client.get(ORDERS, params={f"createdAt[{name}]": "2025-06-01T10:00:00Z"})
    assert response.status_code == 400
    assert f"createdAt[{name}]" in response.json()["detail"]


def test_date_only_shape_filters_by_whole_days() -> None:
    """A date bound is that day's midnight UTC: [after] includes the whole day,
    [strictly_before] ends before it; the answer matches the ground truth."""
    sim = make_sim(created_filters="date", orders=120)
    params: dict[str, str | int] = {
        "createdAt[after]": "2024-09-01",
        "createdAt[strictly_before]": "2024-12-20",
        "itemsPerPage": 50,
    }
    with client_for(sim) as client:
        body = client.get(ORDERS, params=params).json()
    low = dt.datetime(2024, 9, 1, tzinfo=dt.UTC)
    high = dt.datetime(2024, 12, 20, tzinfo=dt.UTC)
    truth = [c for c in _created(list(sim.orders_truth())) if low <= c < high]
    assert body["totalItems"] == len(truth) > 0
    assert all(low <= c < high for c in _created(body["member"]))


def test_shape_is_validated_and_named_in_help() -> None:
    """An unknown shape is refused; ``korsync fake-api --help`` names the option and its use."""
    with pytest.raises(ValueError, match="created_filters"):
        SimConfig(created_filters="hourly")  # type: ignore[arg-type]
    shown = CliRunner().invoke(fake_api, ["--help"], terminal_width=200).output
    assert "--created-filters [time|date]" in shown
    assert "a time gets a 400" in shown
